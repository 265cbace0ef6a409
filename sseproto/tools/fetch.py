"""``parse --url``: sseproto's own :class:`~sseproto.Client` as a client under test.

The conformance suite runs ``sseproto parse --url {url} --json`` against
each scenario, so this path must behave exactly as a user of the client
sees it: status and Content-Type checked, cuts raised as
:class:`~sseproto.IncompleteStream`, every event received before a failure
printed first.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .._chat import ChatStreamDecoder
from .._events import ChatEvent, ServerSentEvent, StreamError
from .._http import parse_url
from ..client import Client, _Exchange, incomplete_chat

__all__ = ["url_chat_events", "url_sse_events"]


def _client(url: str, headers: Mapping[str, str], timeout: float | None,
            ssl_context: ssl.SSLContext | None) -> tuple[Client, str]:
    """A client on the URL's origin, and the request target (path and query)."""
    origin = parse_url(url).origin
    parts = urlsplit(url)
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return Client(origin, ssl_context=ssl_context, timeout=timeout, headers=headers), target


def url_sse_events(url: str, *, body: Any = None, headers: Mapping[str, str],
                   timeout: float | None,
                   ssl_context: ssl.SSLContext | None) -> Iterator[ServerSentEvent]:
    """GET (or POST ``body`` as JSON) and yield the raw SSE events."""
    client, target = _client(url, headers, timeout, ssl_context)
    with client:
        yield from client.stream_sse("GET" if body is None else "POST", target, json=body)


def url_chat_events(url: str, *, dialect: str, body: Any = None, headers: Mapping[str, str],
                    timeout: float | None, ssl_context: ssl.SSLContext | None,
                    max_line_size: int) -> Iterator[ChatEvent]:
    """GET (or POST ``body`` as JSON) and yield the chat events, as ``stream_chat`` does."""
    client, target = _client(url, headers, timeout, ssl_context)
    chat = ChatStreamDecoder(dialect, max_line_size=max_line_size)
    method = "GET" if body is None else "POST"
    errored = False
    with client:
        for event in client._exchange(method, target, _Exchange("chat", chat), body):
            yield event
            if isinstance(event, StreamError):
                errored = True
                return
    error = incomplete_chat(chat, errored)
    if error is not None:
        raise error
