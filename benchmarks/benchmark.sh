#!/usr/bin/env bash
# Load generation, redisctl benchmark against redis-benchmark --cluster, side by side on one
# local 6-node cluster (3 masters, 3 replicas; `redisctl deploy --platform local`).
#
# The cluster runs with io-threads 1 (see below). Same parameters for both (-c 50 -n REQUESTS -d 3 -t set,get), at -P 1 and -P 16; runs alternate
# between the tools, RUNS runs each. Both report CSV with redis-benchmark's columns. For each
# setting it prints the median ops/s and p50 of each tool and the ratios redisctl / redis-benchmark
# (ops/s: higher is better for redisctl; p50: lower is better). Ratios are of the medians over
# runs, with both tests' rps and p50 averaged within a run.
#
# Usage: benchmarks/benchmark.sh [RUNS] [REQUESTS]   (defaults: 3 runs, 1000000 requests)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
requests=${2:-1000000}

swift build -c release --product redisctl >/dev/null
redisctl="$PWD/.build/release/redisctl"
state=$(mktemp -d)
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
cleanup() { "$redisctl" destroy --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

# io-threads 1: with the spec's 4 I/O threads per server, six servers and a client on 2 cores,
# Redis's main thread spins waiting for descheduled I/O threads and every request takes a
# scheduler timeslice (p50 above 100 ms for both tools); that measures the scheduler, not a client.
cat >"$state/redisctl.yaml" <<'YAML'
apiVersion: redisctl.io/v1alpha1
kind: RedisDeployment
metadata: {name: redis-cluster}
spec:
  redis: {ioThreads: 1}
YAML
"$redisctl" deploy -q --config "$state/redisctl.yaml" >/dev/null 2>&1
password=$(cat "$state/redis-cluster/password")
first_node=$("$redisctl" connection -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0])')
host=${first_node%:*}
port=${first_node##*:}

# Prints "rps p50" averaged over the CSV's tests.
summarise() {
  python3 -c '
import csv, sys
lines = sys.stdin.read().splitlines()
# redis-benchmark --cluster prints the masters it found before the CSV.
start = next((i for i, line in enumerate(lines) if line.startswith("\"test\"")), len(lines))
rows = [r for r in csv.DictReader(lines[start:]) if r.get("rps")]
if not rows: sys.exit("no CSV rows")
rps = sum(float(r["rps"]) for r in rows) / len(rows)
p50 = sum(float(r["p50_latency_ms"]) for r in rows) / len(rows)
print(f"{rps:.2f} {p50:.3f}")'
}

run_redisctl() {
  REDISCTL_PASSWORD="$password" "$redisctl" benchmark -q -c 50 -n "$requests" -d 3 -t set,get -P "$1" -o csv | summarise
}

run_redis_benchmark() {
  # redis-benchmark takes the password only as -a (it warns about that on stderr).
  redis-benchmark --cluster -h "$host" -p "$port" -a "$password" -c 50 -n "$requests" -d 3 -t set,get \
    -P "$1" --csv 2>/dev/null | summarise
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for pipeline in 1 16; do
  ours_rps=(); ours_p50=(); theirs_rps=(); theirs_p50=()
  for i in $(seq 1 "$runs"); do
    read -r rps p50 < <(run_redisctl "$pipeline"); ours_rps+=("$rps"); ours_p50+=("$p50")
    read -r rps p50 < <(run_redis_benchmark "$pipeline"); theirs_rps+=("$rps"); theirs_p50+=("$p50")
    echo "-P $pipeline run $i: redisctl ${ours_rps[-1]} ops/s p50 ${ours_p50[-1]} ms;" \
         "redis-benchmark ${theirs_rps[-1]} ops/s p50 ${theirs_p50[-1]} ms" >&2
  done
  our_rps=$(printf '%s\n' "${ours_rps[@]}" | median); their_rps=$(printf '%s\n' "${theirs_rps[@]}" | median)
  our_p50=$(printf '%s\n' "${ours_p50[@]}" | median); their_p50=$(printf '%s\n' "${theirs_p50[@]}" | median)
  echo "-P $pipeline (median of $runs runs, -c 50 -n $requests -d 3 -t set,get):" \
       "redisctl $our_rps ops/s p50 $our_p50 ms; redis-benchmark $their_rps ops/s p50 $their_p50 ms"
  awk -v a="$our_rps" -v b="$their_rps" -v c="$our_p50" -v d="$their_p50" -v p="$pipeline" \
    'BEGIN { printf "-P %s ratios (redisctl / redis-benchmark): ops/s %.2f, p50 %.2f\n", p, a / b, (d > 0 ? c / d : 0) }'
done
