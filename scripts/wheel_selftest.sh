#!/usr/bin/env bash
# The wheel carries everything the workstation needs (make wheel-test; CI runs it after the tests):
# build a wheel of the project, install it (not editable) in a fresh venv, and run that install's
# `workstation --self-test` from an unrelated folder, so nothing of this checkout can stand in for
# the installed package. Fails on a non-zero exit; prints how long it took.
# Usage: bash scripts/wheel_selftest.sh   (make wheel-test does the set-up first)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SECONDS=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quiet() { "$@" 2> >(grep -v "^WARNING: Location" >&2); }  # pip's notes on this machine's indexes

# From a clean copy: a build/ or *.egg-info left here by an earlier build would put files in the
# wheel whatever pyproject.toml declares.
mkdir "$scratch/src"
cp pyproject.toml README.md "$scratch/src/"
tar --exclude=__pycache__ -cf - workstation | tar -C "$scratch/src" -xf -
quiet "$PY" -m pip wheel -q --no-deps -w "$scratch/wheels" "$scratch/src"
wheel=$(echo "$scratch"/wheels/workstation-*.whl)
"$PY" -m venv "$scratch/venv"
quiet "$scratch/venv/bin/python" -m pip install -q "$wheel"
echo "wheel-test: $(basename "$wheel") installed in a fresh venv (${SECONDS} s)"

mkdir "$scratch/elsewhere"
cd "$scratch/elsewhere"
unset PYTHONPATH
where=$("$scratch/venv/bin/python" -c "import workstation; print(workstation.__file__)")
case "$where" in
  "$scratch/venv/"*) ;;
  *) echo "wheel-test: workstation imported from $where, not the fresh venv" >&2; exit 1 ;;
esac
started=$SECONDS
HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
  QT_QPA_PLATFORM=offscreen "$scratch/venv/bin/workstation" --self-test \
  --self-test-out "$scratch/self-test.png" 2> >(grep -v propagateSizeHints >&2)
echo "wheel-test: OK in ${SECONDS} s (the self-test $((SECONDS - started)) s)"
