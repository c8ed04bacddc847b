#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./dev.sh serve [--db PATH] [--port N]   set up .venv and open the ParamLab page on 127.0.0.1
#   ./dev.sh test  [pytest args]            set up both venvs (+ Chromium, PostgreSQL), run ruff and the suite twice:
#                                           .venv         gradio 3.41, pydantic 1, fastapi 0.94: A1111 1.10 stand-in
#                                           .venv-gradio4 gradio 4.40, pydantic 2, fastapi 0.104: Forge stand-in
#   ./dev.sh test3 / test4 [pytest args]    only one of the two runs
set -euo pipefail
cd "$(dirname "$0")"

PYTHON_BIN=${PYTHON:-python3}
GRADIO3_VENV=.venv
GRADIO4_VENV=.venv-gradio4

ensure_venv() {
    local venv=$1 requirements=$2 stamp
    stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"
    if [[ ! -x "$venv/bin/python" ]]; then
        "$PYTHON_BIN" -m venv "$venv"
    fi
    if [[ ! -f "$stamp" ]]; then
        # torch==2.13.0 resolves to the local CPU wheel; everything else is pinned to the host's versions.
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet -r "$requirements"
        touch "$stamp"
    fi
}

# apt_install PACKAGE WHY: install a Debian package (with sudo when not root)
apt_install() {
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "dev.sh: installing Debian's $1 for $2" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null
}

ensure_chromium() {
    if [[ ! -x /usr/bin/chromium ]]; then
        apt_install chromium "the browser tests"
    fi
}

ensure_postgresql() {
    # The tests start their own throw-away PostgreSQL server (tests/support/pg_server.py); they need its binaries.
    if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
        apt_install postgresql "the shared-ledger tests"
    fi
}

# run_suite VENV LABEL [pytest args]: exit status of pytest; "collected nothing" (5) counts as a failure
run_suite() {
    local venv=$1 label=$2 status
    shift 2
    echo "dev.sh: test suite under $label" >&2
    set +e
    "$venv/bin/python" -m pytest "$@"
    status=$?
    set -e
    if [[ $status -eq 5 ]]; then
        echo "dev.sh: pytest collected no tests under $label; that is a failure" >&2
        return 1
    fi
    return $status
}

command=${1:-}
shift || true
case "$command" in
    serve)
        ensure_venv "$GRADIO3_VENV" requirements-test.txt
        exec "$GRADIO3_VENV/bin/python" -m paramlab serve "$@"
        ;;
    test | test3 | test4)
        ensure_chromium
        ensure_postgresql
        status3=0
        status4=0
        if [[ $command != test4 ]]; then
            ensure_venv "$GRADIO3_VENV" requirements-test.txt
            "$GRADIO3_VENV/bin/ruff" check .
            run_suite "$GRADIO3_VENV" "gradio 3.41 (A1111 1.10 stand-in)" "$@" || status3=$?
        fi
        if [[ $command != test3 ]]; then
            ensure_venv "$GRADIO4_VENV" requirements-gradio4.txt
            run_suite "$GRADIO4_VENV" "gradio 4.40 (Forge stand-in)" "$@" || status4=$?
        fi
        echo "dev.sh: gradio 3 run exit $status3, gradio 4 run exit $status4" >&2
        if [[ $status3 -ne 0 ]]; then exit "$status3"; fi
        exit "$status4"
        ;;
    *)
        echo "usage: ./dev.sh serve [--db PATH] [--port N] | ./dev.sh test|test3|test4 [pytest args]" >&2
        exit 2
        ;;
esac
