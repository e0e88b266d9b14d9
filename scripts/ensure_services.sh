#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests use answer. Where the configured URLs point at
# this machine and nothing answers, starts the machine's own servers if they are installed; otherwise
# fails naming what to start.
set -u
PY=${PY:-.venv/bin/python}

answers() {  # host port
  "$PY" - "$1" "$2" <<'PYEOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PYEOF
}

host_port() {  # url default_port
  "$PY" - "$1" "$2" <<'PYEOF'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or sys.argv[2])
PYEOF
}

read -r pg_host pg_port <<<"$(host_port "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" 5432)"
read -r rd_host rd_port <<<"$(host_port "${REDIS_URL:-redis://127.0.0.1:6379/0}" 6379)"

if ! answers "$pg_host" "$pg_port"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "PostgreSQL not answering on $pg_host:$pg_port; starting the local cluster" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do answers "$pg_host" "$pg_port" && break; sleep 1; done
  fi
  answers "$pg_host" "$pg_port" || { echo "PostgreSQL is not running on $pg_host:$pg_port: start it or set DATABASE_URL" >&2; exit 1; }
fi

if ! answers "$rd_host" "$rd_port"; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis not answering on $rd_host:$rd_port; starting a local redis-server" >&2
    mkdir -p /tmp/shopsms-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$rd_port" --save "" --appendonly no \
      --dir /tmp/shopsms-redis --logfile /tmp/shopsms-redis/redis.log || true
    for _ in $(seq 1 30); do answers "$rd_host" "$rd_port" && break; sleep 1; done
  fi
  answers "$rd_host" "$rd_port" || { echo "Redis is not running on $rd_host:$rd_port: start it or set REDIS_URL" >&2; exit 1; }
fi
echo "PostgreSQL ($pg_host:$pg_port) and Redis ($rd_host:$rd_port) answer"
