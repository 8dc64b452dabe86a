#!/usr/bin/env bash
# The README's first command: set up a fresh machine, then run Sluice.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec pnpm start "$@"
