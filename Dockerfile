# One recipe, one image per service:
#   docker build --build-arg APP=auth|gateway|cart|mail-catcher .
# No secret is baked in: KEY_ENCRYPTION_SECRET, DATABASE_URL and the rest come
# from the environment at run time (see docker-compose.yml). NODE_IMAGE names
# the base (tools/docker/offline-images/ builds a stand-in where Docker Hub
# cannot be reached).
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: the three services, the demo page and the development mail
# catcher, then one production
# node_modules per service, each from the package.json and lock file Nx
# generates for it (only what that service imports) --------------------------
FROM ${NODE_IMAGE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false \
    npm_config_update_notifier=false \
    npm_config_nodedir=/usr/local
WORKDIR /src
# argon2 and better-sqlite3 compile here (node-gyp, against the image's own
# Node headers: npm_config_nodedir), on the same Debian and Node as the runtime.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm can print `Exit handler never called!` and exit 0 after a failed
# install: check that the tools are there rather than trust the exit code.
RUN npm ci --no-audit --no-fund \
  && test -x node_modules/.bin/nx && test -x node_modules/.bin/webpack-cli
COPY . .
RUN npx --no-install nx run-many -t build -p auth gateway cart shop-web mail-catcher --output-style=static
# Per service: its dependencies from npm's cache (no scripts: the native
# addons come compiled from the workspace install), then the prune.
RUN for app in auth gateway cart mail-catcher; do \
      out="/out/$app" \
      && mkdir -p "$out/demo" \
      && cp -r "dist/apps/$app" "$out/dist" \
      && (cd "$out/dist" && npm ci --omit=dev --ignore-scripts --offline --no-audit --no-fund) \
      && mv "$out/dist/node_modules" "$out/node_modules" \
      && for addon in node_modules/*/build node_modules/@*/*/build; do \
           package="${addon%/build}"; \
           if [ -d "$out/$package" ]; then cp -r "$addon" "$out/$package/"; fi; \
         done \
      && node docker/prune-node-modules.cjs "$out/node_modules" \
      || exit 1; \
    done \
  && cp -r dist/apps/shop-web/. /out/gateway/demo/

# --- runtime: one service, as a non-root user ---------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG APP
RUN case "$APP" in auth|gateway|cart|mail-catcher) ;; \
      *) echo "build with --build-arg APP=auth|gateway|cart|mail-catcher" >&2; exit 64 ;; esac \
  && mkdir -p /data && chown node:node /data
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data DEMO_DIR=/app/demo APP=${APP}
WORKDIR /app
COPY docker/healthcheck.cjs ./healthcheck.cjs
# Code and dependencies stay owned by root: the service cannot rewrite them.
# DATA_DIR is the one writable place (the gateway keeps its identity key there).
COPY --from=build /out/${APP}/ ./
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/healthcheck.cjs"]
CMD ["node", "dist/main.js"]
