#!/usr/bin/env bash
# The alerting rules: `promtool check rules` and their unit tests (`promtool test rules`).
# promtool is built once, pinned, with `go install` (the Go module proxy) into
# .tools/go/bin, unless that version is there already. Exit code 1 when a rule is
# malformed or a test fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PROMTOOL_VERSION=v0.316.0  # Prometheus 3.x

if ! command -v go >/dev/null 2>&1; then
  echo "The alerting rules' check needs Go (to build promtool)." >&2
  exit 1
fi
bin="$root/.tools/go/bin"
stamp="$bin/.promtool-$PROMTOOL_VERSION"
if [ ! -x "$bin/promtool" ] || [ ! -f "$stamp" ]; then
  mkdir -p "$bin"
  GOBIN="$bin" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >&2
  rm -f "$bin/.promtool-"*
  touch "$stamp"
fi
cd "$here"
"$bin/promtool" check rules lindung.rules.yml
"$bin/promtool" test rules lindung.rules.test.yml
