#!/usr/bin/env bash
# Builds the engram-datalog wheel and tests it, as CI does (cli/tests/it/python.rs runs this
# with the long tests, `ENGRAM_LONG_TESTS=1 cargo test --workspace`):
#   1. target/py-env/venv: Python with maturin, pytest, pandas and polars at pinned versions
#      (made once);
#   2. the wheel built by maturin (release, abi3) into target/py-env/wheels, installed into
#      that venv, and the package's pytest suite run (python/tests);
#   3. a fresh virtualenv (target/py-env/fresh) with only the wheel installed runs the examples
#      (python/examples), as a user who `pip install`s it would.
# ENGRAM_BIN names the engram binary the CLI tests use (else target/release/engram);
# ENGRAM_EXAMPLE the example memory. Needs python3 (3.9+) and the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
env="$root/target/py-env"
mkdir -p "$env"
exec 9>"$env/.lock"
flock 9
if [ ! -f "$env/ready-1" ]; then
    rm -rf "$env/venv"
    python3 -m venv "$env/venv"
    "$env/venv/bin/pip" install --quiet --disable-pip-version-check \
        "maturin==1.16.0" "pytest==9.2.0" "numpy==2.4.6" "pandas==3.1.1" "polars==2.1.0"
    touch "$env/ready-1"
fi

echo "== maturin build --release (python/)"
start=$(date +%s)
rm -rf "$env/wheels"
"$env/venv/bin/maturin" build --release --quiet -m "$root/python/Cargo.toml" -o "$env/wheels"
wheel="$(ls "$env"/wheels/engram_datalog-*.whl)"
echo "built $(basename "$wheel") in $(( $(date +%s) - start )) s"
"$env/venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"

echo "== pytest python/tests"
(cd "$root/python/tests" && "$env/venv/bin/python" -m pytest -q -p no:cacheprovider)

echo "== the examples, in a fresh virtualenv with only the wheel"
rm -rf "$env/fresh"
python3 -m venv "$env/fresh"
"$env/fresh/bin/pip" install --quiet --disable-pip-version-check "$wheel"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$env/fresh/bin/python" "$root/python/examples/agent_memory.py" "$work" > agent.out)
(cd "$work" && "$env/fresh/bin/python" "$root/python/examples/explore_memory.py" \
    "${ENGRAM_EXAMPLE:-$root/examples/memories.jsonl}" > explore.out)
tail -n 1 "$work/agent.out"
grep -c "" "$work/explore.out" | sed 's/$/ lines from explore_memory.py/'
echo "python: all passed"
