#!/usr/bin/env bash
# Backup and restore, redisctl against redis-cli, side by side on the same machine.
#
# One local cluster (3 masters, 1 replica each; no RDB/AOF persistence so no background save
# competes) holding KEYS string keys of VALUE bytes.
#   backup:  `redisctl backup --to DIR` (shards pulled in parallel) against `redis-cli --rdb FILE`
#            run master by master (what `redis-cli --cluster backup` does); MB/s of RDB written.
#   restore: `redisctl restore --from DIR --flush` (strings as slot-grouped MSETNX) against
#            `redis-cli --pipe` mass insertion of the
#            same keys (one --pipe per master, all at once: the anchor's best case); keys/s.
# Runs alternate between the tools; medians are compared. Ratios above 1 mean redisctl is faster.
#
# Usage: benchmarks/backup.sh [RUNS] [KEYS] [VALUE_BYTES]   (default 3 runs, 1000000 keys, 100 bytes)
# Needs redis-server and redis-cli 7 (scripts/setup.sh) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
keys=${2:-1000000}
value_bytes=${3:-100}

# SWIFT_SCRATCH_PATH: build somewhere other than .build (e.g. while a debug build holds it).
# REDISCTL_BIN: measure this binary instead of building one.
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
cat >"$work/redisctl.yaml" <<'YAML'
apiVersion: redisctl.io/v1alpha1
kind: RedisDeployment
metadata: {name: bench-backup}
spec:
  masters: 3
  replicasPerMaster: 1
  redis: {save: [], appendonly: false, maxmemory: 4gb, ioThreads: 1}
YAML
rc() { local command=$1; shift; "$redisctl" "$command" --config "$work/redisctl.yaml" "$@"; }
cleanup() { rc destroy --delete-data --yes -q >/dev/null 2>&1 || true; rm -rf "$state" "$work"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "deploying a 3-master local cluster" >&2
rc deploy -q >/dev/null
password=$(cat "$state/bench-backup/password")
export REDISCLI_AUTH="$password"
nodes=$(rc connection -o json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["nodes"]))')
first=${nodes%% *}
cluster_nodes=$(redis-cli -h "${first%:*}" -p "${first##*:}" CLUSTER NODES)
masters=$(awk '$3 ~ /master/ && NF >= 9 { split($2, a, "@"); print a[1] }' <<<"$cluster_nodes")

# One RESP file of SETs per master, each holding exactly the keys of that master's slots.
echo "generating $keys keys of $value_bytes bytes" >&2
CLUSTER_NODES="$cluster_nodes" python3 - "$work" "$keys" "$value_bytes" <<'PY'
import os, sys
work, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
table = []
for i in range(256):
    crc = i << 8
    for _ in range(8):
        crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    table.append(crc)
def crc16(data):
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc
owners = []
for line in os.environ["CLUSTER_NODES"].splitlines():
    f = line.split()
    if len(f) >= 9 and "master" in f[2]:
        address = f[1].split("@")[0]
        for r in f[8:]:
            if r.startswith("["): continue
            a, _, b = r.partition("-")
            owners.append((int(a), int(b or a), address))
files = {address: open(f"{work}/pipe-{address.replace(':', '_')}.resp", "wb") for _, _, address in owners}
# Incompressible values (slices of one random block), so the RDB is as large as the data.
block = os.urandom(1 << 20)
owner_of = [None] * 16384
for start, end, address in owners:
    for slot in range(start, end + 1): owner_of[slot] = address
for i in range(count):
    key = b"key:%d" % i
    address = owner_of[crc16(key) % 16384]
    offset = (i * 7919) % (len(block) - size)
    files[address].write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, block[offset:offset + size]))
for f in files.values(): f.close()
PY

flush_all() { for m in $masters; do redis-cli -h "${m%:*}" -p "${m##*:}" FLUSHALL SYNC >/dev/null; done; }
total_keys() { local n=0; for m in $masters; do n=$(( n + $(redis-cli -h "${m%:*}" -p "${m##*:}" DBSIZE) )); done; echo "$n"; }

