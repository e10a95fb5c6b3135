#!/usr/bin/env bash
# Cluster formation, redisctl against redis-cli, side by side on the same machine.
#
# For each run: start 6 fresh redis-server nodes with the deployment's redis.conf
# (`redisctl deploy --platform local --skip-init`), let them settle for 3 s (as pods do before
# anyone forms a cluster; it also keeps Redis's 2 s post-start writable delay out of both
# timings), then time from the tool's start until every node reports cluster_state:ok and every
# replica reports master_link_status:up. Runs alternate between the tools; medians are compared.
#
# Usage: benchmarks/init-cluster.sh [RUNS]   (default 5 runs per tool)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

swift build -c release --product redisctl >/dev/null
redisctl="$PWD/.build/release/redisctl"
state=$(mktemp -d)
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
cleanup() { "$redisctl" destroy --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }

# Polls every node until all report cluster_state:ok and every replica's link is up.
wait_healthy() {
  local deadline=$(( $(now_ms) + 120000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    local healthy=1
    for node in $nodes; do
      local host=${node%:*}
      local info
      info=$(REDISCLI_AUTH="$password" redis-cli -h "$host" -p 6379 CLUSTER INFO 2>/dev/null | tr -d '\r')
      if ! grep -q '^cluster_state:ok' <<<"$info"; then healthy=0; break; fi
      local replication
      replication=$(REDISCLI_AUTH="$password" redis-cli -h "$host" -p 6379 INFO replication 2>/dev/null | tr -d '\r')
      if grep -q '^role:slave' <<<"$replication" && ! grep -q '^master_link_status:up' <<<"$replication"; then
        healthy=0; break
      fi
    done
    if [ "$healthy" = 1 ]; then
      # Every replica must also be attached: 3 of the 6 nodes.
      local replicas=0
      for node in $nodes; do
        REDISCLI_AUTH="$password" redis-cli -h "${node%:*}" -p 6379 INFO replication | grep -q '^role:slave' && replicas=$((replicas + 1))
      done
      [ "$replicas" -ge 3 ] && return 0
    fi
    sleep 0.02
  done
  echo "cluster did not become healthy within 120 s" >&2
  return 1
}

fresh_nodes() {
  "$redisctl" destroy --delete-data --yes -q >/dev/null 2>&1 || true
  "$redisctl" deploy --skip-init -q >/dev/null
  password=$(cat "$state/redis-cluster/password")
  nodes=$("$redisctl" connection -o json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["nodes"]))')
  sleep 3
}

time_redisctl() {
  fresh_nodes
  local start; start=$(now_ms)
  "$redisctl" init-cluster -q >/dev/null
  wait_healthy
  echo $(( $(now_ms) - start ))
}

time_redis_cli() {
  fresh_nodes
  local start; start=$(now_ms)
  # shellcheck disable=SC2086
  REDISCLI_AUTH="$password" redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes >/dev/null
  wait_healthy
  echo $(( $(now_ms) - start ))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

ours=(); theirs=()
for i in $(seq 1 "$runs"); do
  ours+=("$(time_redisctl)")
  theirs+=("$(time_redis_cli)")
  echo "run $i: redisctl ${ours[-1]} ms, redis-cli ${theirs[-1]} ms" >&2
done
ours_median=$(printf '%s\n' "${ours[@]}" | median)
theirs_median=$(printf '%s\n' "${theirs[@]}" | median)
ratio=$(awk -v a="$ours_median" -v b="$theirs_median" 'BEGIN { printf "%.2f", a / b }')
echo "init-cluster to healthy, median of $runs runs: redisctl ${ours_median} ms, redis-cli --cluster create ${theirs_median} ms"
echo "ratio (redisctl / redis-cli): $ratio"
