#!/usr/bin/env bash
# Installs everything Sluice needs on a fresh Debian/Node machine: pnpm (pinned),
# the Debian packages the tests use (redis-server, prometheus for promtool,
# chromium for the playground's browser tests, haproxy for the scale-out test,
# bubblewrap for the runner sandbox, tmux for the terminal tests of `sluice run`
# and `sluice models verify`, cmake and g++ for the patched node-llama-cpp addon),
# and the workspace's packages.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v promtool >/dev/null || need_apt+=(prometheus)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v haproxy >/dev/null || need_apt+=(haproxy)
# Runners are sandboxed with bubblewrap where it can run (runtime.sandbox).
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v tmux >/dev/null || need_apt+=(tmux)
# Sluice's patched node-llama-cpp addon (scripts/build-native.mjs) compiles with them.
command -v cmake >/dev/null || need_apt+=(cmake)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  # policy-rc.d keeps apt from starting prometheus/redis/haproxy as system services;
  # the tests start their own instances on random ports.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  $SUDO npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

# better-sqlite3 compiles against Node's headers; this machine kind ships them
# under /usr, so node-gyp must not try to download them.
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile
# node-llama-cpp's addon with Sluice's patch (several embedding texts per decode), built
# once from the llama.cpp source it bundles and cached; falls back to the prebuilt binaries
# with a warning when it can not be built.
node scripts/build-native.mjs
