#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the mats log tests (no mocks).
#
#   pg_cluster.sh start DIR   initdb + pg_ctl start a cluster in DIR/pgdata that
#                             listens ONLY on a unix socket in DIR/sock (no TCP:
#                             listen_addresses=''), trust auth, database
#                             "mats"; prints the libpq connection string.
#   pg_cluster.sh stop DIR    pg_ctl stop -m immediate, then removes DIR/pgdata.
#
# initdb and postgres refuse to run as root. When run as root, the cluster is
# created and run as the unprivileged user "nobody" through runuser; DIR is
# chowned to it (DIR must be a fresh temp directory). Binaries come from
# Debian's postgresql package (/usr/lib/postgresql/<ver>/bin).
set -euo pipefail

cmd=${1:?usage: pg_cluster.sh start|stop DIR}
dir=${2:?usage: pg_cluster.sh start|stop DIR}

pgbin=""
for d in /usr/lib/postgresql/*/bin; do
  [[ -x "$d/initdb" ]] && pgbin="$d"
done
if [[ -z "$pgbin" ]]; then
  echo "pg_cluster.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 77
fi

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$dir/sock"
    if [[ $(id -u) -eq 0 ]]; then chown -R nobody "$dir"; fi
    as_owner "$pgbin/initdb" -D "$dir/pgdata" -U postgres --auth=trust \
      --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 30 \
      -o "-c listen_addresses='' -k $dir/sock -c fsync=on -c max_connections=50" \
      start >/dev/null ||
      { cat "$dir/postgres.log" >&2; exit 1; }
    as_owner "$pgbin/createdb" -h "$dir/sock" -U postgres mats
    echo "host=$dir/sock user=postgres dbname=mats"
    ;;
  stop)
    if [[ -d "$dir/pgdata" ]]; then
      as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
      rm -rf "$dir/pgdata"
    fi
    ;;
  *)
    echo "usage: pg_cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
