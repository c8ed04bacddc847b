#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./dev.sh serve [--db PATH] [--port N]   set up .venv and open the ParamLab page on 127.0.0.1
#   ./dev.sh test  [pytest args]            set up .venv (+ Chromium, PostgreSQL) and run ruff and the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PYTHON_BIN=${PYTHON:-python3}

ensure_venv() {
    local requirements=$1 stamp
    stamp="$VENV/.installed-$(sha256sum "$requirements" | cut -c1-16)"
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON_BIN" -m venv "$VENV"
    fi
    if [[ ! -f "$stamp" ]]; then
        # torch==2.13.0 resolves to the local CPU wheel; everything else is pinned to the WebUI's versions.
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -r "$requirements"
        touch "$stamp"
    fi
}

ensure_chromium() {
    if [[ -x /usr/bin/chromium ]]; then
        return
    fi
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "dev.sh: installing Debian's chromium for the browser tests" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

ensure_postgresql() {
    # The tests start their own throw-away PostgreSQL server (tests/pg_server.py); they need its binaries.
    if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; then
        return
    fi
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "dev.sh: installing Debian's postgresql for the shared-ledger tests" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

command=${1:-}
shift || true
case "$command" in
    serve)
        ensure_venv requirements-test.txt
        exec "$VENV/bin/python" -m paramlab serve "$@"
        ;;
    test)
        ensure_chromium
        ensure_postgresql
        ensure_venv requirements-test.txt
        "$VENV/bin/ruff" check .
        set +e
        "$VENV/bin/python" -m pytest "$@"
        status=$?
        set -e
        if [[ $status -eq 5 ]]; then
            echo "dev.sh: pytest collected no tests; that is a failure" >&2
            exit 1
        fi
        exit $status
        ;;
    *)
        echo "usage: ./dev.sh serve [--db PATH] [--port N] | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
