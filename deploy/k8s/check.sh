#!/usr/bin/env bash
# Renders every overlay with kustomize and validates the result with kubeconform, strict,
# against the schemas vendored under schemas/ (Kubernetes' own kinds, Strimzi's and
# CloudNativePG's): no cluster and no network but the Go module proxy (the two tools are
# built from it once, pinned, into .tools/go/bin). Exit code 1 on any invalid or unknown
# resource. Also fails when the generated Kafka topics, users or realm are out of date.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${1:-$root/.venv/bin/python}"

KUSTOMIZE_VERSION=v5.7.1
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=1.33.0

if ! command -v go >/dev/null 2>&1; then
  echo "The Kubernetes manifests' check needs Go (to build kustomize and kubeconform)." >&2
  exit 1
fi
bin="$root/.tools/go/bin"
install() {  # name, module@version: built once per version
  local stamp="$bin/.$1-$2"
  if [ ! -x "$bin/$1" ] || [ ! -f "$stamp" ]; then
    mkdir -p "$bin"
    GOBIN="$bin" go install "$3@$2" >&2
    rm -f "$bin/.$1-"*
    touch "$stamp"
  fi
}
install kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
install kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform

"$python" -m lindung_devstack k8s --check

schemas="$here/schemas"
status=0
for overlay in "$here"/overlays/*/; do
  name="$(basename "$overlay")"
  echo "overlay $name:"
  "$bin/kustomize" build "$overlay" | "$bin/kubeconform" -strict -summary \
    -kubernetes-version "$KUBERNETES_VERSION" \
    -schema-location "$schemas/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    || status=1
done
echo "new-secrets.sh:"
sh "$here/new-secrets.sh" | "$bin/kubeconform" -strict -summary \
  -kubernetes-version "$KUBERNETES_VERSION" \
  -schema-location "$schemas/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  || status=1
exit "$status"
