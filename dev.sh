#!/usr/bin/env bash
# Set up and run access-platform from a checkout.
#
#   ./dev.sh run     create .venv, install, migrate the SQLite database,
#                    create the first administrator (printing its API key
#                    once), and serve on http://127.0.0.1:6543
#   ./dev.sh test    create .venv, install, and run the whole test suite;
#                    extra arguments go to pytest
#   ./dev.sh bench   create .venv, install, and run benchmarks/run.py;
#                    extra arguments go to it (see benchmarks/README.md)
#
# All three are safe to repeat: an existing .venv, database and administrator
# are reused. Set PYTHON to choose the interpreter (3.11 or newer).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.installed"

ensure_venv() {
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "dev.sh: $PYTHON is missing or older than Python 3.11; set PYTHON to a newer one" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when a package definition changed since the last install.
    # The first-party plugins under plugins/ are installed too, but a plugin
    # is enabled only when an ini file names it.
    local definitions=(pyproject.toml plugins/*/pyproject.toml)
    local stale=0
    for definition in "${definitions[@]}"; do
        if [ -f "$definition" ] && { [ ! -f "$STAMP" ] || [ "$definition" -nt "$STAMP" ]; }; then
            stale=1
        fi
    done
    if [ "$stale" = 1 ]; then
        local packages=(-e '.[test]')
        for definition in plugins/*/pyproject.toml; do
            if [ -f "$definition" ]; then
                packages+=(-e "$(dirname "$definition")[test]")
            fi
        done
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet "${packages[@]}"
        touch "$STAMP"
    fi
}

command=${1:-}
case "$command" in
    run)
        ensure_venv
        "$VENV/bin/access-platform" migrate development.ini
        "$VENV/bin/access-platform" create-admin development.ini --user-name admin --if-missing
        exec "$VENV/bin/pserve" development.ini
        ;;
    test)
        ensure_venv
        shift
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    bench)
        ensure_venv
        shift
        exec "$VENV/bin/python" benchmarks/run.py "$@"
        ;;
    *)
        echo "usage: ./dev.sh run | test [pytest arguments] | bench [run.py arguments]" >&2
        exit 2
        ;;
esac
