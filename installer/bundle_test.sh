#!/usr/bin/env bash
# Smoke test of the built bundle (make bundle-test; CI runs it after the tests):
# - `dist/workstation/workstation --version` agrees with the package version and the archive name;
# - `--self-test` opens the window offscreen, replays the demo through the real engine, takes a
#   screenshot and checks the alert and verdict panels filled (it prints the first-paint time);
# - install.sh puts the menu entry and icons in a scratch home and uninstall.sh takes them away.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=dist/workstation/workstation
VERSION=$(.venv/bin/python -c "from workstation import __version__; print(__version__)")
ARCHIVE="dist/workstation-${VERSION}-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m).tar.gz"
got=$("$BIN" --version)
[ "$got" = "workstation $VERSION" ] || { echo "bundle-test: --version says '$got', expected 'workstation $VERSION'" >&2; exit 1; }
[ -f "$ARCHIVE" ] || { echo "bundle-test: no $ARCHIVE" >&2; exit 1; }
echo "bundle-test: $got; $ARCHIVE"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# the self-test never touches the user's files; point the folders at the scratch dir anyway
HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
  QT_QPA_PLATFORM=offscreen "$BIN" --self-test --self-test-out "$scratch/self-test.png" \
  2> >(grep -v propagateSizeHints >&2)

# The first start on a machine with no settings creates the rules file and the data folders.
HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
  QT_QPA_PLATFORM=offscreen "$BIN" gui --at 2026-02-02T06:00:00Z --screenshot "$scratch/cascade.png" \
  2> >(grep -v propagateSizeHints >&2)
for f in "$scratch/config/workstation/rules.toml" "$scratch/data/workstation/sessions"; do
  [ -e "$f" ] || { echo "bundle-test: the first start did not make $f" >&2; exit 1; }
done

HOME="$scratch" XDG_DATA_HOME="$scratch/data" bash dist/workstation/install.sh
for f in "$scratch/data/applications/workstation.desktop" \
         "$scratch/data/icons/hicolor/48x48/apps/workstation.png" \
         "$scratch/data/icons/hicolor/scalable/apps/workstation.svg" "$scratch/.local/bin/workstation"; do
  [ -e "$f" ] || { echo "bundle-test: install.sh did not make $f" >&2; exit 1; }
done
grep -q "^Exec=$(pwd)/dist/workstation/workstation$" "$scratch/data/applications/workstation.desktop" \
  || { echo "bundle-test: the desktop entry does not run the bundle" >&2; exit 1; }
HOME="$scratch" XDG_DATA_HOME="$scratch/data" bash dist/workstation/uninstall.sh
[ ! -e "$scratch/data/applications/workstation.desktop" ] || { echo "bundle-test: uninstall.sh left the entry" >&2; exit 1; }
echo "bundle-test: OK"
