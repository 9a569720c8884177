#!/usr/bin/env bash
# Prepares this machine for `npm start` (default) or `npm test` (--test). Idempotent, quick when
# everything is in place:
#   node dependencies  npm ci when node_modules is missing or package-lock.json changed since the last install
#   Kafka jars         Maven, when deploy/kafka/target/lib is missing or deploy/kafka/pom.xml changed
#   start              the machine's PostgreSQL answers on 127.0.0.1:5432
#   --test             a Docker engine and the test images (scripts/docker-engine.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=start
for arg in "$@"; do
  case $arg in
    --test) mode=test ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--test]" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*" >&2; }
started=$(date +%s%N)

# One setup at a time per checkout (parallel `npm test` runs would otherwise race npm ci and docker build).
exec 9>"/tmp/pointsweep-setup-$(echo "$root" | sha256sum | cut -c1-12).lock"
flock -w 900 9 || { log "another setup.sh holds the lock for 15 minutes; giving up"; exit 1; }

node_deps() {
  local stamp=node_modules/.pointsweep-lock-hash want have=""
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  [ "$want" = "$have" ] && return
  if [ -z "$have" ] && [ -d node_modules ] && npm ls --all >/dev/null 2>&1; then
    # Installed before this script kept a stamp, and npm finds the tree consistent with the lock.
    echo "$want" >"$stamp"; return
  fi
  if [ -d node_modules ]; then log "package-lock.json changed: npm ci"; else log "installing node dependencies: npm ci"; fi
  npm ci --no-audit --no-fund --loglevel=error </dev/null >&2 || {
    log "npm ci failed (if package.json and package-lock.json are out of sync: run npm install and commit the lock)"
    exit 1
  }
  echo "$want" >"$stamp"
}

kafka_jars() {
  local dir=deploy/kafka/target stamp=deploy/kafka/target/.pom-hash want have=""
  want=$(sha256sum deploy/kafka/pom.xml | cut -d' ' -f1)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  if [ -d "$dir/lib" ]; then
    [ "$want" = "$have" ] && return
    # Jars present from before the stamp existed: keep them unless the pom is newer.
    if [ -z "$have" ] && [ ! deploy/kafka/pom.xml -nt "$dir/lib" ]; then echo "$want" >"$stamp"; return; fi
    log "deploy/kafka/pom.xml changed: fetching the Kafka jars again"
    rm -rf "$dir/lib"
  else
    log "fetching the Kafka jars with Maven"
  fi
  command -v mvn >/dev/null 2>&1 || { log "Maven (mvn) is not installed"; exit 1; }
  local out
  out=$(mvn -q -B -f deploy/kafka/pom.xml package </dev/null 2>&1) || { echo "$out" >&2; log "Maven failed"; exit 1; }
  [ -d "$dir/lib" ] || { log "Maven did not produce $dir/lib"; exit 1; }
  echo "$want" >"$stamp"
}

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h 127.0.0.1 -p 5432 -t 1
  else (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; fi
}

local_postgres() {
  pg_answers && return
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  [ -n "$version" ] || { log "no PostgreSQL cluster under /etc/postgresql"; exit 1; }
  log "starting PostgreSQL $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 9>&-  # the server must not hold our lock
  for _ in $(seq 1 60); do pg_answers && return; sleep 0.5; done
  log "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1
}

node_deps
kafka_jars
if [ "$mode" = test ]; then
  bash scripts/docker-engine.sh
else
  local_postgres
fi
log "ready for $mode ($(( ($(date +%s%N) - started) / 1000000 )) ms)"
