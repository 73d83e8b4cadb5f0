#!/usr/bin/env bash
# Build the desktop bundle: dist/workstation/ (one folder, double-clickable `workstation`) and
# dist/workstation-<version>-linux-x86_64.tar.gz. Prints the build time and the sizes.
# Usage: bash installer/build.sh   (make bundle does the set-up first)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
"$PY" -m pip install -q "pyinstaller>=6.10,<7" 2>&1 | grep -v "^WARNING: Location" || true
VERSION=$("$PY" -c "from workstation import __version__; print(__version__)")
ARCH=$(uname -m)
OS=$(uname -s | tr '[:upper:]' '[:lower:]')
ARCHIVE="dist/workstation-${VERSION}-${OS}-${ARCH}.tar.gz"
SECONDS=0
rm -rf dist/workstation build/pyinstaller
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/workstation.spec
# Symbol tables out of the shared libraries (about 30 MB), except the auditwheel-patched ones in
# *.libs folders (numpy's OpenBLAS), which stripping breaks.
if command -v strip >/dev/null; then
  find dist/workstation -name '*.so*' -type f -not -path '*.libs/*' \
    -exec strip --strip-unneeded {} + 2>/dev/null || true
fi
build_s=$SECONDS

# The bundle must not carry the build machine's GTK (or other desktop stacks) nor test tools.
if find dist/workstation -name 'libgtk*' -o -name 'libgdk-*' -o -name 'libqgtk3*' \
    -o -name 'libatk*' -o -name 'pytest*' -o -name 'hypothesis' | grep -q .; then
  echo "build: the bundle picked up GTK or test tools:" >&2
  find dist/workstation -name 'libgtk*' -o -name 'libgdk-*' -o -name 'libqgtk3*' \
    -o -name 'libatk*' -o -name 'pytest*' -o -name 'hypothesis' >&2
  exit 1
fi
cp installer/linux/workstation.desktop installer/linux/install.sh installer/linux/uninstall.sh \
  dist/workstation/
tar -C dist -czf "$ARCHIVE" workstation
archive_s=$((SECONDS - build_s))
unpacked=$(du -sm dist/workstation | cut -f1)
archive=$(du -m "$ARCHIVE" | cut -f1)
echo "build: workstation $VERSION built in ${build_s} s (the archive ${archive_s} s more)"
echo "build: dist/workstation/ is ${unpacked} MB unpacked (target: under 250 MB)"
echo "build: $ARCHIVE is ${archive} MB"
