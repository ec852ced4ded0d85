#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for evote's tests, or stop one.
#
#   scripts/start-postgres.sh [STATE_FILE]      start; the last stdout line is the SQLAlchemy URL
#   scripts/start-postgres.sh --stop STATE_FILE stop the server STATE_FILE describes, delete its files
#
# The server lives in a fresh temporary directory, listens on 127.0.0.1 on a free port (or
# $EVOTE_PG_PORT), keeps its unix socket in that directory, and runs with fsync off: its data
# is disposable. It holds one database, evote_test, owned by the role evote_ci, which has a
# random password and may create databases (the test fixtures make one per test).
#
# If pg_ctl and initdb are missing, root installs Debian's postgresql package. PostgreSQL refuses
# to run as root, so root runs the server as the system user evote-ci (created if missing).
# Progress goes to stderr; stdout carries only the URL, so `url=$(scripts/start-postgres.sh)`.
set -euo pipefail

readonly DB_NAME=evote_test
readonly DB_ROLE=evote_ci
readonly OS_USER=evote-ci
readonly SUPERUSER=postgres

log() { printf 'start-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Run a command as the server's owner: evote-ci when we are root, ourselves otherwise.
as_server_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$OS_USER" -- "$@"
    else
        "$@"
    fi
}

# The directory holding pg_ctl, initdb and postgres: PATH first (a developer's own install),
# then Debian's versioned directories, newest version first.
find_server_bin_dir() {
    local pg_ctl dir
    if pg_ctl=$(command -v pg_ctl) && command -v initdb >/dev/null; then
        dir=$(dirname "$(readlink -f "$pg_ctl")")
        if [[ -x $dir/initdb && -x $dir/postgres ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    while IFS= read -r dir; do
        if [[ -x $dir/pg_ctl && -x $dir/initdb && -x $dir/postgres ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V -r)
    return 1
}

install_server() {
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and only root can install it here" \
        "(Debian: apt-get install postgresql; or put pg_ctl and initdb on PATH)"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is missing"
    log "pg_ctl/initdb not found: installing Debian's postgresql package"
    # The package would start its own cluster on port 5432; we run our own server instead.
    local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
        trap 'rm -f "$policy"' EXIT
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
    } >&2 </dev/null || rc=$?
    if ((made_policy)); then
        rm -f "$policy"
        trap - EXIT
    fi
    ((rc == 0)) || die "apt-get install postgresql failed with exit code $rc"
}

ensure_os_user() {
    [[ $EUID -eq 0 ]] || return 0
    if ! id -u "$OS_USER" >/dev/null 2>&1; then
        log "creating system user $OS_USER to own the server (PostgreSQL refuses to run as root)"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$OS_USER"
    fi
}

free_port() {
    if [[ -n ${EVOTE_PG_PORT:-} ]]; then
        printf '%s\n' "$EVOTE_PG_PORT"
    elif command -v python3 >/dev/null; then
        python3 -c 'import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])'
    else
        printf '54329\n'
    fi
}

random_password() {
    if command -v python3 >/dev/null; then
        python3 -c 'import secrets; print(secrets.token_hex(16))'
    else
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
    fi
}

stop_server() {
    local state_file=$1
    [[ -f $state_file ]] || die "no state file at $state_file"
    local EVOTE_PG_BIN='' EVOTE_PG_DATA='' EVOTE_PG_BASE=''
    # shellcheck disable=SC1090  # written by start below, values quoted with printf %q
    . "$state_file"
    [[ -n $EVOTE_PG_BIN && -n $EVOTE_PG_DATA && -n $EVOTE_PG_BASE ]] ||
        die "state file $state_file lacks EVOTE_PG_BIN, EVOTE_PG_DATA or EVOTE_PG_BASE"
    cd /
    if [[ -f $EVOTE_PG_DATA/postmaster.pid ]]; then
        log "stopping the server in $EVOTE_PG_DATA"
        as_server_owner "$EVOTE_PG_BIN/pg_ctl" -D "$EVOTE_PG_DATA" stop -m fast -w >&2
    fi
    rm -rf -- "$EVOTE_PG_BASE"
    rm -f -- "$state_file"
}

start_server() {
    local state_file=$1
    [[ $state_file == /* ]] || state_file=$PWD/$state_file

    local bin
    if ! bin=$(find_server_bin_dir); then
        install_server
        bin=$(find_server_bin_dir) || die "postgresql installed but pg_ctl/initdb not found"
    fi
    local psql=$bin/psql
    if [[ ! -x $psql ]]; then
        psql=$(command -v psql) || die "psql not found next to pg_ctl ($bin) nor on PATH"
    fi
    log "using $("$bin/postgres" --version) from $bin"
    ensure_os_user

    local base
    base=$(mktemp -d /tmp/evote-pg.XXXXXXXX)
    local data=$base/data sock=$base/sock started=0
    # On any failure from here on, stop what we started and leave nothing behind.
    # shellcheck disable=SC2064  # expand now: these locals are gone when the trap runs
    trap "rc=\$?; if ((rc != 0)); then
            if [[ \$started == 1 ]]; then
                as_server_owner '$bin/pg_ctl' -D '$data' stop -m immediate >&2 || true
            fi
            rm -rf -- '$base'
          fi" EXIT
    mkdir "$data" "$sock"
    chmod 700 "$base" "$data" "$sock"
    [[ $EUID -ne 0 ]] || chown -R "$OS_USER:" "$base"
    cd "$base"  # the server owner may not be able to read the caller's directory

    if ! as_server_owner "$bin/initdb" -D "$data" -U "$SUPERUSER" -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$base/initdb.log" 2>&1; then
        cat "$base/initdb.log" >&2
        die "initdb failed"
    fi
    # Local (socket) logins are trusted: the socket directory is private to the server owner.
    cat >>"$data/postgresql.conf" <<CONF

# evote test server: disposable data, so durability is traded for speed: no fsync. Commits
# still write their WAL themselves (synchronous_commit's default): with it off, every commit
# signals the WAL writer, which then competes for the same two cores (8 us more per cast).
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = on
full_page_writes = off
CONF

    local port attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        log "starting the server on 127.0.0.1:$port (data in $data)"
        if as_server_owner "$bin/pg_ctl" -D "$data" -l "$base/server.log" -o "-p $port" \
            -w -t 60 start >&2 </dev/null; then
            started=1
            break
        fi
        log "start attempt $attempt failed; server log:"
        tail -n 20 "$base/server.log" >&2 || true
        [[ -z ${EVOTE_PG_PORT:-} ]] || break
    done
    ((started)) || die "the server did not start"

    local password
    password=$(random_password)
    as_server_owner "$psql" -X -q -v ON_ERROR_STOP=1 -v "pw=$password" \
        -h "$sock" -p "$port" -U "$SUPERUSER" -d postgres >&2 <<SQL
CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD :'pw';
CREATE DATABASE $DB_NAME OWNER $DB_ROLE;
SQL

    local url=postgresql+psycopg://$DB_ROLE:$password@127.0.0.1:$port/$DB_NAME
    {
        printf 'EVOTE_PG_BIN=%q\n' "$bin"
        printf 'EVOTE_PG_DATA=%q\n' "$data"
        printf 'EVOTE_PG_BASE=%q\n' "$base"
        printf 'EVOTE_PG_URL=%q\n' "$url"
    } >"$state_file"
    log "ready; stop it with: $0 --stop $state_file"
    printf '%s\n' "$url"
}

main() {
    if [[ ${1:-} == --stop ]]; then
        [[ $# -eq 2 ]] || die "usage: $0 --stop STATE_FILE"
        stop_server "$2"
    else
        [[ $# -le 1 ]] || die "usage: $0 [STATE_FILE] | --stop STATE_FILE"
        start_server "${1:-${TMPDIR:-/tmp}/evote-postgres.state}"
    fi
}

main "$@"
