#!/usr/bin/env bash
# Transparency-log HTTP benchmark (docs/benchmarks.md, "Transparency log (HTTP)").
#
#   bench/tlog_http_bench.sh BUILD_DIR [DURATION_S] [CONNECTIONS]
#
# Starts `mats serve` (embedded SQLite storage, synchronous=FULL, loopback,
# temp dir), then measures with wrk (Debian package) over keep-alive
# connections:
#   1. appends/s: POST /api/v1/entries, each answered only after its batch is
#      durable;
#   2. proof requests/s: GET /api/v1/proof/inclusion?index=I (random I);
#   3. append-to-checkpoint latency p50/p99 (tlog_latency.py): time from
#      sending an append to the first served checkpoint that covers it, under
#      a background append load;
#   4. storage bytes per entry (du of the data dir / tree size).
set -euo pipefail
build=${1:?usage: tlog_http_bench.sh BUILD_DIR [DURATION_S] [CONNECTIONS]}
dur=${2:-10}
conns=${3:-64}
mats="$build/cli/mats"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/mats-tlog-bench.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

export MATS_TOKEN=$("$mats" serve token add --data-dir "$tmp/log" --name bench --scope append)
"$mats" serve --data-dir "$tmp/log" --origin bench.test/log --listen 127.0.0.1:0 \
  --threads $((conns + 16)) --checkpoint-interval-ms 50 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q "verifier key" "$tmp/serve.out" && break; sleep 0.1; done
port=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$tmp/serve.out")
url="http://127.0.0.1:$port"
echo "== lscpu: $(lscpu | sed -n 's/^Model name: *//p')"
echo "== appends: wrk -t2 -c$conns -d${dur}s POST /api/v1/entries"
wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$here/tlog_http_append.lua" "$url" | tee "$tmp/append.txt"
size=$(curl -s "$url/api/v1/log" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
sleep 1
size=$(curl -s "$url/api/v1/log" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
echo "== tree size after append run: $size"
cat >"$tmp/proof.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/proof/inclusion?index=" .. math.random(0, $size - 1))
end
LUA
echo "== proofs: wrk -t2 -c$conns -d${dur}s GET /api/v1/proof/inclusion"
wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$tmp/proof.lua" "$url"
echo "== append-to-checkpoint latency (background load: wrk -t1 -c16)"
wrk -t1 -c16 -d"$((dur + 5))s" -s "$here/tlog_http_append.lua" "$url" >/dev/null &
wpid=$!
sleep 1
/usr/bin/python3 "$here/tlog_latency.py" "$url" "$MATS_TOKEN" 300
wait $wpid || true
size=$(curl -s "$url/api/v1/log" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
bytes=$(du -sb "$tmp/log" | cut -f1)
echo "== storage: $bytes bytes for $size entries = $((bytes / size)) bytes/entry (entries ~150 B each)"
