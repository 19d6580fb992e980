#!/usr/bin/env bash
# Installs what the MCP client tests drive engram with, into target/mcp-env (once):
#   venv/       Python with the `mcp` package (the official MCP SDK) and Selenium (which drives
#               Debian's Chromium for the web view's test), at pinned versions;
#   reference/  the MCP reference memory server (@modelcontextprotocol/server-memory) at a
#               pinned version, which the scripted session compares engram with.
# Needs python3 (3.10+) and node/npm, and the package registries. Prints the interpreter.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
env="$root/target/mcp-env"
mkdir -p "$env"
exec 9>"$env/.lock"
flock 9
if [ ! -f "$env/ready-2" ]; then
    rm -rf "$env/venv" "$env/reference"
    python3 -m venv "$env/venv" >&2
    "$env/venv/bin/pip" install --quiet --disable-pip-version-check "mcp==2.3.0" "selenium==4.45.0" >&2
    mkdir -p "$env/reference"
    (cd "$env/reference" && npm install --silent --no-audit --no-fund --no-save \
        "@modelcontextprotocol/server-memory@2026.8.31" >&2)
    touch "$env/ready-2"
fi
echo "$env/venv/bin/python"
