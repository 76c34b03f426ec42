#!/usr/bin/env bash
# Install the system packages MarketPay needs, when missing: the zbar library (QR decoding),
# Chromium (browser tests), poppler-utils (pdftoppm renders sticker PDFs in tests) and the
# DejaVu fonts (Vietnamese text in stickers). As root it uses apt-get; otherwise it prints the
# exact command to run and stops with exit code 1.
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || missing+=(libzbar0)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "MarketPay needs system packages: ${missing[*]}" >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
