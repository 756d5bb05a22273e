"""The compatibility guard: what a schema change would break for producers or consumers.

Within a version (`…v1`) only additive changes are allowed: a new optional field, a new
enum value. Anything else must be a new event type (`…v2`). The rules, applied to the
top level and to every nested object reached through the same property path:

- a property the committed schema knows is still there (payloads refuse unknown fields,
  so a removed property makes every event that still carries it undecodable);
- every property the committed schema requires is still required (consumers rely on it);
- nothing is required that the committed schema did not require (events written against
  it would be refused);
- a property keeps its JSON types, and keeps every enum (or const) value it had.

Value constraints (lengths, bounds, patterns) are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["breaking_changes"]

_Json = dict[str, Any]


def breaking_changes(committed: _Json, current: _Json) -> list[str]:
    """Every way `current` breaks events or consumers written against `committed`."""
    walk = _Walk(old_root=committed, new_root=current)
    walk.compare(committed, current, "")
    return walk.problems


@dataclass
class _Walk:
    """Both schemas walked side by side along the same property paths."""

    old_root: _Json
    new_root: _Json
    problems: list[str] = field(default_factory=list)
    # A nested model is compared once, where it is first reached: a recursive model would
    # otherwise never end, and a shared one would repeat the same findings.
    seen: set[tuple[int, int]] = field(default_factory=set)

    def compare(self, old_node: _Json, new_node: _Json, path: str) -> None:
        """Compare one property's schemas (or the top level when `path` is empty)."""
        old, new = _deref(self.old_root, old_node), _deref(self.new_root, new_node)
        where = f"`{path}`" if path else "top level"
        old_types, new_types = _types(self.old_root, old), _types(self.new_root, new)
        if old_types and new_types and old_types != new_types:
            self.problems.append(
                f"{where}: JSON type changed from {_listed(old_types)} to {_listed(new_types)}"
            )
        old_enum, new_enum = _enum(self.old_root, old), _enum(self.new_root, new)
        if old_enum and new_enum and old_enum - new_enum:
            self.problems.append(f"{where}: enum values removed: {_listed(old_enum - new_enum)}")
        old_obj, new_obj = _object(self.old_root, old), _object(self.new_root, new)
        if old_obj is not None and new_obj is not None:
            visit = (id(old_obj), id(new_obj))
            if visit not in self.seen:
                self.seen.add(visit)
                self.compare_objects(old_obj, new_obj, path)
        old_items, new_items = _items(self.old_root, old), _items(self.new_root, new)
        if old_items is not None and new_items is not None:
            self.compare(old_items, new_items, f"{path}[]")

    def compare_objects(self, old: _Json, new: _Json, path: str) -> None:
        """Compare the properties and required lists of two object schemas."""
        prefix = f"{path}." if path else ""
        old_props: _Json = old.get("properties", {})
        new_props: _Json = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name in sorted(old_props):
            shown = f"`{prefix}{name}`"
            if name not in new_props:
                kind = "required field" if name in old_required else "optional field"
                self.problems.append(f"{kind} {shown} was removed")
            elif name in old_required and name not in new_required:
                self.problems.append(f"{shown} is no longer required")
        for name in sorted(new_required - old_required):
            shown = f"`{prefix}{name}`"
            if name in old_props:
                self.problems.append(f"{shown} became required")
            else:
                self.problems.append(f"new required field {shown}")
        for name in sorted(old_props.keys() & new_props.keys()):
            self.compare(old_props[name], new_props[name], prefix + name)


def _deref(root: _Json, node: _Json) -> _Json:
    """Follow local `$ref`s (`#/...`) to the schema they name."""
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _branches(root: _Json, node: _Json) -> list[_Json]:
    """The node itself, or its `anyOf`/`oneOf` alternatives (how pydantic writes `X | None`)."""
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            return [_deref(root, branch) for branch in node[keyword]]
    return [node]


def _types(root: _Json, node: _Json) -> frozenset[str]:
    found: set[str] = set()
    for branch in _branches(root, node):
        declared = branch.get("type")
        if isinstance(declared, str):
            found.add(declared)
        elif isinstance(declared, list):
            found.update(str(t) for t in declared)
    return frozenset(found)


def _enum(root: _Json, node: _Json) -> set[str]:
    values: set[str] = set()
    for branch in _branches(root, node):
        values.update(json.dumps(v) for v in branch.get("enum", ()))
        if "const" in branch:
            values.add(json.dumps(branch["const"]))
    return values


def _object(root: _Json, node: _Json) -> _Json | None:
    shaped = [b for b in _branches(root, node) if "properties" in b or "required" in b]
    return shaped[0] if len(shaped) == 1 else None


def _items(root: _Json, node: _Json) -> _Json | None:
    arrays = [b for b in _branches(root, node) if isinstance(b.get("items"), dict)]
    return arrays[0]["items"] if len(arrays) == 1 else None


def _listed(values: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(values))
