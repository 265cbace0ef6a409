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

from .._events import ChatEvent, ServerSentEvent
from .._http import parse_url
from .._limits import Limits
from ..client import Client, Stream

__all__ = ["url_chat_events", "url_sse_events"]


def _client(url: str, headers: Mapping[str, str], timeout: float | None,
            ssl_context: ssl.SSLContext | None, max_line_size: int) -> tuple[Client, str]:
    """A client on the URL's origin, and the request target (path and query)."""
    origin = parse_url(url).origin
    parts = urlsplit(url)
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    client = Client(origin, ssl_context=ssl_context, timeout=timeout, headers=headers,
                    limits=Limits(max_line_size=max_line_size))
    return client, target


def url_sse_events(url: str, *, body: Any = None, headers: Mapping[str, str],
                   timeout: float | None, ssl_context: ssl.SSLContext | None,
                   max_line_size: int) -> Iterator[ServerSentEvent]:
    """GET (or POST ``body`` as JSON) and yield the raw SSE events."""
    client, target = _client(url, headers, timeout, ssl_context, max_line_size)
    method = "GET" if body is None else "POST"
    with client, client.stream_sse(method, target, json=body) as stream:
        yield from stream


def url_chat_events(url: str, *, dialect: str, body: Any = None, headers: Mapping[str, str],
                    timeout: float | None, ssl_context: ssl.SSLContext | None,
                    max_line_size: int) -> Iterator[ChatEvent]:
    """POST ``body`` with ``stream_chat``, or GET the same way, and yield the chat events."""
    client, target = _client(url, headers, timeout, ssl_context, max_line_size)
    with client:
        if body is not None:
            stream: Stream[ChatEvent] = client.stream_chat(body, target, dialect=dialect)
        else:
            # stream_chat always POSTs; a GET goes through the same chat stream.
            request = client._config.request("GET", target, accept="text/event-stream")
            stream = Stream(client._chat_events(request, dialect))
        with stream:
            yield from stream
