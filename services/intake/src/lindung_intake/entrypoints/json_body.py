"""A strict JSON reading of every request body, with limits, before a route sees it.

The standard library's parser (in C) with hooks that refuse, as the document is built:
an object with more members or an array with more items than its limit, more values in
the whole body than the limit, nesting deeper than the limit, a number longer than the
limit, a key that appears twice in one object, and `NaN` or `Infinity` (not JSON). What
is not UTF-8 or not JSON is refused too. So no body costs more than a few milliseconds to
read, and what a route then validates is bounded. Refusals say what was wrong, never
what the body held: 400 when the body cannot be read as JSON, 422 when it is JSON beyond
the limits; the field is `body`.

A plain ASGI middleware, so that it runs before routing for every route that takes a
body; the route then parses the same bytes again, which costs less than the checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from lindung_contracts import FieldError

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.responses import Response

__all__ = ["LIMITS", "BodyRefused", "JsonLimits", "StrictJson", "parse"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UNREADABLE = 400
_BEYOND_LIMITS = 422


@dataclass(frozen=True)
class JsonLimits:
    """How much JSON one request body may hold. A real identification uses a few percent."""

    depth: int = 32
    members: int = 256
    items: int = 256
    values: int = 4096
    number_chars: int = 40


# An identification nests 4 deep, has at most 13 members in an object, 10 items in an
# array, about 150 values in all and numbers of a few digits.
LIMITS = JsonLimits()


class BodyRefused(Exception):
    """The body is not JSON, or is JSON beyond the limits; `status` and `reason` say which."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse(body: bytes, limits: JsonLimits = LIMITS) -> Any:
    """The JSON document in `body`, or `BodyRefused`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused(_UNREADABLE, "not valid UTF-8") from None
    # Building containers costs most: counted first, generously, since a bracket in a
    # string counts too (a real body has a few dozen containers and some text).
    if body.count(b"[") + body.count(b"{") > 4 * limits.values:
        _beyond(f"the body holds more than {limits.values} values")
    checks = _Checks(limits)
    try:
        document = json.loads(
            text,
            object_pairs_hook=checks.object,
            parse_int=checks.integer,
            parse_float=checks.fraction,
            parse_constant=_not_json,
        )
    except json.JSONDecodeError:
        raise BodyRefused(_UNREADABLE, "not valid JSON") from None
    except RecursionError:  # the parser's own guard, far beyond the depth limit
        _beyond(f"nested deeper than {limits.depth}")
    if isinstance(document, list):
        checks.array(document, limits.depth)
    return document


class _Checks:
    """The hooks of one parse: objects are built innermost first, so heights add up."""

    def __init__(self, limits: JsonLimits) -> None:
        self.limits = limits
        self.values = 0
        # The height of every object built so far, by id: each is kept in the document,
        # so no id is reused while the parse runs.
        self.heights: dict[int, int] = {}

    def object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        limits = self.limits
        if len(pairs) > limits.members:
            _beyond(f"an object has more than {limits.members} members")
        self._count(1 + len(pairs))
        built = dict(pairs)
        if len(built) != len(pairs):
            _beyond("a key appears more than once in one object")
        height = 1
        for _, value in pairs:
            if isinstance(value, dict):
                height = max(height, 1 + self.heights[id(value)])
            elif isinstance(value, list):
                height = max(height, 1 + self.array(value, limits.depth - 1))
        if height > limits.depth:
            _beyond(f"nested deeper than {limits.depth}")
        self.heights[id(built)] = height
        return built

    def array(self, items: list[Any], room: int) -> int:
        """Check an array (and the arrays right inside it); its height within `room` levels."""
        if room < 1:
            _beyond(f"nested deeper than {self.limits.depth}")
        if len(items) > self.limits.items:
            _beyond(f"an array has more than {self.limits.items} items")
        self._count(len(items))
        height = 1
        for item in items:
            if isinstance(item, dict):
                height = max(height, 1 + self.heights[id(item)])
            elif isinstance(item, list):
                height = max(height, 1 + self.array(item, room - 1))
        if height > room:
            _beyond(f"nested deeper than {self.limits.depth}")
        return height

    def integer(self, text: str) -> int:
        self._number(text)
        return int(text)

    def fraction(self, text: str) -> float:
        self._number(text)
        return float(text)

    def _number(self, text: str) -> None:
        self._count(1)
        if len(text) > self.limits.number_chars:
            _beyond(f"a number is longer than {self.limits.number_chars} characters")

    def _count(self, values: int) -> None:
        self.values += values
        if self.values > self.limits.values:
            _beyond(f"the body holds more than {self.limits.values} values")


def _beyond(reason: str) -> NoReturn:
    raise BodyRefused(_BEYOND_LIMITS, reason)


def _not_json(_constant: str) -> NoReturn:
    raise BodyRefused(_UNREADABLE, "not valid JSON")


class StrictJson:
    """Reads each request body whole (within the body guard's limit) and parses it strictly."""

    def __init__(
        self,
        app: Any,
        *,
        problem: Callable[[int, list[FieldError]], Response],
        limits: JsonLimits = LIMITS,
    ) -> None:
        self.app = app
        self._problem = problem
        self._limits = limits

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Refuse a body that is not strict JSON within the limits; pass the rest on."""
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the caller went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            try:
                parse(body, self._limits)
            except BodyRefused as refused:
                error = FieldError(field="body", reason=refused.reason)
                await self._problem(refused.status, [error])(scope, receive, send)
                return
        given = False

        async def replay() -> Any:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
