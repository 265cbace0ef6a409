"""What every adapter shares: the response head, and the chat-stream end rules.

The response policy (status, Content-Type, error bodies) comes from
:mod:`sseproto._policy`, the module the clients use too, so an adapter
raises the same errors, with the same messages, as :class:`sseproto.Client`.
The loops themselves are in ``_async_common.py`` (written once) and
``_sync_common.py`` (generated from it by ``scripts/unasync.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .._events import ChatEvent, StreamError
from .._http import ResponseHead
from .._limits import Limits
from .._policy import chat_decoder, incomplete_chat

__all__ = ["ChatFeed", "head"]


def head(status_code: int, reason: str | None,
         headers: Iterable[tuple[str, str]]) -> ResponseHead:
    """A :class:`ResponseHead` as the client builds it: names lower-cased, repeats joined."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return ResponseHead(status_code, reason or "", joined)


class ChatFeed:
    """A :class:`ChatStreamDecoder` with :meth:`Client.stream_chat`'s end rules.

    ``feed`` and ``close`` cut the events after a :class:`StreamError` and
    set :attr:`stopped`; :meth:`check_end` raises ``IncompleteStream`` when
    the body ended before ``[DONE]`` and before any ``finish_reason``.
    """

    def __init__(self, dialect: str, limits: Limits | None) -> None:
        self.decoder = chat_decoder(dialect, limits or Limits())
        self.stopped = False

    def _cut(self, events: list[ChatEvent]) -> list[ChatEvent]:
        for i, event in enumerate(events):
            if isinstance(event, StreamError):
                self.stopped = True
                return events[: i + 1]
        return events

    def feed(self, chunk: bytes) -> list[ChatEvent]:
        return self._cut(self.decoder.feed(chunk)) if chunk else []

    def close(self) -> list[ChatEvent]:
        return self._cut(self.decoder.close())

    def check_end(self) -> None:
        self.decoder.raise_pending()
        error = incomplete_chat(self.decoder, self.stopped)
        if error is not None:
            raise error
