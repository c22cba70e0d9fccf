#!/usr/bin/env bash
# Starts the local PostgreSQL cluster (as the postgres user: initdb and the server refuse root) if it is down.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
if [ -z "$version" ]; then
  echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1
fi
if command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || su postgres -c "pg_ctlcluster $version main start"
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done
echo "PostgreSQL did not start" >&2; exit 1
