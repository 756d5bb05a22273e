#!/bin/sh
# Fresh random values for the Secrets the manifests name, as Kubernetes Secrets on stdout:
#   deploy/k8s/new-secrets.sh | kubectl apply -n lindung -f -
# Apply once, before PostgreSQL and Keycloak (they read them at creation). Nothing here is
# kept anywhere else: what an operator needs again (Keycloak's admin password) is read back
# from the cluster (`kubectl get secret`). The API keys file, the webhook endpoints and the
# provider directory are made from the operator's own files (deploy/k8s/README.md).
set -eu
exec python3 - <<'PY'
import base64
import json
import secrets

def password() -> str:
    return secrets.token_urlsafe(24)  # URL-safe: the services' PostgreSQL URLs carry them

def secret(name: str, values: dict[str, str], kind: str = "Opaque") -> None:
    manifest = {"apiVersion": "v1", "kind": "Secret", "type": kind,
                "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "lindung"}},
                "stringData": values}
    print("---")
    print(json.dumps(manifest, indent=2))

basic = "kubernetes.io/basic-auth"
secret("lindung-postgres-superuser", {"username": "postgres", "password": password()}, basic)
for service, role in (("intake", "intake"), ("router", "router"), ("notifier", "notifier"),
                      ("sla-monitor", "sla_monitor"), ("keycloak", "keycloak")):
    secret(f"lindung-postgres-{service}", {"username": role, "password": password()}, basic)
secret("lindung-intake", {
    "key-secret": secrets.token_urlsafe(48),
    "data-keys": f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
})
secret("lindung-desk-client", {"secret": password()})
secret("lindung-keycloak-admin", {"username": "admin", "password": password()})
PY
