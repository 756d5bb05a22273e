#!/usr/bin/env bash
# The browser the dashboard's end-to-end test drives: Debian's chromium (Playwright cannot
# download its own here). Installed with apt-get when missing and this runs as root;
# otherwise says what to install. Exit code 1 when it is still missing.
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the dashboard's browser test ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >&2 && apt-get install -y -qq chromium >&2; then
    command -v chromium >/dev/null 2>&1 && exit 0
  fi
  echo "apt-get could not install chromium (see above)." >&2
fi
echo "The tests need Debian's chromium as chromium, for the operations dashboard's browser test (Debian: apt-get install chromium)." >&2
exit 1
