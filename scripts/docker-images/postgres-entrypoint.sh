#!/bin/sh
# Entrypoint of the locally built PostgreSQL test images (scripts/docker-test-env.sh).
# It follows the official postgres image's contract: POSTGRES_PASSWORD (required unless
# POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default postgres), POSTGRES_DB (default the
# user), PGDATA; on first start initdb with that user and password, password auth on TCP, the
# database created, /docker-entrypoint-initdb.d/*.sh|*.sql run; then the server on every address.
set -eu

if [ "${1:-postgres}" != postgres ] && [ "${1#-}" = "${1:-postgres}" ]; then
    exec "$@"  # another command (`docker run IMAGE bash`)
fi
[ "${1:-}" = postgres ] && shift

for BIN in /usr/lib/postgresql/*/bin; do :; done  # the one major version installed
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
AUTH=${POSTGRES_HOST_AUTH_METHOD:-md5}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$AUTH" != trust ]; then
        echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
        echo "  (set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
        exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
    "$BIN/initdb" -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$AUTH" ${POSTGRES_INITDB_ARGS:-}
    rm -f "$pwfile"
    printf 'host all all all %s\n' "$AUTH" >> "$PGDATA/pg_hba.conf"
    "$BIN/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses='' -k /var/run/postgresql" start
    psql() { "$BIN/psql" -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$POSTGRES_USER" "$@"; }
    if [ "$POSTGRES_DB" != postgres ]; then
        psql -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    # shellcheck disable=SC1090  # the image user's own init scripts
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) . "$f" ;;
            *.sql) psql -d "$POSTGRES_DB" -f "$f" ;;
        esac
    done
    "$BIN/pg_ctl" -D "$PGDATA" -w -m fast stop
    echo "PostgreSQL init process complete; ready for start up."
fi

exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -k /var/run/postgresql "$@"
