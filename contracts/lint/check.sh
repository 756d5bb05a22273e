#!/usr/bin/env bash
# Lints the published API documents with the tools their readers use: intake's OpenAPI
# document, as intake serves it, with Redocly's recommended rules, and contracts/asyncapi.json
# with the AsyncAPI parser; an error or a warning from either fails. The linters come from
# package-lock.json (npm ci, again only when it changed). Usage: check.sh PYTHON (the venv's).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:?usage: check.sh PYTHON}"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Linting the API documents needs Node.js 20.19 or later, with npm; $tool is missing." >&2
    exit 1
  fi
done
stamp="$here/node_modules/.lindung-installed"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$stamp"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m lindung_intake.entrypoints.openapi "$work/intake-openapi.json"
# Redocly fails on errors only and draws a banner on stderr; its JSON report has both counts.
(cd "$work" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" --format json \
  intake-openapi.json >redocly.json 2>redocly.log) || true
"$python" - "$work/redocly.json" "$work/redocly.log" <<'PY'
import json, sys
from pathlib import Path
try:
    report = json.loads(Path(sys.argv[1]).read_text())
except ValueError:
    sys.exit("redocly did not lint the document:\n" + Path(sys.argv[2]).read_text()[-3000:])
for p in report["problems"]:
    where = ", ".join(loc.get("pointer", "") for loc in p.get("location", []))
    print(f"intake-openapi.json {where}: {p['severity']} {p['ruleId']}: {p['message']}")
totals = report["totals"]
print(f"intake's OpenAPI document: {totals['errors']} errors, {totals['warnings']} warnings "
      f"(Redocly {report.get('version', '?')}, recommended rules)")
sys.exit(1 if totals["errors"] or totals["warnings"] else 0)
PY
(cd "$here/.." && node lint/asyncapi.mjs asyncapi.json)
