#!/usr/bin/env bash
# Installs what redisctl's local platform and its tests need on a fresh Debian machine:
# redis-server and redis-tools (the local platform's pods, and the reference tools the
# benchmarks compare against), prometheus-redis-exporter (the metrics exporter, run by the tests
# as the exporter user), plus the manifest validators when their installer is present.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v prometheus-redis-exporter >/dev/null 2>&1 || missing+=(prometheus-redis-exporter)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -x scripts/install-validators.sh ]; then
  scripts/install-validators.sh
fi
