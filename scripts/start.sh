#!/usr/bin/env bash
# The README's first command: set up a fresh machine, then run Sluice.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# node directly, not `pnpm start`: pnpm does not pass SIGTERM on to its child.
exec node scripts/start.mjs "$@"
