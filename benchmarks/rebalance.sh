#!/usr/bin/env bash
# Growing a loaded cluster: redisctl scale against redis-cli's add-node + rebalance, same machine.
#
# Every run starts from an identical cluster: 4 fresh local nodes (`redisctl deploy --platform local
# --skip-init`, no replicas), the first 3 formed into a cluster by `redis-cli --cluster create`, and
# 1,000,000 keys of 100 bytes loaded with `redis-cli --pipe` (each node gets the keys of its slots).
# Then one tool makes the 4th node a master with an even share of the slots:
#   - redisctl scale --masters 4
#   - redis-cli --cluster add-node + rebalance --cluster-use-empty-masters (default pipeline, 10)
#   - the same with --cluster-pipeline 1000
# timed from the tool's start until it returns. keys/s = keys that moved / seconds.
#
# Usage: benchmarks/rebalance.sh [RUNS] [KEYS]   (default 3 runs per tool, 1000000 keys)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
keys=${2:-1000000}

# REDISCTL_BIN: an already built redisctl (else a release build is made).
if [ -n "${REDISCTL_BIN:-}" ]; then
  redisctl=$REDISCTL_BIN
else
  swift build -c release --product redisctl >/dev/null
  redisctl="$PWD/.build/release/redisctl"
fi
# The nodes' files live on tmpfs (BENCH_TMP, default /dev/shm): every SETSLOT makes Redis rewrite and
# fsync nodes.conf, and on a busy disk that latency (tens of ms) would swamp what is compared here.
# redisctl pays one such write per node per batch of slots, redis-cli several per slot, so a disk
# only widens the gap.
state=$(mktemp -d -p "${BENCH_TMP:-/dev/shm}")
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
spec="$state/redisctl.yaml"
cat >"$spec" <<YAML
apiVersion: redisctl.io/v1alpha1
kind: RedisDeployment
metadata: {name: rebalance-bench}
spec: {masters: 4, replicasPerMaster: 0}
YAML
cleanup() { "$redisctl" destroy --config "$spec" --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }

# One RESP file of SET commands per slot range of a fresh 3-master cluster (redis-cli's split).
python3 - "$state" "$keys" <<'PY'
import sys
state, count = sys.argv[1], int(sys.argv[2])
table = []
for i in range(256):
    crc = i << 8
    for _ in range(8):
        crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
    table.append(crc & 0xFFFF)
def slot(key):
    crc = 0
    for b in key:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ b) & 0xFF]
    return crc & 16383
value = b"v" * 100
files = [open(f"{state}/fill-{n}.resp", "wb") for n in range(3)]
for i in range(count):
    key = b"key:%d" % i
    s = slot(key)
    node = 0 if s <= 5460 else (1 if s <= 10922 else 2)
    files[node].write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(key), key, value))
for f in files:
    f.close()
PY

cli() { REDISCLI_AUTH="$password" redis-cli "$@"; }

fresh_cluster() {
  "$redisctl" destroy --config "$spec" --delete-data --yes -q >/dev/null 2>&1 || true
  "$redisctl" deploy --config "$spec" --skip-init -q >/dev/null
  password=$(cat "$state/rebalance-bench/password")
  read -r -a nodes <<<"$("$redisctl" connection --config "$spec" -o json \
    | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["nodes"]))')"
  sleep 3
  cli --cluster create "${nodes[0]}" "${nodes[1]}" "${nodes[2]}" --cluster-yes >/dev/null
  for n in 0 1 2; do
    until cli -h "${nodes[$n]%:*}" -p 6379 CLUSTER INFO | grep -q '^cluster_state:ok'; do sleep 0.1; done
  done
  for n in 0 1 2; do cli -h "${nodes[$n]%:*}" -p 6379 --pipe <"$state/fill-$n.resp" >/dev/null & done
  wait
  local total=0
  for n in 0 1 2; do total=$((total + $(cli -h "${nodes[$n]%:*}" -p 6379 DBSIZE))); done
  [ "$total" -eq "$keys" ] || { echo "loaded $total keys, expected $keys" >&2; exit 1; }
}

