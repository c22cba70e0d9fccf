#!/usr/bin/env bash
# System packages the project needs on Debian (fonts and libraries for WeasyPrint, the browser for UI tests).
# Installs only what is missing; safe to run repeatedly. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  fonts-noto-cjk          # Noto Serif/Sans CJK SC: the official documents' fallback fonts
  libharfbuzz-subset0     # fast font subsetting for WeasyPrint (7.6 s -> 0.14 s per PDF without/with)
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig   # WeasyPrint's text layout
  poppler-utils           # pdftotext/pdftoppm, to read generated PDFs back in tests
  chromium                # headless browser for the web UI tests (never downloaded by a test tool)
  wrk                     # HTTP load generator for bench/api_bench.py
  postgresql-client       # pg_dump / pg_restore for `mediation backup` / `restore` (and their tests)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
