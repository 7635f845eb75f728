# Helpers for scripts/test.sh: package installs and a throw-away PostgreSQL cluster.

step() { printf '\n==> %s\n' "$*"; }

# Commands run when the script exits, last registered first.
EXIT_HOOKS=()
on_exit() {
    EXIT_HOOKS=("$*" "${EXIT_HOOKS[@]}")
    trap 'for hook in "${EXIT_HOOKS[@]}"; do eval "$hook"; done' EXIT
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are not installed yet.
need_debian_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a PostgreSQL cluster in a temporary directory on a free loopback port, stopped and
# removed when the script exits. Sets PG_URL (a superuser URL) and PG_BIN.
start_postgres() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    PG_DIR=$(mktemp -d /tmp/omegi-pg.XXXXXX)
    local port run=()
    port=$(free_port)
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
    "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=300" start >/dev/null
    PG_STOP=("${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
    on_exit stop_postgres
    PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $PG_URL"
}

stop_postgres() {
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}

# Creates (or updates) a virtualenv at $1 with the requirements files that follow.
python_venv() {
    local venv=$1
    shift
    python3 -m venv --help >/dev/null 2>&1 || need_debian_packages python3-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    local args=()
    for r in "$@"; do args+=(-r "$r"); done
    "$venv/bin/pip" install -q --disable-pip-version-check "${args[@]}"
}
