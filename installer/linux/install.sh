#!/usr/bin/env bash
# Put the unpacked bundle (the folder this script is in) in the user's applications menu:
# a launcher in ~/.local/bin, the .desktop entry in ~/.local/share/applications and the icon in
# the XDG hicolor theme. No root needed; uninstall.sh undoes it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
mkdir -p "$DATA/applications" "$BIN"
ln -sf "$HERE/workstation" "$BIN/workstation"
sed "s#^Exec=.*#Exec=$HERE/workstation#" "$HERE/workstation.desktop" \
  > "$DATA/applications/workstation.desktop"
ICONS="$HERE/_internal/workstation/resources/icons"
for size in 16 24 32 48 64 128 256 512; do
  dir="$DATA/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  cp "$ICONS/workstation-$size.png" "$dir/workstation.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps"
cp "$ICONS/workstation.svg" "$DATA/icons/hicolor/scalable/apps/workstation.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "installed: $DATA/applications/workstation.desktop (runs $HERE/workstation), icons, $BIN/workstation"
