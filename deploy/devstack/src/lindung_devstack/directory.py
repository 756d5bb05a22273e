"""The demo's provider directory: one Open Referral HSDS 3.1 file, read as the router reads it.

The demo's router starts on it, and the stand-in providers, their keys and their webhook
endpoints are made for the providers the router builds from it, so the two never differ.
"""

from __future__ import annotations

from pathlib import Path

from lindung_router.adapters.config_files import load_directory

__all__ = ["DEMO_DIR", "DEMO_DIRECTORY", "demo_providers"]

DEMO_DIR = Path(__file__).resolve().parents[3] / "demo"
DEMO_DIRECTORY = DEMO_DIR / "directory.hsds.json"


def demo_providers(path: Path = DEMO_DIRECTORY) -> list[str]:
    """The ids of the providers the router finds in the directory, in the file's order."""
    return [provider.id for provider in load_directory(path).providers]
