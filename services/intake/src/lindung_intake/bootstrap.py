"""The one place where intake's adapters, handlers and entry points are wired together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lindung_common import Runtime, new_id

from .adapters.keys import load_keys
from .entrypoints.http import create_api
from .handlers import Intake

if TYPE_CHECKING:
    from fastapi import FastAPI
    from lindung_common import Clock, IdFactory

    from .settings import IntakeSettings

__all__ = ["build"]

MIGRATIONS = Path(__file__).parent / "migrations"


def build(
    settings: IntakeSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> tuple[Runtime, Intake, FastAPI]:
    """The runtime, the handlers and the HTTP app for these settings."""
    runtime = Runtime(
        service="intake",
        schema=schema or settings.db_schema,
        settings=settings,
        migrations=MIGRATIONS,
        clock=clock,
        ids=ids or new_id,
    )
    intake = Intake(
        runtime, load_keys(settings.api_keys_file), clock_skew_seconds=settings.clock_skew_seconds
    )
    return runtime, intake, create_api(intake, runtime)
