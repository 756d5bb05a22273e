"""One Kafka record as it arrived, whatever client read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lindung_contracts import Envelope, encode

__all__ = ["Record"]


@dataclass(frozen=True)
class Record:
    """A record's position and bytes; header values may be missing (None)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()

    @property
    def position(self) -> str:
        """`topic/partition/offset`, for logs."""
        return f"{self.topic}/{self.partition}/{self.offset}"

    @classmethod
    def of_message(cls, message: Any) -> Record:
        """From a Faust or aiokafka message; odd header values are kept as they came."""
        raw = message.headers or ()
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        headers = tuple(
            (str(name), bytes(value) if value is not None else None) for name, value in pairs
        )
        return cls(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            headers=headers,
        )

    @classmethod
    def of_envelope(cls, envelope: Envelope[Any], *, partition: int = 0, offset: int = 0) -> Record:
        """The record an event becomes on its topic, at a position of the caller's choosing."""
        encoded = encode(envelope)
        return cls(
            topic=encoded.topic,
            partition=partition,
            offset=offset,
            key=encoded.key,
            value=encoded.value,
            headers=tuple(encoded.headers),
        )
