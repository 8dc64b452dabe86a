#!/usr/bin/env bash
# Assembles the production image's /app from a built workspace (`pnpm build`
# done): the compiled server with only its production dependencies (workspace
# packages as they publish: dist), the playground's standalone server, the
# default config and the launcher. deploy/Dockerfile runs this in its build
# stage; CI runs it into a temporary directory and boots what it holds
# (scripts/image-smoke.mjs), because these machines have no container engine.
# usage: scripts/stage-image.sh <target-dir>
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/stage-image.sh <target-dir>}"
for f in apps/server/dist/serveMain.js apps/playground/.next/standalone/apps/playground/server.js; do
  [ -f "$f" ] || { echo "stage-image: $f is missing: run pnpm build first" >&2; exit 1; }
done
rm -rf "$target"
mkdir -p "$target/apps/playground/.next" "$target/config" "$target/scripts" "$target/models/fixtures"
# --offline: everything is in the store after the workspace's install.
pnpm --filter @sluice/server deploy --prod --offline "$target/apps/server" >/dev/null
# Leftovers of the deploy that would make the server's directory look like a workspace.
rm -f "$target/apps/server/pnpm-workspace.yaml" "$target/apps/server/pnpm-lock.yaml"
# The addon the workspace runs: Sluice's patched build of node-llama-cpp (scripts/build-native.mjs)
# when it is in place. pnpm deploy copies the patched package from the store, without build outputs,
# so the image would otherwise load the prebuilt binaries. deploy/Dockerfile builds it portable.
if node scripts/build-native.mjs --check >/dev/null; then
  nlc_src="$(cd packages/core/node_modules/node-llama-cpp && pwd -P)"
  for nlc in "$target"/apps/server/node_modules/.pnpm/node-llama-cpp@*/node_modules/node-llama-cpp; do
    rm -rf "$nlc/llama/localBuilds"
    cp -R "$nlc_src/llama/localBuilds" "$nlc/llama/localBuilds"
    if [ -f "$nlc_src/llama/llama.cpp.info.json" ]; then cp "$nlc_src/llama/llama.cpp.info.json" "$nlc/llama/"; fi
  done
  echo "stage-image: node-llama-cpp's addon: Sluice's patched build ($(cat "$nlc_src/llama/localBuilds/.sluice-native-key"))"
else
  echo "stage-image: WARNING: no patched build of node-llama-cpp's addon in the workspace (scripts/build-native.mjs); the image runs the prebuilt binaries" >&2
fi
cp -R apps/playground/.next/standalone "$target/apps/playground/.next/standalone"
cp config/default.yaml "$target/config/default.yaml"
cp scripts/start.mjs "$target/scripts/start.mjs"
# stories260K (1.2 MB, MIT): start.mjs preloads it beside the default so the playground shows real text offline.
cp models/fixtures/* "$target/models/fixtures/"
echo "stage-image: $(du -sh "$target" | cut -f1) in $target"
