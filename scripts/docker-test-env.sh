#!/usr/bin/env bash
# A private Docker engine with locally built database images, for migcheck's container tests
# (`migcheck verify --engine docker`) on a machine without an image registry.
#
#   bash scripts/docker-test-env.sh start   # install what is missing, start dockerd, build images
#   bash scripts/docker-test-env.sh stop    # stop the dockerd this script started
#   bash scripts/docker-test-env.sh status
#
# `start` prints `export DOCKER_HOST=...` on stdout (everything else goes to stderr), so
# `eval "$(bash scripts/docker-test-env.sh start)"` points docker clients and the tests at it.
#
# The engine is dockerd from Debian's docker.io on a private socket, data-root and exec-root under
# $MIGCHECK_DOCKER_HOME (default /var/cache/migcheck-docker); it does not touch a system dockerd.
# The images are built from Debian packages with debootstrap (the same mirror apt uses here) and
# `docker import`, and stay in that data-root: a later run on the same machine reuses them unless
# their recipe (the build steps, the entrypoint, the packages) changed.
#
#   migcheck-local/postgres:15   bookworm, postgresql-15 (+ the ip4r extension)
#   migcheck-local/ip4r:15       the same image under a name that does not say "postgres"
#   migcheck-local/postgres:13   bullseye, postgresql-13
#   migcheck-local/mariadb:10.11 bookworm, mariadb-server
#
# The entrypoints follow the official images' contracts (POSTGRES_USER/POSTGRES_PASSWORD/
# POSTGRES_DB; MARIADB_ROOT_PASSWORD/MARIADB_DATABASE): scripts/docker-images/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${MIGCHECK_DOCKER_HOME:-/var/cache/migcheck-docker}
SOCKET=$STATE/docker.sock
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log
export DOCKER_HOST=unix://$SOCKET

