"""Decode a ``requests`` streaming response with sseproto.

Send the request with ``stream=True`` so the body is read as it arrives::

    import requests
    from sseproto.adapters import requests as sr

    with requests.post(url, json=payload, stream=True) as response:
        for ev in sr.iter_chat(response):          # Delta, Final, Done, StreamError
            ...

The status and Content-Type are checked first, as :class:`sseproto.Client`
does (:class:`sseproto.HTTPStatusError`, :class:`sseproto.UnexpectedContentType`).
The bytes come from ``iter_content(chunk_size=None)``: each piece as it
arrives, decompressed by urllib3.  requests' own errors
(``requests.ConnectionError``, ``requests.exceptions.ChunkedEncodingError``
for a body cut before its framing said, ...) propagate unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests

from .._events import ChatEvent, ServerSentEvent
from .._limits import Limits
from . import _common, _sync_common

__all__ = ["iter_chat", "iter_sse"]


def _chunks(response: requests.Response) -> Iterator[bytes]:
    head = _common.head(response.status_code, response.reason, response.headers.items())
    return _sync_common.checked(head, response.iter_content(chunk_size=None))


def iter_chat(response: requests.Response, dialect: str = "auto", *,
              limits: Limits | None = None) -> Iterator[ChatEvent]:
    """Chat events of the response; ``IncompleteStream`` if it ends before its end."""
    return _sync_common.iter_chat(_chunks(response), dialect, limits)


def iter_sse(response: requests.Response, *,
             limits: Limits | None = None) -> Iterator[ServerSentEvent]:
    """The :class:`~sseproto.ServerSentEvent` s of the response."""
    return _sync_common.iter_sse(_chunks(response), limits)
