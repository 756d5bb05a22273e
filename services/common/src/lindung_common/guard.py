"""What every web server refuses before a route reads a byte: a body too large.

A plain ASGI middleware in front of every route of every service (`Runtime.web`): a body
over the limit is refused with 413 from its `Content-Length` before a byte of it is read,
and a chunked one as soon as the bytes read pass the limit, so a caller, with a key or
without, cannot make a service hold more than the limit of its body in memory. A service
may also refuse bodies of a media type it does not read (415). Both in the one documented
error shape, `{"errors": [{"field": "body", "reason": ...}]}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse
from lindung_contracts import FieldError

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

__all__ = ["BodyGuard", "guard_bodies", "is_json", "problem"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TOO_LARGE = 413


def problem(
    code: int, errors: list[FieldError], headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error answer in the one documented shape."""
    content = {"errors": [e.model_dump(mode="json") for e in errors]}
    return JSONResponse(status_code=code, content=content, headers=headers)


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (`application/json`, `application/*+json`)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _TooLarge(Exception):
    pass


class BodyGuard:
    """Refuses a body over `max_bytes` with 413; with `accepts`, an unread media type with 415."""

    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        accepts: Callable[[str], bool] | None = None,
        expected: str = "of a type this service reads",
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._accepts = accepts
        self._expected = expected

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Refuse what must be refused; pass the rest on, counting the bytes read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if declared is not None and declared > self.max_bytes:
            await self._refuse(_TOO_LARGE, scope, receive, send)
            return
        has_body = declared != 0 and (declared is not None or "transfer-encoding" in headers)
        if (
            has_body
            and self._accepts is not None
            and scope["method"] in _BODY_METHODS
            and not self._accepts(headers.get("content-type", ""))
        ):
            await self._refuse(415, scope, receive, send)
            return
        await self._guarded(scope, receive, send, has_body=has_body)

    async def _guarded(self, scope: Any, receive: Any, send: Any, *, has_body: bool) -> None:
        request = _Request(receive, self.max_bytes, done=not has_body)
        replaced = False

        async def sending(message: Any) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                await request.drain()
            if not request.over:
                await send(message)
            elif not replaced:
                replaced = True
                await self._refuse(_TOO_LARGE, scope, receive, send)

        try:
            await self.app(scope, request.receive, sending)
        except _TooLarge:
            if not replaced:
                await self._refuse(_TOO_LARGE, scope, receive, send)

    async def _refuse(self, code: int, scope: Any, receive: Any, send: Any) -> None:
        # The connection stays open: the server reads and drops the rest of the body (it
        # never holds more than a buffer of it), so an ordinary client reads this answer.
        if code == _TOO_LARGE:
            reason = f"the body is over {self.max_bytes} bytes"
        else:
            reason = f"the body must be {self._expected}"
        await problem(code, [FieldError(field="body", reason=reason)])(scope, receive, send)


class _Request:
    """One request's body as the app reads it, counted against the limit."""

    def __init__(self, receive: Any, max_bytes: int, *, done: bool) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self._read = 0
        self._reading = False
        self.done = done
        self.over = False

    async def receive(self) -> Any:
        """The next message, for the app: past the limit, `_TooLarge` instead."""
        self._reading = True
        try:
            return await self._counted()
        finally:
            self._reading = False

    async def drain(self) -> None:
        """Read what the app left of the body (dropping it), up to the limit.

        A route that answers without reading the body (a 405, a 404, a form it does not
        need) answers 413 all the same when the body is over the limit: one answer for
        one size, whichever route it was sent to. Never while the app itself waits for a
        message (a streaming answer listening for a disconnect).
        """
        if self._reading:
            return
        try:
            while not self.done:
                await self._counted()
        except _TooLarge:
            return

    async def _counted(self) -> Any:
        message = await self._receive()
        if message["type"] != "http.request":  # the caller went away
            self.done = True
            return message
        self._read += len(message.get("body", b""))
        self.done = not message.get("more_body", False)
        if self._read > self._max_bytes:
            # The framework turns any failure here into its own answer: remember why,
            # stop reading, and put the 413 in place of whatever it answers.
            self.over = True
            raise _TooLarge
        return message


def guard_bodies(api: FastAPI, max_bytes: int) -> None:
    """Put a `BodyGuard` in front of every route of `api`, unless the service placed one.

    A service that builds its own app may place the guard itself, where it wants it among
    its own middleware (intake counts every request, refused ones too, in front of it).
    """
    placed: list[object] = [m.cls for m in api.user_middleware]
    if BodyGuard not in placed:
        api.add_middleware(BodyGuard, max_bytes=max_bytes)
