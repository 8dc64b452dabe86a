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
cp -R apps/playground/.next/standalone "$target/apps/playground/.next/standalone"
cp config/default.yaml "$target/config/default.yaml"
cp scripts/start.mjs "$target/scripts/start.mjs"
# stories260K (1.2 MB, MIT): start.mjs preloads it beside the default so the playground shows real text offline.
cp models/fixtures/* "$target/models/fixtures/"
echo "stage-image: $(du -sh "$target" | cut -f1) in $target"
