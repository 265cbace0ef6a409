"""Decode an ``aiohttp`` response with sseproto.

aiohttp always streams: the body is read as it arrives::

    import aiohttp
    from sseproto.adapters import aiohttp as sa

    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=payload) as response:
            async for ev in sa.aiter_chat(response):   # Delta, Final, Done, StreamError
                ...

The status and Content-Type are checked first, as :class:`sseproto.Client`
does (:class:`sseproto.HTTPStatusError`, :class:`sseproto.UnexpectedContentType`),
so do not call ``raise_for_status`` (or pass ``raise_for_status=True``) if you
want sseproto's errors.  The bytes come from ``response.content.iter_any()``,
decompressed by aiohttp.  aiohttp's own errors (``aiohttp.ClientError``, such
as ``ClientPayloadError`` for a body cut before its framing said) propagate
unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from .._events import ChatEvent, ServerSentEvent
from .._limits import Limits
from . import _async_common, _common

__all__ = ["aiter_chat", "aiter_sse"]


def _chunks(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    head = _common.head(response.status, response.reason, response.headers.items())
    return _async_common.async_checked(head, response.content.iter_any())


def aiter_chat(response: aiohttp.ClientResponse, dialect: str = "auto", *,
               limits: Limits | None = None) -> AsyncIterator[ChatEvent]:
    """Chat events of the response; ``IncompleteStream`` if it ends before its end."""
    return _async_common.async_iter_chat(_chunks(response), dialect, limits)


def aiter_sse(response: aiohttp.ClientResponse, *,
              limits: Limits | None = None) -> AsyncIterator[ServerSentEvent]:
    """The :class:`~sseproto.ServerSentEvent` s of the response."""
    return _async_common.async_iter_sse(_chunks(response), limits)
