"""Schema names reach SQL only when they are plain; refused before any connection."""

from __future__ import annotations

import pytest
from lindung_common import apply_migrations, create_pool


@pytest.mark.parametrize(
    "schema", ["Intake", "intake; DROP TABLE outbox", "1intake", "in-take", "", "a" * 64]
)
async def test_only_plain_schema_names_are_used_in_sql(schema):
    # The URL points nowhere and there is no pool: only the refusal can answer.
    with pytest.raises(ValueError, match="schema"):
        await create_pool("postgresql://nobody@127.0.0.1:1/none", schema)
    with pytest.raises(ValueError, match="schema"):
        await apply_migrations(None, schema)  # type: ignore[arg-type]
