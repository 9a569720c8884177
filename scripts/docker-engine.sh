#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine and the project's images exist.
# There is no image registry here: the base image is a debootstrap root filesystem of the
# machine's own Debian mirror (read from apt's sources), imported with `docker import`.
# Project images are labelled with a hash of their inputs (Dockerfile, the files it COPYs and
# the base image id) and rebuilt only when that hash changes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BASE_IMAGE=${POINTSWEEP_BASE_IMAGE:-pointsweep/base:bookworm-1}
HASH_LABEL=dev.pointsweep.inputs-hash

log() { echo "[docker-engine] $*" >&2; }

ensure_engine() {
  if docker info >/dev/null 2>&1; then return; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq docker.io >/dev/null
  fi
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd"
    # setsid: dockerd must outlive the npm/CI process group that started it. 9>&-: it must not inherit
    # setup.sh's lock, or every later setup (npm start after npm test) waits for it until dockerd stops.
    setsid nohup dockerd >/var/log/pointsweep-dockerd.log 2>&1 </dev/null 9>&- &
  fi
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && return; sleep 0.5; done
  log "dockerd did not answer; see /var/log/pointsweep-dockerd.log"; exit 1
}

apt_mirror() {
  local m
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || { log "no Debian mirror configured in apt's sources"; exit 1; }
  echo "$m"
}

ensure_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return; fi
  command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  local dir=/var/tmp/pointsweep-rootfs
  rm -rf "$dir"
  log "debootstrap bookworm with Java 17 and PostgreSQL 15 (about 2 minutes, once per machine)"
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,postgresql-15,procps,ca-certificates \
    bookworm "$dir" "$(apt_mirror)" >/var/tmp/pointsweep-debootstrap.log 2>&1 \
    || { tail -20 /var/tmp/pointsweep-debootstrap.log >&2; exit 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
}

# Context-relative sources of the COPY/ADD instructions of a Dockerfile (not `COPY --from=`).
copy_sources() { # dockerfile
  awk 'BEGIN{IGNORECASE=1}
       /^[[:space:]]*(COPY|ADD)[[:space:]]/ && !/--from=/ {
         gsub(/[\[\],"]/, " "); n=0
         for (i=2; i<=NF; i++) if ($i !~ /^--/) a[++n]=$i
         for (i=1; i<n; i++) print a[i]
       }' "$1"
}

inputs_hash() { # dockerfile
  local df=$1 src
  {
    echo "base $(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")"
    echo "dockerfile $(sha256sum <"$df")"
    while read -r src; do
      [ -e "$root/$src" ] || { log "$df copies $src, which does not exist"; exit 1; }
      (cd "$root" && find "$src" -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
    done < <(copy_sources "$df")
  } | sha256sum | cut -c1-16
}

# Builds with a context holding only the Dockerfile and what it copies (the repo root would send
# node_modules to the daemon).
ensure_image() { # name dockerfile
  local name=$1 df=$2 want have ctx src
  want=$(inputs_hash "$df")
  have=$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$name" 2>/dev/null || true)
  [ "$want" = "$have" ] && return
  log "building $name (inputs $want)"
  ctx=$(mktemp -d /var/tmp/pointsweep-ctx.XXXXXX)
  trap 'rm -rf "$ctx"' RETURN
  while read -r src; do
    mkdir -p "$ctx/$(dirname "$src")"
    cp -al "$root/$src" "$ctx/$src" 2>/dev/null || cp -a "$root/$src" "$ctx/$src"
  done < <(copy_sources "$df")
  cp "$df" "$ctx/Dockerfile.pointsweep"
  local out
  out=$(docker build -q --network host --build-arg BASE_IMAGE="$BASE_IMAGE" --label "$HASH_LABEL=$want" \
    -t "$name" -f "$ctx/Dockerfile.pointsweep" "$ctx" 2>&1) || { echo "$out" >&2; log "building $name failed"; exit 1; }
  # Drop the superseded build of this image (now untagged).
  docker image prune -f --filter "label=$HASH_LABEL" >/dev/null 2>&1 || true
}

ensure_engine
ensure_base
ensure_image pointsweep/kafka:test "$root/deploy/images/kafka/Dockerfile"
ensure_image pointsweep/postgres:test "$root/deploy/images/postgres/Dockerfile"
