#!/bin/sh
# Initialises $PGDATA on the first start (a superuser POSTGRES_USER with POSTGRES_PASSWORD
# owning POSTGRES_DB, password logins from anywhere), then runs PostgreSQL.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  chown postgres /tmp/pwfile
  su postgres -c "$bin/initdb -D '$PGDATA' -U '$POSTGRES_USER' --pwfile=/tmp/pwfile -A scram-sha-256" >/dev/null
  rm /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  su postgres -c "$bin/pg_ctl -D '$PGDATA' -w -o '-c listen_addresses=' start" >/dev/null
  su postgres -c "PGPASSWORD='$POSTGRES_PASSWORD' psql -q -h /run/postgresql -U '$POSTGRES_USER' -d postgres -c 'CREATE DATABASE \"$POSTGRES_DB\"'"
  su postgres -c "$bin/pg_ctl -D '$PGDATA' -w stop" >/dev/null
fi
exec su postgres -c "exec $bin/postgres -D '$PGDATA' -c listen_addresses='*'"
