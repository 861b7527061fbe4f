# Sourced by scripts/demo and scripts/test: a .venv with the project installed, refreshed when
# pyproject.toml changes. Needs only Python 3.11+ (set PYTHON to choose the interpreter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "TrainAdmin needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
    echo "Creating .venv ..." >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.trainadmin-installed-$1
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
    echo "Installing TrainAdmin ($1) ..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".$2"
    touch "$stamp"
fi
