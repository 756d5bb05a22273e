"""Generate the committed contract documents from the models, or check them for drift.

    python -m lindung_contracts.generate            # write schemas/, asyncapi.json, topics/
    python -m lindung_contracts.generate --check    # exit 1 on drift or a breaking change

Writes, under the `contracts/` directory: `schemas/<event type>.json` (JSON Schema of each
payload's `data`), `schemas/envelope.json` (the CloudEvents envelope), `asyncapi.json` (one
AsyncAPI 3.0.0 document) and `topics/<topic>.md` with an index `topics/README.md`. Output
is deterministic, so regenerating without a model change leaves every byte as it was.
The golden examples in `examples/` are read (the AsyncAPI document embeds them) but never
written: they are the fixed reference the tests hold the models to.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._asyncapi import asyncapi_document
from ._schemas import JsonObject, data_schema, envelope_schema
from ._topicdocs import index_page, topic_page
from .compat import breaking_changes
from .topics import PAYLOAD_TYPES, TOPICS

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CONTRACTS_DIR",
    "BreakingChangeError",
    "check",
    "incompatibilities",
    "load_examples",
    "main",
    "render",
    "write",
]

CONTRACTS_DIR: Final = Path(__file__).resolve().parents[2]
# Every file in these directories is generated; a file there that is not is stale.
_GENERATED_DIRS: Final = ("schemas", "topics")
_REGENERATE: Final = "run `python -m lindung_contracts.generate` and commit the result"
_NEW_TYPE: Final = (
    "a breaking change must be a new event type (`…v2`) beside the unchanged v1 model; "
    "`--allow-breaking` overrides this for a type that was never released"
)


class BreakingChangeError(RuntimeError):
    """Regenerating would commit a breaking change to a released schema."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def load_examples(root: Path = CONTRACTS_DIR) -> dict[str, JsonObject]:
    """The golden example event of each registered type that has one, by event type."""
    examples: dict[str, JsonObject] = {}
    for event_type in sorted(PAYLOAD_TYPES):
        path = root / "examples" / f"{event_type}.json"
        if path.is_file():
            examples[event_type] = json.loads(path.read_text(encoding="utf-8"))
    return examples


def render(root: Path = CONTRACTS_DIR) -> dict[str, str]:
    """Every generated file's text, keyed by its path relative to `root` (POSIX style)."""
    examples = load_examples(root)
    files: dict[str, str] = {}
    for event_type, payload in sorted(PAYLOAD_TYPES.items()):
        files[f"schemas/{event_type}.json"] = _dump(data_schema(payload))
    files["schemas/envelope.json"] = _dump(envelope_schema())
    files["asyncapi.json"] = _dump(asyncapi_document(TOPICS, _version(root), examples))
    for topic in TOPICS:
        files[f"topics/{topic.name}.md"] = topic_page(topic, examples.keys())
    files["topics/README.md"] = index_page(TOPICS)
    return files


def incompatibilities(
    root: Path = CONTRACTS_DIR, rendered: dict[str, str] | None = None
) -> list[str]:
    """Every breaking change of the current models against the committed schema files."""
    rendered = render(root) if rendered is None else rendered
    problems: list[str] = []
    for path in sorted((root / "schemas").glob("*.json")):
        rel = path.relative_to(root).as_posix()
        current = rendered.get(rel)
        if current is None:
            problems.append(
                f"{_shown(root, rel)}: committed, but no payload type has it any more "
                "(removing a type breaks its consumers)"
            )
            continue
        committed = json.loads(path.read_text(encoding="utf-8"))
        problems += [
            f"{_shown(root, rel)}: {problem}"
            for problem in breaking_changes(committed, json.loads(current))
        ]
    return problems


def check(root: Path = CONTRACTS_DIR) -> list[str]:
    """Every committed file that differs from what the models generate, and every break."""
    rendered = render(root)
    problems: list[str] = []
    for rel, text in rendered.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{_shown(root, rel)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{_shown(root, rel)}: differs from what the models generate")
    problems += [f"{_shown(root, rel)}: no longer generated" for rel in _stale(root, rendered)]
    return problems + incompatibilities(root, rendered)


def write(root: Path = CONTRACTS_DIR, *, allow_breaking: bool = False) -> list[str]:
    """Write every generated file that changed and remove stale ones; returns their paths."""
    rendered = render(root)
    problems = incompatibilities(root, rendered)
    if problems and not allow_breaking:
        raise BreakingChangeError(problems)
    changed: list[str] = []
    for rel, text in rendered.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(rel)
    for rel in _stale(root, rendered):
        (root / rel).unlink()
        changed.append(rel)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate, or with `--check` report drift and breaking changes."""
    parser = argparse.ArgumentParser(
        prog="python -m lindung_contracts.generate", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 on drift or a break"
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="write even when a committed schema would break (a type never released)",
    )
    parser.add_argument("--root", type=Path, default=CONTRACTS_DIR, help="the contracts/ directory")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if not (root / "src" / "lindung_contracts").is_dir():
        sys.stderr.write(f"{root} is not the contracts/ directory of a source checkout\n")
        return 2
    if args.check:
        problems = check(root)
        if problems:
            sys.stderr.write("Contract documents are out of date or break a released schema:\n")
            sys.stderr.writelines(f"  {problem}\n" for problem in problems)
            sys.stderr.write(f"To fix drift, {_REGENERATE}; {_NEW_TYPE}.\n")
            return 1
        sys.stdout.write(f"{root.name}/: every generated contract document is up to date\n")
        return 0
    try:
        changed = write(root, allow_breaking=args.allow_breaking)
    except BreakingChangeError as exc:
        sys.stderr.write("Refusing to overwrite released schemas with breaking changes:\n")
        sys.stderr.writelines(f"  {problem}\n" for problem in exc.problems)
        sys.stderr.write(f"{_NEW_TYPE[0].upper()}{_NEW_TYPE[1:]}.\n")
        return 1
    sys.stdout.writelines(f"wrote {_shown(root, rel)}\n" for rel in changed)
    sys.stdout.write(f"{len(changed)} file(s) changed\n")
    return 0


def _stale(root: Path, rendered: dict[str, str]) -> list[str]:
    found = (
        path.relative_to(root).as_posix()
        for folder in _GENERATED_DIRS
        if (root / folder).is_dir()
        for path in (root / folder).iterdir()
        if path.is_file()
    )
    return sorted(rel for rel in found if rel not in rendered)


def _version(root: Path) -> str:
    """The contracts package version, read from its pyproject (the AsyncAPI `info.version`)."""
    project: Any = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["version"])


def _dump(document: JsonObject) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _shown(root: Path, rel: str) -> str:
    return f"{root.name}/{rel}"


if __name__ == "__main__":
    raise SystemExit(main())
