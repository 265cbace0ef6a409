"""Helpers for chat-decoder tests: run a stream and summarise the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sseproto import ChatStreamDecoder, Delta
from tests.support.outcome import chat_outcome


def decode_chat(pieces: Sequence[bytes], **kwargs: Any) -> tuple[list[Any], ChatStreamDecoder]:
    chat = ChatStreamDecoder(**kwargs)
    events: list[Any] = []
    for piece in pieces:
        events.extend(chat.feed(piece))
    events.extend(chat.close())
    return events, chat


def delta_text(events: Sequence[Any], index: int = 0) -> str:
    return "".join(e.content or "" for e in events if isinstance(e, Delta) and e.index == index)


def outcome(pieces: Sequence[bytes], **kwargs: Any) -> Any:
    """tests/support/outcome.py's chat outcome: events delivered (also before an error),
    the error, done, repairs and dialect."""
    return chat_outcome(pieces, **kwargs)
