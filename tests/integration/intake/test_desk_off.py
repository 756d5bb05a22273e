"""Without an identity provider there is no desk: `/desk` is like any unknown path."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_without_an_issuer_the_desk_answers_404_in_the_api_s_shape(client):
    for path in ("/desk/", "/desk/sign-in", "/desk/referrals/00000000-0000-4000-8000-000000000000"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {"errors": [{"field": "path", "reason": "Not Found"}]}
    posted = await client.post("/desk/sign-out", data={"csrf": "x"})
    assert posted.status_code == 415  # the API's guards: it reads only JSON
