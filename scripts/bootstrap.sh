#!/usr/bin/env bash
# Set up everything `make run` and `make test` need on a fresh Debian machine:
# the system libraries Qt loads (installed with apt-get only when missing), then .venv with
# the project and its test/dev extras. Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Offscreen Qt needs these on a bare Debian (../shared/DESIGN.md); the xcb ones serve a real window.
QT_LIBS="libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfreetype6 libfontconfig1 libdbus-1-3 \
libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 \
libxkbcommon-x11-0"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in $QT_LIBS; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in *"install ok installed"*) ;; *) missing="$missing $pkg" ;; esac
  done
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Qt system libraries:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "bootstrap: missing system libraries:$missing (run as root, or install them yourself)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing the project into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test,dev]'
  touch "$stamp"
fi
