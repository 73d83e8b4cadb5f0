#!/usr/bin/env bash
# Undo install.sh: the menu entry, the icons and the launcher (the bundle folder and your
# settings, rules, recordings and position book stay).
set -euo pipefail
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
rm -f "$DATA/applications/workstation.desktop" "$HOME/.local/bin/workstation"
for size in 16 24 32 48 64 128 256 512; do
  rm -f "$DATA/icons/hicolor/${size}x${size}/apps/workstation.png"
done
rm -f "$DATA/icons/hicolor/scalable/apps/workstation.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
echo "uninstalled the workstation menu entry, icons and launcher"
