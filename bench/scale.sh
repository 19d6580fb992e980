#!/usr/bin/env bash
# The scale benchmark (issue 28): a memory of MEMORIES memories and ten times as many
# relations (memgen, seed 7), loaded into a store with the standard rules, and exported for
# the MCP reference memory server; then the MCP calls (bench/mcp/scale.py, CALLS of each) and
# the CLI's whole processes (`--bench memory`'s CLI section) on it.
#
#   bash bench/scale.sh [MEMORIES] [CALLS]     # 100000 and 100 by default
#
# The memory is built once into target/scale-MEMORIES/ and reused (delete it to rebuild).
# Needs tests/mcp/setup.sh's virtualenv and reference server (it runs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
memories="${1:-100000}"
calls="${2:-100}"
cd "$root"
# Each package on its own, as `cargo bench` builds them (no crate built twice).
cargo build --release -p engram-cli --bins >&2
cargo build --release -p engram-bench --bins >&2
python="$(bash tests/mcp/setup.sh)"
dir="$root/target/scale-$memories"
engram="$root/target/release/engram"
if [ ! -f "$dir/ready" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    "$root/target/release/memgen" "$memories" $((memories * 10)) 7 > "$dir/memories.jsonl"
    "$engram" --db "$dir/memory.db" init
    /usr/bin/time -f "init + load: %e s, %M KB peak" \
        "$engram" --db "$dir/memory.db" load "$dir/memories.jsonl"
    "$engram" --db "$dir/memory.db" export --format mcp-memory > "$dir/mcp-memory.jsonl"
    cp -r "$dir/memory.db" "$dir/pristine.db"
    touch "$dir/ready"
fi
# The reference server is the peer at 100,000 memories; past that it reads a JSON file too
# large for it, so larger memories run engram's parts only (unless SCALE_PARTS says).
if [ -z "${SCALE_PARTS:-}" ] && [ "$memories" -gt 100000 ]; then
    export SCALE_PARTS=engram,visibility,cli
fi
# Every run starts from the loaded memory (the calls write to it).
rm -rf "$dir/run.db" "$dir/run-mcp.jsonl"
cp -r "$dir/pristine.db" "$dir/run.db"
cp "$dir/mcp-memory.jsonl" "$dir/run-mcp.jsonl"
"$python" bench/mcp/scale.py "$dir/run.db" "$dir/run-mcp.jsonl" "$memories" "$calls"
