#!/usr/bin/env bash
# Builds the runnable release into <dir>: the built server and CLI with production dependencies
# only. The Dockerfile's build stage runs exactly this, and CI runs it under Node 24 and serves
# the result, so what the image holds is what the tests start.
# Usage: scripts/release.sh <dir>   (after npm ci; the source tree is left as it was)
set -euo pipefail
out=${1:?usage: scripts/release.sh <dir>}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
npm run --silent build >/dev/null
rm -rf "$out"
mkdir -p "$out"
cp -a build bin package.json package-lock.json node_modules "$out"/
cd "$out"
npm prune --omit=dev --no-audit --no-fund >/dev/null
# Build-time leftovers of native modules (sources, object files) are not needed to run.
rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
	node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/.deps \
	node_modules/better-sqlite3/build/deps node_modules/.package-lock.json
node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"
echo "release: $(du -sm . | cut -f1) MB in $out ($(du -sm node_modules | cut -f1) MB of production dependencies)"
