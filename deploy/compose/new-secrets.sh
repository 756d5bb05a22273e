#!/bin/sh
# Fresh random values for every secret docker-compose.yml requires, as a .env file:
#   deploy/compose/new-secrets.sh > .env
# docker compose reads .env from the project directory. Keep it out of version control
# (it is in .gitignore) and somewhere only operators can read.
set -eu
exec python3 - <<'PY'
import base64
import secrets

def password() -> str:
    return secrets.token_urlsafe(24)  # URL-safe: the PostgreSQL URLs carry them as they are

print("# Made by deploy/compose/new-secrets.sh. Secret: never commit or share this file.")
for principal in ("ADMIN", "INTAKE", "ROUTER", "NOTIFIER", "SLA_MONITOR", "PDRM_SELANGOR"):
    print(f"LINDUNG_KAFKA_{principal}_PASSWORD={password()}")
for role in ("ADMIN", "INTAKE", "ROUTER", "NOTIFIER", "SLA_MONITOR"):
    print(f"LINDUNG_POSTGRES_{role}_PASSWORD={password()}")
print(f"INTAKE_KEY_SECRET={secrets.token_urlsafe(48)}")
print(f"INTAKE_DATA_KEYS=k1:{base64.b64encode(secrets.token_bytes(32)).decode()}")
PY
