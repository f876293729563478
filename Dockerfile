# syntax=docker/dockerfile:1
# One image recipe for the three services:
#   docker build --build-arg APP=auth|gateway|cart .
# No secret is baked in: KEY_ENCRYPTION_SECRET, DATABASE_URL and the rest come
# from the environment at run time (see docker-compose.yml).
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile the app, then drop the dev dependencies and the leftovers
# of compiling better-sqlite3 (≈25 MB; only build/Release/*.node is loaded) ---
FROM ${NODE_IMAGE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
WORKDIR /src
# better-sqlite3 (and argon2 when no prebuilt binary fits) compile here, against
# the same Debian and Node as the runtime stage, so the binaries fit it.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
# The gateway also serves the demo page; the others get an empty folder.
RUN case "$APP" in auth|gateway|cart) ;; \
      *) echo "build with --build-arg APP=auth|gateway|cart" >&2; exit 64 ;; esac \
  && npx nx run "${APP}:build" --output-style=static \
  && if [ "$APP" = gateway ]; then npx nx run shop-web:build --output-style=static; \
     else mkdir -p dist/apps/shop-web; fi \
  && npm prune --omit=dev --no-audit --no-fund \
  && cd node_modules/better-sqlite3 \
  && rm -rf deps src build/deps build/Release/obj build/Release/obj.target \
     build/Release/.deps build/Release/sqlite3.a build/Release/test_extension.node

# --- runtime: production dependencies and the bundle, as a non-root user ------
FROM ${NODE_IMAGE} AS runtime
ARG APP
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data DEMO_DIR=/app/demo APP=${APP}
WORKDIR /app
# Code and dependencies stay owned by root: the service cannot rewrite them.
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/apps/${APP} ./dist
COPY --from=build /src/dist/apps/shop-web ./demo
COPY docker/healthcheck.cjs ./healthcheck.cjs
# DATA_DIR is the one writable place (the gateway keeps its identity key there).
RUN mkdir -p /data && chown node:node /data
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/healthcheck.cjs"]
CMD ["node", "dist/main.js"]
