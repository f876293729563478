#!/usr/bin/env bash
# Makes `docker compose` usable on a Debian machine without Docker Hub:
#   1. a running engine: Debian's docker.io (installed with apt when dockerd is
#      missing), dockerd started in the background when none answers (root only);
#   2. Compose v2 (the file's top-level `name:` needs it; bookworm's
#      docker-compose is 1.29): when `docker compose` is missing or older,
#      Debian trixie's docker-compose package (a static binary) is downloaded
#      with a private apt state and installed as ~/.docker/cli-plugins/docker-compose.
# Prints what it did on stderr; exits non-zero with the reason when it cannot.
set -euo pipefail
log() { echo "[ensure-docker] $*" >&2; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

as_root() {
  [ "$(id -u)" -eq 0 ] || {
    log "$1 needs root; run this as root once, or do it by hand"
    exit 1
  }
}

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null; then
    as_root "installing docker.io"
    log "installing Debian's docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  fi
  as_root "starting dockerd"
  log "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || {
    tail -20 /var/log/dockerd.log >&2
    log "dockerd did not come up in 30 s"
    exit 1
  }
fi
log "engine $(docker version --format '{{.Server.Version}}')"

compose_major() { docker compose version --short 2>/dev/null | sed -E 's/^v?([0-9]+).*/\1/'; }
if [ "$(compose_major)" -lt 2 ] 2>/dev/null || [ -z "$(compose_major)" ]; then
  log "fetching Compose v2: Debian trixie's docker-compose package"
  apt_dir=$(mktemp -d)
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_dir/sources.list"
  apt_private=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Status=/dev/null
    -o "Dir::Cache::Archives=$apt_dir/archives" -o APT::Sandbox::User=root)
  apt-get -qq "${apt_private[@]}" update
  (cd "$apt_dir" && apt-get -qq "${apt_private[@]}" download docker-compose)
  dpkg-deb -x "$apt_dir"/docker-compose_*.deb "$apt_dir/root"
  mkdir -p "$HOME/.docker/cli-plugins"
  install -m 0755 "$apt_dir/root/usr/libexec/docker/cli-plugins/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
fi
log "compose $(docker compose version --short)"
