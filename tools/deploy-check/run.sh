#!/usr/bin/env bash
# `npm run lint:deploy`: checks the container setup without a Docker engine.
#   1. docker-compose.yml with dclint (no warnings allowed), and with
#      `docker compose config -q` (Compose v2; else docker-compose 1.29)
#   2. Dockerfile with dockerfile-utils lint, plus the project's rules
#      (check-dockerfile.mjs: non-root, HEALTHCHECK, production deps, .dockerignore…)
#   3. the compose-env.spec.ts of each service (its zod schema against the
#      environment compose gives it, the ports, origins and URLs of
#      topology.json, the replicas profile's second replicas included), run by
#      jest directly so that no Nx cache can answer for a changed
#      docker-compose.yml.
#   4. the Kubernetes manifests under deploy/k8s (check-k8s.mjs: each document
#      against its schema, plus probes, resources, PDBs, Services, the drain,
#      the metrics port kept off the Services, and no literal secrets; it also
#      proves it rejects broken variants).
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

passed=0
failed=0
step() {
  local name=$1
  shift
  echo "== ${name}"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "!! failed: ${name}"
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Compose v2 (`docker compose`, what the README's commands use) checks the
# file as written; without it, docker-compose 1.29 checks a copy without the
# top-level `name:` key, which it predates. Either way .env is ignored (an
# empty --env-file) so the result does not depend on the developer's secrets:
# dummies stand in for the required ones, and without them it must refuse.
compose_config() {
  local file=docker-compose.yml run
  : >"$tmp/empty.env"
  if docker compose version >/dev/null 2>&1; then
    run=(docker compose --project-directory . --env-file "$tmp/empty.env" -f "$file")
    echo "docker compose $(docker compose version --short), the file as written"
  else
    node -e "
      const fs = require('node:fs'); const YAML = require('yaml');
      const doc = YAML.parseDocument(fs.readFileSync('docker-compose.yml', 'utf8'));
      doc.delete('name');
      fs.writeFileSync(process.argv[1], String(doc));
    " "$tmp/compose-1.29.yml" || return 1
    file="$tmp/compose-1.29.yml"
    run=(docker-compose --project-directory . --env-file "$tmp/empty.env" -f "$file")
    echo "docker-compose $(docker-compose version --short) (no Compose v2 here): top-level name: dropped"
  fi
  KEY_ENCRYPTION_SECRET=dummy-dummy-dummy-dummy-dummy-dummy POSTGRES_PASSWORD=dummy \
    SSO_COOKIE_SECRET=dummy-dummy-dummy-dummy-dummy-dummy \
    "${run[@]}" --profile replicas config -q || return 1
  local out
  if out=$(env -u KEY_ENCRYPTION_SECRET POSTGRES_PASSWORD=dummy SSO_COOKIE_SECRET=x "${run[@]}" config -q 2>&1); then
    echo "compose accepted a missing KEY_ENCRYPTION_SECRET"
    return 1
  fi
  grep -q 'set KEY_ENCRYPTION_SECRET' <<<"$out" || { echo "$out"; return 1; }
  if out=$(env -u POSTGRES_PASSWORD KEY_ENCRYPTION_SECRET=x SSO_COOKIE_SECRET=x "${run[@]}" config -q 2>&1); then
    echo "compose accepted a missing POSTGRES_PASSWORD"
    return 1
  fi
  grep -q 'set POSTGRES_PASSWORD' <<<"$out" || { echo "$out"; return 1; }
  if out=$(env -u SSO_COOKIE_SECRET KEY_ENCRYPTION_SECRET=x POSTGRES_PASSWORD=dummy "${run[@]}" config -q 2>&1); then
    echo "compose accepted a missing SSO_COOKIE_SECRET"
    return 1
  fi
  grep -q 'set SSO_COOKIE_SECRET' <<<"$out" || { echo "$out"; return 1; }
  echo "config valid, secrets required"
}

step "dclint docker-compose.yml" npx --no-install dclint --max-warnings 0 docker-compose.yml
if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; then
  step "compose config -q" compose_config
else
  echo "== compose config -q: SKIPPED, no Compose here (bash tools/docker/ensure-docker.sh installs it)"
fi
step "dockerfile-utils lint Dockerfile" npx --no-install dockerfile-utils lint Dockerfile
step "project rules for Dockerfile and .dockerignore" node tools/deploy-check/check-dockerfile.mjs Dockerfile
step "Kubernetes manifests under deploy/k8s" node tools/deploy-check/check-k8s.mjs deploy/k8s
# One per service of topology.json, in the feature lib that owns its config schema.
for spec in libs/*/feature-*/src/lib/compose-env.spec.ts; do
  lib=${spec%/src/lib/compose-env.spec.ts}
  step "jest ${spec}" npx --no-install jest -c "${lib}/jest.config.cts" --ci "${spec}"
done

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
