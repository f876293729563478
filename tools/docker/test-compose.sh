#!/usr/bin/env bash
# `npm run test:compose`: the docker compose stack built and run for real
# (tools/docker/test-compose.mjs says what it checks). First it makes sure of
# an engine and Compose v2 (ensure-docker.sh: apt and dockerd need root on a
# machine without them), and of base images: the official ones when they are
# here or can be pulled, else stand-ins built from Debian and npm
# (offline-images/build.sh). Arguments go to test-compose.mjs (--keep).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
bash tools/docker/ensure-docker.sh
eval "$(bash tools/docker/offline-images/build.sh)"
echo "== base images ready after $(($(date +%s) - started)) s: $NODE_IMAGE $REDIS_IMAGE $POSTGRES_IMAGE $NGINX_IMAGE"
exec node tools/docker/test-compose.mjs "$@"
