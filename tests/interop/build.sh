#!/usr/bin/env bash
# The CloudEvents SDK readers the interop test drives, from their lock files: the JavaScript
# SDK with `npm ci` (again only when package-lock.json changed) and the Go reader with
# `go build` against go.sum (Go's module and build caches make a rebuild about a second).
# Exit code 1, with what to install, when Node.js or Go is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in node npm go; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "The CloudEvents interop test needs Node.js (with npm) and Go; $tool is missing." >&2
    exit 1
  fi
done
js="$here/js"
stamp="$js/node_modules/.lindung-installed"
if [ ! -f "$stamp" ] || [ "$js/package-lock.json" -nt "$stamp" ]; then
  (cd "$js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$stamp"
fi
(cd "$here/go" && GOFLAGS=-mod=readonly go build -trimpath -o cereader .)