# After add-node, rebalance fails ("I don't know about node ...") until every node knows the new
# one, and MIGRATE to it fails (CLUSTERDOWN) while it sits out Redis's rejoin delay
# (min(cluster-node-timeout, 5 s) in cluster_state:fail). An operator waits for both; so does this.
wait_joined() {
  local id; id=$(cli -h "${nodes[3]%:*}" -p 6379 CLUSTER MYID)
  while true; do
    local ready=1
    for n in 0 1 2; do
      cli -h "${nodes[$n]%:*}" -p 6379 CLUSTER NODES | grep "^$id" | grep -qv handshake || ready=0
    done
    cli -h "${nodes[3]%:*}" -p 6379 CLUSTER INFO | grep -q '^cluster_state:ok' || ready=0
    [ "$ready" = 1 ] && return 0
    sleep 0.02
  done
}

# Prints "<total ms> <migration ms> <keys moved>" for one tool on a fresh cluster. Migration time:
# redisctl's own measure of its slot moves (-o json), redis-cli's rebalance command alone.
time_tool() {
  fresh_cluster
  local start; start=$(now_ms)
  local migration
  case "$1" in
    redisctl)
      migration=$("$redisctl" scale --config "$spec" --masters 4 -q -o json \
        | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["migrationSeconds"] * 1000))') ;;
    redis-cli-*)
      cli --cluster add-node "${nodes[3]}" "${nodes[0]}" >/dev/null
      wait_joined
      local rebalance_start; rebalance_start=$(now_ms)
      cli --cluster rebalance "${nodes[0]}" --cluster-use-empty-masters --cluster-pipeline "${1#redis-cli-}" >/dev/null
      migration=$(( $(now_ms) - rebalance_start )) ;;
  esac
  local elapsed=$(( $(now_ms) - start ))
  local moved; moved=$(cli -h "${nodes[3]%:*}" -p 6379 DBSIZE)
  local total=0
  for n in 0 1 2 3; do total=$((total + $(cli -h "${nodes[$n]%:*}" -p 6379 DBSIZE))); done
  [ "$total" -eq "$keys" ] || { echo "$1: $total keys after the rebalance, expected $keys" >&2; exit 1; }
  [ "$moved" -gt 0 ] || { echo "$1: no key moved to the new master" >&2; exit 1; }
  echo "$elapsed $migration $moved"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A rates migration_rates
read -r -a tools <<<"${BENCH_TOOLS:-redisctl redis-cli-10 redis-cli-1000}"
for i in $(seq 1 "$runs"); do
  for tool in "${tools[@]}"; do
    read -r ms migration_ms moved <<<"$(time_tool "$tool")"
    rate=$(awk -v k="$moved" -v t="$ms" 'BEGIN { printf "%d", k / (t / 1000) }')
    migration_rate=$(awk -v k="$moved" -v t="$migration_ms" 'BEGIN { printf "%d", k / (t / 1000) }')
    rates[$tool]+="$rate "
    migration_rates[$tool]+="$migration_rate "
    echo "run $i: $tool moved $moved keys in $ms ms ($rate keys/s; slot moves alone $migration_ms ms, $migration_rate keys/s)" >&2
  done
done
medians=(); migration_medians=()
for tool in "${tools[@]}"; do
  # shellcheck disable=SC2086
  medians+=("$(printf '%s\n' ${rates[$tool]} | median)")
  # shellcheck disable=SC2086
  migration_medians+=("$(printf '%s\n' ${migration_rates[$tool]} | median)")
done
if [ "${#tools[@]}" -ne 3 ]; then
  # A subset of the tools (BENCH_TOOLS): their medians, no ratio.
  for i in "${!tools[@]}"; do echo "  ${tools[$i]}: ${medians[$i]} | ${migration_medians[$i]} keys/s (end to end | slot moves alone)"; done
  exit 0
fi
better() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }
best_cli=$(better "${medians[1]}" "${medians[2]}")
best_cli_migration=$(better "${migration_medians[1]}" "${migration_medians[2]}")
echo "rebalance 3 -> 4 masters, $keys keys of 100 bytes, median keys/s of $runs runs (end to end | slot moves alone):"
echo "  redisctl scale --masters 4:                         ${medians[0]} | ${migration_medians[0]}"
echo "  redis-cli add-node + rebalance (pipeline 10):       ${medians[1]} | ${migration_medians[1]}"
echo "  redis-cli add-node + rebalance (pipeline 1000):     ${medians[2]} | ${migration_medians[2]}"
awk -v a="${medians[0]}" -v b="$best_cli" 'BEGIN { printf "ratio end to end (redisctl / better redis-cli): %.2f\n", a / b }'
awk -v a="${migration_medians[0]}" -v b="$best_cli_migration" 'BEGIN { printf "ratio of the slot moves alone: %.2f\n", a / b }'
