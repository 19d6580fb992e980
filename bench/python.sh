#!/usr/bin/env bash
# The Python package's benchmark (issue 31), side by side with Rust in the same run:
#   1. per call: each query of bench/python/queries.txt answered CALLS times on the example
#      memory through `engram.Store.query` and through Rust's `Store::query` (query_calls; also
#      with `Store::refresh` before each call, which every Python call does so that it sees other
#      processes' commits), ROUNDS rounds alternating, median per query, and the ratios;
#   2. bulk add: ROWS facts `edge(s, t)` added from Python tuples (Transaction.add_many, one
#      commit) against `engram load ROWS.tsv --relation edge` of the same rows, whole process,
#      peak memory.
#   3. how long the wheel takes to build (maturin, release), when asked (BUILD=1: from a
#      clean target directory, as from a clean clone).
#
#   bash bench/python.sh [CALLS] [ROUNDS] [ROWS]     # 2000, 5, 1000000 by default
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
calls="${1:-2000}"
rounds="${2:-5}"
rows="${3:-1000000}"
cd "$root"
cargo build --release -p engram-cli --bins >&2
cargo build --release -p engram-bench --bins >&2
env="$root/target/py-env"
if [ ! -x "$env/venv/bin/maturin" ]; then
    python3 -m venv "$env/venv"
    "$env/venv/bin/pip" install --quiet "maturin==1.16.0"
fi
"$env/venv/bin/maturin" build --release --quiet -m python/Cargo.toml -o "$env/bench-wheels" >&2
"$env/venv/bin/pip" install --quiet --force-reinstall --no-deps "$env"/bench-wheels/engram_datalog-*.whl
rm -rf "$env/bench-wheels"
py="$env/venv/bin/python"
work="$root/target/python-bench"
rm -rf "$work" && mkdir -p "$work"
engram="$root/target/release/engram"

echo "== per call: the example memory, $calls calls a query, $rounds rounds (median, microseconds)"
"$engram" --db "$work/example.db" init > /dev/null
"$engram" --db "$work/example.db" load examples/memories.jsonl > /dev/null
for i in $(seq "$rounds"); do
    target/release/query_calls "$work/example.db" bench/python/queries.txt "$calls" > "$work/rust.$i"
    target/release/query_calls "$work/example.db" bench/python/queries.txt "$calls" refresh \
        > "$work/refresh.$i"
    "$py" bench/python/query_calls.py "$work/example.db" bench/python/queries.txt "$calls" \
        > "$work/python.$i"
done
"$py" - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def read(kind):
    runs = [[line.split("\t") for line in open(f"{work}/{kind}.{i}").read().splitlines()]
            for i in range(1, rounds + 1)]
    first = runs[0]
    return [(statistics.median(float(run[q][0]) for run in runs), first[q][1], first[q][2])
            for q in range(len(first))]
rust, refresh, python = read("rust"), read("refresh"), read("python")
print(f"{'query':40} {'answers':>7} {'rust':>8} {'+refresh':>9} {'python':>8} {'py/rust':>8} {'py/+refresh':>11}")
ratios, ratios_r = [], []
for (r, n, q), (f, _, _), (p, _, _) in zip(rust, refresh, python):
    ratios.append(p / r); ratios_r.append(p / f)
    print(f"{q:40} {n:>7} {r:8.1f} {f:9.1f} {p:8.1f} {p / r:8.2f} {p / f:11.2f}")
print(f"geometric mean: python / rust {statistics.geometric_mean(ratios):.2f}x, "
      f"python / rust with refresh {statistics.geometric_mean(ratios_r):.2f}x")
PY

echo "== bulk add: $rows facts edge(s, t) (whole process, peak memory)"
"$py" - "$rows" > "$work/edge.tsv" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"n{i}\tn{(i * 7919 + 13) % n}")
PY
/usr/bin/time -f "engram init + load: %e s, %M KB peak" \
    bash -c "'$engram' --db '$work/cli.db' init --no-default-rules > /dev/null && \
             '$engram' --db '$work/cli.db' load '$work/edge.tsv' --relation edge > /dev/null"
/usr/bin/time -f "python add_many (whole process): %e s, %M KB peak" \
    "$py" bench/python/bulk_add.py "$work/edge.tsv" "$work/python.db"

if [ "${BUILD:-0}" = 1 ]; then
    echo "== the wheel from a clean target directory (maturin build --release)"
    rm -rf "$work/build-target"
    start=$(date +%s)
    CARGO_TARGET_DIR="$work/build-target" "$env/venv/bin/maturin" build --release --quiet \
        -m python/Cargo.toml -o "$work/wheel" >&2
    echo "wheel built in $(( $(date +%s) - start )) s"
    rm -rf "$work/build-target"
fi
