"""The adapters' loops: the status check, chat and SSE decoding of body chunks.

Written once, with async/await; ``scripts/unasync.py`` generates the
blocking loops.  Edit the async source, never the generated file.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from .._events import ChatEvent, ServerSentEvent
from .._http import MAX_ERROR_BODY, ResponseHead
from .._limits import Limits
from .._policy import is_stream, rejection, sse_decoder
from ._common import ChatFeed

__all__ = ["async_checked", "async_iter_chat", "async_iter_sse"]


async def async_checked(head: ResponseHead,
                        chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """``chunks``, once the response passed the client's status and Content-Type check.

    A rejected response raises the client's error, built from at most 64 KiB
    of the body.
    """
    if is_stream(head):
        async for chunk in chunks:
            yield chunk
        return
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    raise rejection(head, bytes(body))


async def async_iter_chat(chunks: AsyncIterable[bytes], dialect: str,
                          limits: Limits | None = None) -> AsyncIterator[ChatEvent]:
    """Chat events from checked body bytes, ending as ``Client.stream_chat`` does."""
    feed = ChatFeed(dialect, limits)
    async for chunk in chunks:
        for event in feed.feed(chunk):
            yield event
        if feed.stopped:
            return
    for event in feed.close():
        yield event
    feed.check_end()


async def async_iter_sse(chunks: AsyncIterable[bytes],
                         limits: Limits | None = None) -> AsyncIterator[ServerSentEvent]:
    """The :class:`ServerSentEvent` s of checked body bytes."""
    decoder = sse_decoder(limits or Limits())
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
    decoder.raise_pending()
