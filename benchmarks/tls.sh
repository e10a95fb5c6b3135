#!/usr/bin/env bash
# TLS against plain text: redisctl benchmark and redis-benchmark --cluster, side by side, on two
# local 6-node clusters (3 masters, 3 replicas) that differ only in `tls.enabled`
# (`redisctl deploy --platform local`; the TLS one with the cluster's own CA).
#
# Same parameters for every run (-c 50 -n REQUESTS -d 3 -t set,get -P 1); runs alternate between
# the clusters and the tools, RUNS runs each. Prints the median ops/s of each tool on each cluster,
# the ratio TLS / plain for each tool, and redisctl / redis-benchmark over TLS.
#
# Usage: benchmarks/tls.sh [RUNS] [REQUESTS]   (defaults: 3 runs, 200000 requests)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
requests=${2:-200000}

swift build -c release --product redisctl >/dev/null
redisctl="$PWD/.build/release/redisctl"
state=$(mktemp -d)
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
cleanup() {
  for name in plain encrypted; do
    "$redisctl" destroy --config "$state/$name.yaml" --delete-data --yes -q >/dev/null 2>&1 || true
  done
  rm -rf "$state"
}
trap cleanup EXIT

# io-threads 1: see benchmarks/benchmark.sh (12 servers and a client on 2 cores).
for name in plain encrypted; do
  tls=false; [ "$name" = encrypted ] && tls=true
  cat >"$state/$name.yaml" <<YAML
apiVersion: redisctl.io/v1alpha1
kind: RedisDeployment
metadata: {name: $name}
spec:
  redis: {ioThreads: 1}
  tls: {enabled: $tls}
YAML
  "$redisctl" deploy -q --config "$state/$name.yaml" >/dev/null 2>&1
done

# Prints the rps averaged over the CSV's tests.
summarise() {
  python3 -c '
import csv, sys
lines = sys.stdin.read().splitlines()
start = next((i for i, line in enumerate(lines) if line.startswith("\"test\"")), len(lines))
rows = [r for r in csv.DictReader(lines[start:]) if r.get("rps")]
if not rows: sys.exit("no CSV rows")
rps = sum(float(r["rps"]) for r in rows) / len(rows)
print(f"{rps:.2f}")'
}

run_redisctl() {
  REDISCTL_PASSWORD=$(cat "$state/$1/password") \
    "$redisctl" benchmark --config "$state/$1.yaml" -q -c 50 -n "$requests" -d 3 -t set,get -o csv | summarise
}

run_redis_benchmark() {
  local first tls=()
  first=$("$redisctl" connection --config "$state/$1.yaml" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0])')
  [ "$1" = encrypted ] && tls=(--tls --cacert "$state/$1/tls/ca.crt")
  redis-benchmark --cluster "${tls[@]}" -h "${first%:*}" -p "${first##*:}" -a "$(cat "$state/$1/password")" \
    -c 50 -n "$requests" -d 3 -t set,get --csv 2>/dev/null | summarise
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A results
for i in $(seq 1 "$runs"); do
  for name in plain encrypted; do
    ours=$(run_redisctl "$name"); theirs=$(run_redis_benchmark "$name")
    results[ours_$name]+="$ours "; results[theirs_$name]+="$theirs "
    echo "run $i, $name: redisctl $ours ops/s; redis-benchmark $theirs ops/s" >&2
  done
done
m() { tr ' ' '\n' <<<"${results[$1]}" | grep . | median; }
ours_plain=$(m ours_plain); ours_tls=$(m ours_encrypted); theirs_plain=$(m theirs_plain); theirs_tls=$(m theirs_encrypted)
echo "median of $runs runs (-c 50 -n $requests -d 3 -t set,get -P 1):"
echo "  redisctl:        plain $ours_plain ops/s, TLS $ours_tls ops/s"
echo "  redis-benchmark: plain $theirs_plain ops/s, TLS $theirs_tls ops/s"
awk -v a="$ours_tls" -v b="$ours_plain" -v c="$theirs_tls" -v d="$theirs_plain" \
  'BEGIN { printf "ratios: TLS / plain redisctl %.2f, redis-benchmark %.2f; over TLS redisctl / redis-benchmark %.2f\n", a / b, c / d, a / c }'
