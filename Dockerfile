# One image recipe for the three services: docker build --build-arg APP=auth|gateway|cart .
# syntax=docker/dockerfile:1

FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
# The gateway also serves the demo page; the others get an empty folder.
RUN npx nx run ${APP}:build --output-style=static \
  && if [ "$APP" = gateway ]; then npx nx run shop-web:build --output-style=static; \
     else mkdir -p dist/apps/shop-web; fi \
  && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ARG APP
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data APP=${APP}
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/apps/${APP} ./dist
COPY --from=build /src/dist/apps/shop-web ./demo
ENV DEMO_DIR=/app/demo
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "dist/main.js"]
