#!/bin/sh
# Entrypoint of the locally built MariaDB test image (scripts/docker-test-env.sh).
# It follows the official mariadb image's contract: MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD,
# or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1), MARIADB_DATABASE (or MYSQL_DATABASE), MARIADB_USER and
# MARIADB_PASSWORD; on first start the data directory is created, root may log in from anywhere
# with that password, the database and user are created; then the server on every address.
set -eu

if [ "${1:-mariadbd}" != mariadbd ] && [ "${1:-mariadbd}" != mysqld ] && [ "${1#-}" = "${1:-mariadbd}" ]; then
    exec "$@"
fi
case "${1:-}" in mariadbd|mysqld) shift ;; esac

DATADIR=/var/lib/mysql
ROOT_PASSWORD=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
DATABASE=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
USER_NAME=${MARIADB_USER:-${MYSQL_USER:-}}
USER_PASSWORD=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
ALLOW_EMPTY=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}

mkdir -p "$DATADIR" /run/mysqld
chown -R mysql:mysql "$DATADIR" /run/mysqld

sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "$ROOT_PASSWORD" ] && [ -z "$ALLOW_EMPTY" ]; then
        echo "error: database is uninitialized and MARIADB_ROOT_PASSWORD is not set" >&2
        echo "  (set MARIADB_ROOT_PASSWORD, or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)" >&2
        exit 1
    fi
    mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
        --auth-root-authentication-method=normal > /dev/null
    mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
    pid=$!
    i=0
    until mariadb-admin --socket=/run/mysqld/init.sock -uroot ping > /dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2> /dev/null; then
            echo "error: the temporary server did not start" >&2
            exit 1
        fi
        sleep 0.2
    done
    pw=$(sql_string "$ROOT_PASSWORD")
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DROP USER IF EXISTS ''@'localhost', ''@'$(hostname)';"
        echo "CREATE USER 'root'@'%' IDENTIFIED BY $pw;"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
        if [ -n "$DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$DATABASE\`;"
        fi
        if [ -n "$USER_NAME" ]; then
            echo "CREATE USER '$USER_NAME'@'%' IDENTIFIED BY $(sql_string "$USER_PASSWORD");"
            [ -n "$DATABASE" ] && echo "GRANT ALL ON \`$DATABASE\`.* TO '$USER_NAME'@'%';"
        fi
        echo "FLUSH PRIVILEGES;"
    } | mariadb --socket=/run/mysqld/init.sock -uroot
    # shellcheck disable=SC1090  # the image user's own init scripts
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) . "$f" ;;
            *.sql) mariadb --socket=/run/mysqld/init.sock -uroot --password="$ROOT_PASSWORD" ${DATABASE:+"$DATABASE"} < "$f" ;;
        esac
    done
    kill "$pid"
    wait "$pid" || true
    echo "MariaDB init process done. Ready for start up."
fi

exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 \
    --socket=/run/mysqld/mysqld.sock "$@"
