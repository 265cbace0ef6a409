"""What every adapter shares: the response check and the chat-stream end rules.

Both call into the client's own code (:func:`sseproto._http.status_error`,
``wrong_content_type``, ``incomplete_chat``), so an adapter raises the
same errors, with the same messages, as :class:`sseproto.Client`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from .._chat import ChatStreamDecoder
from .._errors import RemoteProtocolError
from .._events import ChatEvent, ServerSentEvent, StreamError
from .._http import MAX_ERROR_BODY, ResponseHead, status_error
from .._sse import SSEDecoder
from ..client import STREAM_TYPES, incomplete_chat, wrong_content_type

__all__ = ["achecked", "aiter_chat", "aiter_sse", "checked", "head", "iter_chat", "iter_sse"]


def head(status_code: int, reason: str | None,
         headers: Iterable[tuple[str, str]]) -> ResponseHead:
    """A :class:`ResponseHead` as the client builds it: names lower-cased, repeats joined."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return ResponseHead(status_code, reason or "", joined)


def _rejected(head: ResponseHead) -> bool:
    """Is the response an error (non-2xx, or 2xx that is not an event stream)?"""
    return not 200 <= head.status_code < 300 or head.content_type not in STREAM_TYPES


def _error(head: ResponseHead, body: bytes) -> RemoteProtocolError:
    body = body[:MAX_ERROR_BODY]
    if not 200 <= head.status_code < 300:
        return status_error(head, body)
    return wrong_content_type(head, body)


def checked(head: ResponseHead, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks``, once the response passed the client's status and Content-Type check.

    A rejected response raises the client's error, built from at most 64 KiB
    of the body.
    """
    if not _rejected(head):
        yield from chunks
        return
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    raise _error(head, bytes(body))


async def achecked(head: ResponseHead, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The async twin of :func:`checked`."""
    if not _rejected(head):
        async for chunk in chunks:
            yield chunk
        return
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    raise _error(head, bytes(body))


class _ChatFeed:
    """A :class:`ChatStreamDecoder` with :meth:`Client.stream_chat`'s end rules.

    ``feed`` and ``close`` cut the events after a :class:`StreamError` and
    set :attr:`stopped`; :meth:`check_end` raises ``IncompleteStream`` when
    the body ended before ``[DONE]`` and before any ``finish_reason``.
    """

    def __init__(self, dialect: str) -> None:
        self.decoder = ChatStreamDecoder(dialect)
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
        error = incomplete_chat(self.decoder, self.stopped)
        if error is not None:
            raise error


def iter_chat(chunks: Iterable[bytes], dialect: str) -> Iterator[ChatEvent]:
    """Chat events from checked body bytes, ending as :meth:`Client.stream_chat` does."""
    feed = _ChatFeed(dialect)
    for chunk in chunks:
        yield from feed.feed(chunk)
        if feed.stopped:
            return
    yield from feed.close()
    feed.check_end()


async def aiter_chat(chunks: AsyncIterable[bytes], dialect: str) -> AsyncIterator[ChatEvent]:
    """The async twin of :func:`iter_chat`."""
    feed = _ChatFeed(dialect)
    async for chunk in chunks:
        for event in feed.feed(chunk):
            yield event
        if feed.stopped:
            return
    for event in feed.close():
        yield event
    feed.check_end()


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """The :class:`ServerSentEvent` s of checked body bytes."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """The async twin of :func:`iter_sse`."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
