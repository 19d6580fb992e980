#!/usr/bin/env bash
# `engram serve` under load (issue 30): the example memory (or, with MEMORIES, bench/scale.sh's
# memory of that many) in a fresh store, served with tokens; serve_load's clients on the REST
# API for SECONDS each: reads only (recall, search, entities), single-relation writes only
# (`relate`, inferred from at once, answered once durable), a mix with a fifth writes, and
# reads again after the writes. Prints one JSON line per run, then the server's peak memory.
#
#   [READERS=N] bash bench/serve.sh [CLIENTS] [SECONDS] [MEMORIES]  # 2, 8, 5, the example memory
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-8}"
seconds="${2:-5}"
memories="${3:-}"
cd "$root"
cargo build --release -p engram-cli --bins >&2
cargo build --release -p engram-bench --bins >&2
engram="$root/target/release/engram"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
token="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "write $token" > "$work/tokens"
if [ -n "$memories" ]; then
    bash bench/scale.sh "$memories" 1 > /dev/null
    cp -r "target/scale-$memories/pristine.db" "$work/memory.db"
else
    "$engram" --db "$work/memory.db" init > /dev/null
    "$engram" --db "$work/memory.db" load examples/memories.jsonl > /dev/null
fi
"$engram" --db "$work/memory.db" serve --listen 127.0.0.1:0 --token-file "$work/tokens" \
    --readers "${READERS:-2}" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do
    base="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.err" | head -1 || true)"
    [ -n "$base" ] && break
    sleep 0.1
done
[ -n "$base" ] || { cat "$work/serve.err" >&2; exit 1; }
load="$root/target/release/serve_load"
for share in 0 1 0.2 0; do
    "$load" "$base" "$token" "$clients" "$seconds" "$share"
done
echo "server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}'), anonymous now: $(grep RssAnon /proc/$server/status | awk '{print $2, $3}')"
kill -TERM "$server"
wait "$server"