say() { printf 'docker-test-env: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The Debian mirror apt uses on this machine (deb822 .sources or one-line sources.list), not its
# security suite; MIGCHECK_DEBIAN_MIRROR overrides it.
debian_mirror() {
    if [ -n "${MIGCHECK_DEBIAN_MIRROR:-}" ]; then
        echo "$MIGCHECK_DEBIAN_MIRROR"
        return
    fi
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {print $2}' | grep -v -e security -e '^$' | grep -i debian | head -n 1 || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; break}}' \
            | grep -v security | grep -i debian | head -n 1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

ensure_tools() {
    local missing=()
    command -v dockerd > /dev/null || missing+=(docker.io)
    command -v debootstrap > /dev/null || missing+=(debootstrap)
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" = 0 ] || die "needs root to install ${missing[*]} (apt-get)"
    say "installing ${missing[*]} with apt-get"
    apt-get update -q > "$STATE/apt.log" 2>&1 || die "apt-get update failed: $(tail -n 1 "$STATE/apt.log")"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        >> "$STATE/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed: $(tail -n 1 "$STATE/apt.log")"
}

daemon_pid() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

start_daemon() {
    if [ -n "$(daemon_pid)" ] && docker info > /dev/null 2>&1; then
        say "dockerd already running (pid $(daemon_pid)) on $SOCKET"
        return
    fi
    rm -f "$SOCKET" "$PIDFILE"
    # setsid: the daemon outlives this script but not `stop`; its own process group for the kill.
    setsid dockerd --host "unix://$SOCKET" --data-root "$STATE/data" --exec-root "$STATE/exec" \
        --pidfile "$PIDFILE" > "$LOG" 2>&1 < /dev/null &
    local i
    for i in $(seq 1 120); do
        if docker info > /dev/null 2>&1; then
            say "dockerd started (pid $(daemon_pid)) on $SOCKET"
            return
        fi
        if [ "$i" -gt 5 ] && [ -z "$(daemon_pid)" ] && ! pgrep -f -- "--pidfile $PIDFILE" > /dev/null; then
            break
        fi
        sleep 0.5
    done
    die "dockerd did not start: $(grep -v '^$' "$LOG" | tail -n 1)"
}

stop_daemon() {
    local pid
    pid=$(daemon_pid)
    if [ -z "$pid" ]; then
        say "no dockerd of this script is running"
        return
    fi
    # Containers left by the tests go first (every migcheck container is labelled).
    docker ps -aq --filter label=migcheck.owner 2>/dev/null | xargs -r docker rm -f > /dev/null 2>&1 || true
    kill -TERM "$pid"
    local i
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { say "dockerd stopped"; return; }
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    say "dockerd killed (did not stop within 30 s)"
}

# What an image is built from: the build function's code (as bash prints it: no comments), the
# image's entrypoint and the arguments. A change to any of them rebuilds that image, nothing else.
recipe_hash() {
    local entrypoint=$1
    shift
    { declare -f build_image; cat "$HERE/docker-images/$entrypoint"; printf '%s\n' "$@"; } \
        | sha256sum | cut -c1-16
}

# build_image NAME SUITE ENTRYPOINT PORT CMD PATH PACKAGES...
build_image() {
    local name=$1 suite=$2 entrypoint=$3 port=$4 cmd=$5 path=$6
    shift 6
    local recipe have
    recipe=$(recipe_hash "$entrypoint" "$name" "$suite" "$port" "$cmd" "$path" "$@")
    have=$(docker image inspect -f '{{index .Config.Labels "migcheck.recipe"}}' "$name" 2>/dev/null || true)
    if [ "$have" = "$recipe" ]; then
        say "$name: up to date (recipe $recipe)"
        return
    fi
    local started=$SECONDS root mirror
    mirror=$(debian_mirror)
    root=$(mktemp -d "$STATE/rootfs.XXXXXX")
    # shellcheck disable=SC2064  # expand now: the trap must clean this very directory
    trap "umount '$root/proc' 2>/dev/null || true; rm -rf '$root'" EXIT
    say "$name: debootstrap $suite from $mirror"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$STATE/build-${name//[\/:]/_}.log" 2>&1 \
        || die "$name: debootstrap failed: $(tail -n 1 "$STATE/build-${name//[\/:]/_}.log")"
    # Packages' maintainer scripts must not start servers inside the build root.
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod +x "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$root/proc"
    say "$name: apt-get install $*"
    chroot "$root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends $*" >> "$STATE/build-${name//[\/:]/_}.log" 2>&1 \
        || die "$name: apt-get install failed: $(tail -n 1 "$STATE/build-${name//[\/:]/_}.log")"
    chroot "$root" apt-get clean
    umount "$root/proc"
    # The packages' own clusters/data directories: the entrypoint creates its own on first start.
    rm -rf "$root"/var/lib/postgresql/* "$root"/etc/postgresql/*/main "$root"/var/lib/mysql \
        "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man \
        "$root"/usr/share/locale "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
    install -m 0755 "$HERE/docker-images/$entrypoint" "$root/usr/local/bin/docker-entrypoint.sh"
    tar -C "$root" --numeric-owner -c . | docker import \
        --change "LABEL migcheck.recipe=$recipe" \
        --change "ENV PATH=$path" \
        --change "ENV LANG=C.UTF-8" \
        --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
        --change "CMD [\"$cmd\"]" \
        --change "EXPOSE $port" \
        - "$name" > /dev/null
    rm -rf "$root"
    trap - EXIT
    say "$name: built in $((SECONDS - started)) s"
}

# The three builds wait mostly on downloads and dpkg, not on the CPU: they run side by side.
build_images() {
    local base=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin pids=() pid failed=0
    build_image migcheck-local/postgres:15 bookworm postgres-entrypoint.sh 5432 postgres \
        "/usr/lib/postgresql/15/bin:$base" postgresql-15 postgresql-15-ip4r &
    pids+=($!)
    build_image migcheck-local/postgres:13 bullseye postgres-entrypoint.sh 5432 postgres \
        "/usr/lib/postgresql/13/bin:$base" postgresql-13 &
    pids+=($!)
    build_image migcheck-local/mariadb:10.11 bookworm mariadb-entrypoint.sh 3306 mariadbd \
        "$base" mariadb-server &
    pids+=($!)
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=1
    done
    [ "$failed" = 0 ] || die "an image build failed (logs: $STATE/build-*.log)"
    docker tag migcheck-local/postgres:15 migcheck-local/ip4r:15
}

main() {
    local command=${1:-}
    case "$command" in
        start)
            [ "$(uname -s)" = Linux ] || die "needs Linux (dockerd, debootstrap)"
            mkdir -p "$STATE"
            local started=$SECONDS
            ensure_tools
            say "tools ready after $((SECONDS - started)) s"
            start_daemon
            build_images
            say "ready in $((SECONDS - started)) s"
            echo "export DOCKER_HOST=$DOCKER_HOST"
            ;;
        stop)
            stop_daemon
            ;;
        status)
            if [ -n "$(daemon_pid)" ]; then
                say "dockerd running (pid $(daemon_pid)); DOCKER_HOST=$DOCKER_HOST"
                docker images --filter reference='migcheck-local/*' >&2
            else
                say "dockerd not running"
                exit 1
            fi
            ;;
        *)
            die "usage: $0 start|stop|status"
            ;;
    esac
}

main "$@"
