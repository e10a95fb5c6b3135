#!/usr/bin/env bash
# Cluster formation, redisctl against redis-cli, side by side on the same machine, in two cases:
#   own:     6 nodes with the redis.conf redisctl renders (`redisctl deploy --platform local --skip-init`)
#   foreign: 6 plain `redis-server --cluster-enabled yes` nodes with Redis's defaults (only a
#            password added) on 127.0.0.1, formed with `init-cluster --nodes`
#
# For each run: start 6 fresh nodes, let them settle for 3 s (as pods do before anyone forms a
# cluster; it also keeps Redis's 2 s post-start writable delay out of both timings), then time
# from the tool's start until every node reports cluster_state:ok and every replica reports
# master_link_status:up. Runs alternate between the tools; medians are compared per case.
#
# Usage: benchmarks/init-cluster.sh [RUNS]   (default 5 runs per tool)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

swift build -c release --product redisctl >/dev/null
redisctl="$PWD/.build/release/redisctl"
state=$(mktemp -d)
export REDISCTL_STATE_DIR="$state" REDISCTL_PLATFORM=local
# The foreign nodes' PIDs, one a line (runs happen in subshells: a file outlives them).
foreign_pids="$state/foreign.pids"
stop_foreign() {
  [ -f "$foreign_pids" ] || return 0
  local pid
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$foreign_pids"
  while read -r pid; do while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done <"$foreign_pids"
  rm -rf "$foreign_pids" "$state/foreign"
}
cleanup() { stop_foreign; "$redisctl" destroy --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }

# Polls every node until all report cluster_state:ok and every replica's link is up.
wait_healthy() {
  local deadline=$(( $(now_ms) + 120000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    local healthy=1
    for node in $nodes; do
      local info
      info=$(REDISCLI_AUTH="$password" redis-cli -h "${node%:*}" -p "${node##*:}" CLUSTER INFO 2>/dev/null | tr -d '\r')
      if ! grep -q '^cluster_state:ok' <<<"$info"; then healthy=0; break; fi
      local replication
      replication=$(REDISCLI_AUTH="$password" redis-cli -h "${node%:*}" -p "${node##*:}" INFO replication 2>/dev/null | tr -d '\r')
      if grep -q '^role:slave' <<<"$replication" && ! grep -q '^master_link_status:up' <<<"$replication"; then
        healthy=0; break
      fi
    done
    if [ "$healthy" = 1 ]; then
      # Every replica must also be attached: 3 of the 6 nodes.
      local replicas=0
      for node in $nodes; do
        REDISCLI_AUTH="$password" redis-cli -h "${node%:*}" -p "${node##*:}" INFO replication | grep -q '^role:slave' && replicas=$((replicas + 1))
      done
      [ "$replicas" -ge 3 ] && return 0
    fi
    sleep 0.02
  done
  echo "cluster did not become healthy within 120 s" >&2
  return 1
}

fresh_own_nodes() {
  "$redisctl" destroy --delete-data --yes -q >/dev/null 2>&1 || true
  "$redisctl" deploy --skip-init -q >/dev/null
  password=$(cat "$state/redis-cluster/password")
  nodes=$("$redisctl" connection -o json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["nodes"]))')
  sleep 3
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Six ports on 127.0.0.1 that are free, with their cluster bus ports (port + 10000).
free_base_port() {
  while true; do
    local base=$(( 20000 + RANDOM % 9000 )) ok=1
    for offset in 0 1 2 3 4 5; do
      port_free $(( base + offset )) && port_free $(( base + offset + 10000 )) || { ok=0; break; }
    done
    [ "$ok" = 1 ] && { echo "$base"; return; }
  done
}

fresh_foreign_nodes() {
  stop_foreign
  password=foreign-benchmark-password
  nodes=""
  local base; base=$(free_base_port)
  for offset in 0 1 2 3 4 5; do
    local port=$(( base + offset )) dir="$state/foreign/$offset"
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --dir "$dir" \
      --requirepass "$password" --masterauth "$password" --logfile "$dir/redis.log" >/dev/null 2>&1 &
    echo "$!" >>"$foreign_pids"
    nodes="$nodes 127.0.0.1:$port"
  done
  nodes=${nodes# }
  for node in $nodes; do
    until REDISCLI_AUTH="$password" redis-cli -p "${node##*:}" PING 2>/dev/null | grep -q PONG; do sleep 0.05; done
  done
  sleep 3
}

time_redisctl() {
  local case=$1
  "fresh_${case}_nodes"
  local start; start=$(now_ms)
  if [ "$case" = own ]; then
    "$redisctl" init-cluster -q >/dev/null
  else
    REDISCTL_PASSWORD="$password" "$redisctl" init-cluster -q --nodes "${nodes// /,}" >/dev/null
  fi
  wait_healthy
  echo $(( $(now_ms) - start ))
}

time_redis_cli() {
  "fresh_${1}_nodes"
  local start; start=$(now_ms)
  # shellcheck disable=SC2086
  REDISCLI_AUTH="$password" redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes >/dev/null
  wait_healthy
  echo $(( $(now_ms) - start ))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

summary=()
for case in foreign own; do
  ours=(); theirs=()
  for i in $(seq 1 "$runs"); do
    ours+=("$(time_redisctl "$case")")
    theirs+=("$(time_redis_cli "$case")")
    echo "$case nodes, run $i: redisctl ${ours[-1]} ms, redis-cli ${theirs[-1]} ms" >&2
  done
  stop_foreign
  ours_median=$(printf '%s\n' "${ours[@]}" | median)
  theirs_median=$(printf '%s\n' "${theirs[@]}" | median)
  ratio=$(awk -v a="$ours_median" -v b="$theirs_median" 'BEGIN { printf "%.2f", a / b }')
  summary+=("$(printf '%-8s nodes: redisctl %6s ms, redis-cli --cluster create %6s ms, ratio (redisctl / redis-cli) %s' \
    "$case" "$ours_median" "$theirs_median" "$ratio")")
done
echo "init-cluster to healthy, median of $runs runs per tool and case:"
printf '%s\n' "${summary[@]}"
