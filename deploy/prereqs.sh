#!/usr/bin/env bash
# Checks what Lindung needs on the machine before anything is installed, and says exactly
# what to install when something is missing. Exit code 1 when anything is missing.
set -u
missing=()

python_ok=$(python3 -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null || echo 0)
[ "$python_ok" = 1 ] || missing+=("Python 3.11 or newer as python3, with venv (Debian: python3 python3-venv)")
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=("Python's venv module (Debian: python3-venv)")

if command -v java >/dev/null 2>&1; then
  java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  [ "${java_major:-0}" -ge 17 ] 2>/dev/null || missing+=("a JDK 17 or newer as java; found ${java_major:-unknown} (Debian: openjdk-17-jre-headless)")
else
  missing+=("a JDK 17 or newer as java, for the Kafka broker and Keycloak (Debian: openjdk-17-jre-headless)")
fi

command -v mvn >/dev/null 2>&1 || missing+=("Maven as mvn, to fetch the Kafka broker and Keycloak from Maven Central (Debian: maven)")

if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=("PostgreSQL server binaries initdb and pg_ctl (Debian: postgresql)")
fi

if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root; as root it is run as the postgres system user.
  id postgres >/dev/null 2>&1 || missing+=("the 'postgres' system user, since PostgreSQL will not run as root (Debian: postgresql creates it)")
  command -v runuser >/dev/null 2>&1 || missing+=("runuser (Debian: util-linux)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Lindung cannot start: this machine lacks" >&2
  for item in "${missing[@]}"; do echo "  - $item" >&2; done
  echo "Install those, then run the command again." >&2
  exit 1
fi
