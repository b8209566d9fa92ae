#!/usr/bin/env bash
# Installs what the tests need beyond Python: Debian's Chromium (browser tests), the Noto CJK font
# (Chinese PDFs) and gettext (translation catalogs). Only what is missing; needs root for apt.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need+=(gettext)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${need[*]} (run as root: apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]} …"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
