"""Write the JSON schemas `make k8s-check` validates with, in kubeconform's layouts.

Run it only to change a pinned version (see `deploy/k8s/README.md`); the output is
committed and nothing reads the network when the manifests are checked.

- Kubernetes' own kinds: from the `-local-strict` schemas the `kubernetes-validate`
  package ships (generated from Kubernetes' OpenAPI document), each made standalone: the
  definitions it reaches are copied into its own `$defs`, so kubeconform needs no other
  file. Written as `kubernetes/v<version>-standalone-strict/<kind>[-<group>]-<version>.json`.
- Custom resources (Strimzi, CloudNativePG): each CRD's `openAPIV3Schema`, converted as
  kubeconform's `openapi2jsonschema.py` does (objects with properties refuse other keys,
  `x-kubernetes-int-or-string` is a string or an integer, `nullable` allows null), written
  as `<group>/<kind>_<version>.json`.

    python deploy/k8s/schemas/vendor.py kubernetes DIR_OF_LOCAL_STRICT_SCHEMAS KIND_FILE...
    python deploy/k8s/schemas/vendor.py crds CRD.yaml...
"""

# ruff: noqa: INP001  (a script, run by hand)
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


def _dump(path: Path, schema: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")


def standalone(source: Path, name: str, definitions: dict[str, Any]) -> dict[str, Any]:
    """One kind's schema with every definition it reaches under its own `$defs`."""
    schema: dict[str, Any] = json.loads((source / name).read_text())
    reached: dict[str, Any] = {}

    def relink(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: relink(value) for key, value in node.items()}
            match = _REF.match(out.get("$ref", ""))
            if match:
                key = match.group(1)
                out["$ref"] = f"#/$defs/{key}"
                if key not in reached:
                    reached[key] = None  # placed first: a definition may reach itself
                    reached[key] = relink(definitions[key])
            return out
        if isinstance(node, list):
            return [relink(item) for item in node]
        return node

    out: dict[str, Any] = relink(schema)
    out.pop("$id", None)
    out["$defs"] = dict(sorted(reached.items()))
    return out


def kubernetes(source: Path, kinds: list[str]) -> None:
    """The Kubernetes kinds named (file names such as `deployment-apps-v1.json`)."""
    version = source.name.removesuffix("-local-strict")
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    for name in kinds:
        _dump(
            HERE / "kubernetes" / f"{version}-standalone-strict" / name,
            standalone(source, name, definitions),
        )


def strict(node: Any) -> Any:
    """The conversion kubeconform's `openapi2jsonschema` makes of one CRD schema, strict."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def crds(files: list[Path]) -> None:
    """Every served version of every CRD in the files."""
    for file in files:
        for crd in yaml.safe_load_all(file.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
            for version in crd["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                schema = strict(version["schema"]["openAPIV3Schema"])
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                _dump(HERE / group / f"{kind}_{version['name']}.json", schema)


if __name__ == "__main__":
    what, *arguments = sys.argv[1:]
    if what == "kubernetes":
        kubernetes(Path(arguments[0]), arguments[1:])
    elif what == "crds":
        crds([Path(a) for a in arguments])
    else:
        sys.exit(__doc__)
