#!/usr/bin/env bash
# What the test suite needs from Debian besides npm packages: Chromium for the browser tests,
# PostgreSQL for the PostgreSQL suite, nginx and openssl for the reverse-proxy tests, poppler-utils
# (pdftotext) and unzip to read exported PDFs and ZIPs back (cmake and a
# compiler for the llama-server build).
set -euo pipefail
packages=(chromium postgresql nginx openssl poppler-utils unzip cmake g++ make git)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "hearth: the tests need: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "hearth: installing ${missing[*]} (apt-get)…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a default cluster on install; the tests run their own on a free port.
if command -v pg_ctlcluster >/dev/null; then pg_ctlcluster --force 15 main stop 2>/dev/null || true; fi
# nginx may start its default site on port 80; the tests run their own on free ports.
if [ -f /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