# Prints milliseconds.
load_with_redis_cli() {
  flush_all
  local start; start=$(now_ms)
  local pids=()
  for m in $masters; do
    redis-cli -h "${m%:*}" -p "${m##*:}" --pipe <"$work/pipe-${m/:/_}.resp" >/dev/null & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  echo $(( $(now_ms) - start ))
}

load_with_redisctl() {
  flush_all
  local start; start=$(now_ms)
  rc restore --from "$work/backups" --flush --yes -q >/dev/null
  echo $(( $(now_ms) - start ))
}

# Prints "milliseconds bytes".
backup_with_redis_cli() {
  rm -rf "$work/cli" && mkdir -p "$work/cli"
  local start; start=$(now_ms)
  for m in $masters; do redis-cli -h "${m%:*}" -p "${m##*:}" --rdb "$work/cli/${m/:/_}.rdb" >/dev/null 2>&1; done
  local elapsed=$(( $(now_ms) - start ))
  echo "$elapsed $(cat "$work"/cli/*.rdb | wc -c)"
}

backup_with_redisctl() {
  rm -rf "$work/backups"
  local start; start=$(now_ms)
  local bytes
  bytes=$(rc backup --to "$work/backups" -q -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalBytes"])')
  echo "$(( $(now_ms) - start )) $bytes"
}

load_with_redis_cli >/dev/null
loaded=$(total_keys)
[ "$loaded" -eq "$keys" ] || { echo "loaded $loaded keys, expected $keys" >&2; exit 1; }

echo "backup: $runs runs each, alternating" >&2
: >"$work/backup-ours" ; : >"$work/backup-cli"
for run in $(seq "$runs"); do
  read -r ms bytes < <(backup_with_redisctl); echo "$ms $bytes" >>"$work/backup-ours"
  echo "  run $run redisctl: $ms ms, $bytes bytes" >&2
  read -r ms bytes < <(backup_with_redis_cli); echo "$ms $bytes" >>"$work/backup-cli"
  echo "  run $run redis-cli --rdb: $ms ms, $bytes bytes" >&2
done
rate() { awk '{ printf "%.1f\n", $2 / 1000000 / ($1 / 1000) }' "$1" | median; }
ours_mbs=$(rate "$work/backup-ours"); cli_mbs=$(rate "$work/backup-cli")

echo "restore: $runs runs each, alternating" >&2
: >"$work/restore-ours" ; : >"$work/restore-cli"
for run in $(seq "$runs"); do
  ms=$(load_with_redisctl); n=$(total_keys); echo "$ms" >>"$work/restore-ours"
  echo "  run $run redisctl restore: $ms ms, $n keys" >&2
  [ "$n" -eq "$keys" ] || { echo "redisctl restored $n keys, expected $keys" >&2; exit 1; }
  ms=$(load_with_redis_cli); n=$(total_keys); echo "$ms" >>"$work/restore-cli"
  echo "  run $run redis-cli --pipe: $ms ms, $n keys" >&2
done
ours_kps=$(median <"$work/restore-ours" | awk -v k="$keys" '{ printf "%.0f", k / ($1 / 1000) }')
cli_kps=$(median <"$work/restore-cli" | awk -v k="$keys" '{ printf "%.0f", k / ($1 / 1000) }')

echo "backup  MB/s: redisctl $ours_mbs, redis-cli --rdb (master by master) $cli_mbs, ratio $(awk -v a="$ours_mbs" -v b="$cli_mbs" 'BEGIN { printf "%.2f", a / b }')"
echo "restore keys/s: redisctl $ours_kps, redis-cli --pipe $cli_kps, ratio $(awk -v a="$ours_kps" -v b="$cli_kps" 'BEGIN { printf "%.2f", a / b }')"
