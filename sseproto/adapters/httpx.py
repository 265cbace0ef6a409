"""Decode an ``httpx`` streaming response with sseproto.

Open the response with ``client.stream(...)`` (or ``send(..., stream=True)``)
so the body is read as it arrives::

    import httpx
    from sseproto.adapters import httpx as sx

    with httpx.Client() as client, client.stream("POST", url, json=payload) as response:
        for ev in sx.iter_chat(response):          # Delta, Final, Done, StreamError
            ...

    async with httpx.AsyncClient() as client:
        async with client.stream("POST", url, json=payload) as response:
            async for ev in sx.aiter_chat(response):
                ...

The status and Content-Type are checked first, as :class:`sseproto.Client`
does (:class:`sseproto.HTTPStatusError`, :class:`sseproto.UnexpectedContentType`).
The bytes come from ``iter_bytes``/``aiter_bytes``, decompressed by httpx.
httpx's own errors (``httpx.TransportError``, ``httpx.RemoteProtocolError``
for a body cut before its framing said) propagate unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from .._events import ChatEvent, ServerSentEvent
from .._http import ResponseHead
from .._limits import Limits
from . import _async_common, _common, _sync_common

__all__ = ["aiter_chat", "aiter_sse", "iter_chat", "iter_sse"]


def _head(response: httpx.Response) -> ResponseHead:
    return _common.head(response.status_code, response.reason_phrase,
                        response.headers.multi_items())


def iter_chat(response: httpx.Response, dialect: str = "auto", *,
              limits: Limits | None = None) -> Iterator[ChatEvent]:
    """Chat events of a sync response; ``IncompleteStream`` if it ends before its end."""
    chunks = _sync_common.checked(_head(response), response.iter_bytes())
    return _sync_common.iter_chat(chunks, dialect, limits)


def iter_sse(response: httpx.Response, *,
             limits: Limits | None = None) -> Iterator[ServerSentEvent]:
    """The :class:`~sseproto.ServerSentEvent` s of a sync response."""
    chunks = _sync_common.checked(_head(response), response.iter_bytes())
    return _sync_common.iter_sse(chunks, limits)


def aiter_chat(response: httpx.Response, dialect: str = "auto", *,
               limits: Limits | None = None) -> AsyncIterator[ChatEvent]:
    """Chat events of an async response (from ``httpx.AsyncClient``)."""
    chunks = _async_common.async_checked(_head(response), response.aiter_bytes())
    return _async_common.async_iter_chat(chunks, dialect, limits)


def aiter_sse(response: httpx.Response, *,
              limits: Limits | None = None) -> AsyncIterator[ServerSentEvent]:
    """The :class:`~sseproto.ServerSentEvent` s of an async response."""
    chunks = _async_common.async_checked(_head(response), response.aiter_bytes())
    return _async_common.async_iter_sse(chunks, limits)
