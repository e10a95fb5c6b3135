#!/usr/bin/env bash
# Failover time on the local platform: a master killed (SIGKILL) under write load, and the time
# until every slot is served again, for the spec's node timeout (15 s) and a shorter one (2 s).
#
# One local cluster (3 masters, 1 replica each) per node timeout; redis-benchmark --cluster writes
# throughout. After the kill, a survivor is asked every 100 ms until the killed master's slots
# belong to a master that is not failed, every survivor reports cluster_state:ok, and a write to a
# key of those slots (redis-cli -c) succeeds. `redisctl deploy` then brings the killed node back
# (as a replica) and `redisctl verify` must be healthy before the next run.
# The seed promises failover within 30 s; the ratio is that promise over the median measured
# (above 1: faster than promised).
#
# Usage: benchmarks/failover.sh [RUNS] [NODE_TIMEOUTS_MS]   (default 3 runs, "15000 2000")
# Needs redis-server, redis-cli and redis-benchmark 7 (scripts/setup.sh) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
timeouts=${2:-15000 2000}

scratch=()
if [ -n "${SWIFT_SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$SWIFT_SCRATCH_PATH"); fi
if [ -n "${REDISCTL_BIN:-}" ]; then
  redisctl="$REDISCTL_BIN"
else
  swift build -c release --product redisctl "${scratch[@]}" >/dev/null
  redisctl="$(swift build -c release --show-bin-path "${scratch[@]}")/redisctl"
fi
state=$(mktemp -d)
work=$(mktemp -d)
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
load_pid=""
rc() { local command=$1; shift; "$redisctl" "$command" --config "$work/redisctl.yaml" "$@"; }
stop_load() { if [ -n "$load_pid" ]; then kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=""; fi; }
cleanup() { stop_load; rc destroy --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state" "$work"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cli() { local address=$1; shift; redis-cli -h "${address%:*}" -p "${address##*:}" "$@"; }

# A key whose slot lies in START..END (CRC16 as Redis Cluster hashes keys).
key_in_slots() {
  python3 - "$1" "$2" <<'PY'
import sys
start, end = int(sys.argv[1]), int(sys.argv[2])
def crc16(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc
i = 0
while not start <= crc16(b"probe:%d" % i) % 16384 <= end: i += 1
print("probe:%d" % i)
PY
}

# Milliseconds from the kill of one master until its slots are served again.
measure_failover() {
  local nodes first cluster_nodes victim victim_id slots start_slot end_slot key pid started
  nodes=$(rc connection -o json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["nodes"]))')
  first=${nodes%% *}
  cluster_nodes=$(cli "$first" CLUSTER NODES)
  victim=$(awk '$3 ~ /master/ && NF >= 9 { split($2, a, "@"); print a[1]; exit }' <<<"$cluster_nodes")
  victim_id=$(awk -v v="$victim" '{ split($2, a, "@"); if (a[1] == v) print $1 }' <<<"$cluster_nodes")
  slots=$(awk -v v="$victim" '{ split($2, a, "@"); if (a[1] == v) print $9 }' <<<"$cluster_nodes")
  start_slot=${slots%-*}; end_slot=${slots#*-}
  key=$(key_in_slots "$start_slot" "$end_slot")
  local survivor=""
  for n in $nodes; do [ "$n" != "$victim" ] && survivor=$n && break; done
  # The victim's process: the PID it reports, if one of the cluster's pid files names it.
  pid=$(cli "$victim" INFO server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')
  grep -qx "$pid" "$state"/*/pods/*/redis.pid || { echo "$victim reports PID $pid, not one of the cluster's" >&2; exit 1; }
  redis-benchmark --cluster -h "${survivor%:*}" -p "${survivor##*:}" -a "$REDISCLI_AUTH" -t set -r 100000 \
    -n 1000000000 -c 8 -q >/dev/null 2>&1 & load_pid=$!
  sleep 2
  started=$(now_ms)
  kill -KILL "$pid"
  while :; do
    local view ok=1
    view=$(cli "$survivor" CLUSTER NODES 2>/dev/null || true)
    local owner
    owner=$(awk -v s="$start_slot" '$3 ~ /master/ && $3 !~ /fail/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[1] == s) print $1 } }' <<<"$view")
    if [ -z "$owner" ] || [ "$owner" = "$victim_id" ]; then ok=0; fi
    if [ "$ok" = 1 ]; then
      for n in $nodes; do
        [ "$n" = "$victim" ] && continue
        cli "$n" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok' || { ok=0; break; }
      done
    fi
    if [ "$ok" = 1 ] && [ "$(cli "$survivor" -c SET "$key" v 2>/dev/null)" = "OK" ]; then break; fi
    if [ $(( $(now_ms) - started )) -gt 120000 ]; then echo "no failover within 120 s" >&2; exit 1; fi
    sleep 0.1
  done
  echo $(( $(now_ms) - started ))
  stop_load
}

summary=()
for timeout in $timeouts; do
  cat >"$work/redisctl.yaml" <<YAML
apiVersion: redisctl.io/v1alpha1
kind: RedisDeployment
metadata: {name: bench-failover}
spec:
  masters: 3
  replicasPerMaster: 1
  redis: {clusterNodeTimeoutMs: $timeout, maxmemory: 1gb, ioThreads: 1}
YAML
  echo "deploying a 3-master local cluster, cluster-node-timeout $timeout ms" >&2
  # The previous cluster's password must not reach the new one's deploy (redisctl reads REDISCLI_AUTH).
  unset REDISCLI_AUTH
  rc deploy -q >/dev/null
  export REDISCLI_AUTH; REDISCLI_AUTH=$(cat "$state/bench-failover/password")
  times=()
  for run in $(seq "$runs"); do
    ms=$(measure_failover)
    echo "  run $run: every slot served again after $ms ms" >&2
    times+=("$ms")
    rc deploy -q >/dev/null
    rc verify -q >/dev/null || { echo "verify after the re-deploy failed" >&2; exit 1; }
  done
  rc destroy --delete-data --yes -q >/dev/null
  med=$(printf '%s\n' "${times[@]}" | median)
  ratio=$(python3 -c "print(f'{30000 / $med:.1f}')")
  summary+=("node timeout ${timeout} ms: failover median ${med} ms over $runs runs; seed's 30 s / measured = ${ratio}")
done
printf '%s\n' "${summary[@]}"
