#!/usr/bin/env bash
# Builds llama-server from the llama.cpp source that the node-llama-cpp npm package ships (a git
# bundle inside its tarball), so no network beyond the npm registry is needed. The result is
# cached per pinned version; a second run only prints the path.
# Usage: llama/build-server.sh        → prints the llama-server path on its last line
set -euo pipefail
NODE_LLAMA_CPP_VERSION=${NODE_LLAMA_CPP_VERSION:-3.22.1}
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${LLAMA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth/llama}/node-llama-cpp-$NODE_LLAMA_CPP_VERSION"
server="$cache/bin/llama-server"
if [ -x "$server" ]; then
	echo "$server"
	exit 0
fi
for tool in cmake g++ make git npm tar; do
	command -v "$tool" >/dev/null || { echo "llama: $tool is required (apt-get install -y cmake g++ make git)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "llama: fetching the llama.cpp source from node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >&2
(cd "$work" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
tar xzf "$work"/node-llama-cpp-*.tgz -C "$work" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
git clone --quiet "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
echo "llama: building llama-server ($(nproc) jobs; about 6 minutes on 2 cores)" >&2
cmake -S "$work/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
	-DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >&2
cmake --build "$work/build" --target llama-server -j"$(nproc)" >&2
mkdir -p "$cache/bin"
cp "$work/build/bin/llama-server" "$server.tmp"
cp "$work/package/llama/llama.cpp.info.json" "$cache/"
mv "$server.tmp" "$server"
echo "$server"
