#!/usr/bin/env bash
# Throwaway cluster for tests: trust auth, listens on 127.0.0.1:$PGPORT (host networking).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
data=/tmp/pgdata
# A restarted container keeps its cluster (fault tests restart PostgreSQL).
[ -f "$data/PG_VERSION" ] || "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
exec "$bin/postgres" -D "$data" -p "$PGPORT" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB
