"""The exception hierarchy.

Every exception sseproto raises derives from :class:`Error`.  The sans-IO core
(SSE decoding, frame recovery, dialects) raises only :class:`ProtocolError`
subclasses, whatever bytes it is fed: any other exception escaping it is a bug.

- :class:`LocalProtocolError`: the caller misused the API (feeding after
  ``close()``, feeding after an error, a bad argument).
- :class:`RemoteProtocolError`: the peer sent something unusable.  Its
  subclasses name the common cases so callers can ``except`` them.
- :class:`HTTPStatusError`: the server answered with a non-2xx status (not a
  protocol violation: a 401 or a 429 is a well-formed answer).
- :class:`TransportError`: the I/O drivers failed to move bytes.

No message or ``repr()`` carries a secret: :func:`scrub` rewrites known
secret values out of any text (h11's own messages included) before it is
put in an exception.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ConnectError",
    "Error",
    "HTTPStatusError",
    "IncompleteStream",
    "LimitExceeded",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "StreamErrorRaised",
    "TLSError",
    "Timeout",
    "TransportError",
    "UnexpectedContentType",
    "is_secret_header",
    "scrub",
]

#: Header names whose values may be secret (compared lower-cased).
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "set-cookie",
    "x-goog-api-key",
})

#: What a secret value is replaced with in messages.
REDACTED = "[redacted]"


def is_secret_header(name: str) -> bool:
    """May the value of header ``name`` be secret?"""
    return name.lower() in SECRET_HEADERS


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and its ``repr``/bytes forms) replaced by ``[redacted]``.

    Each secret is also matched without surrounding whitespace and as
    Python shows it inside ``b'...'`` or ``'...'`` (escaped CR/LF), since
    that is how h11 and ``repr`` quote an illegal header value.
    """
    forms: set[str] = set()
    for secret in secrets:
        for value in (secret, secret.strip()):
            if len(value) >= 4:
                forms.update((value, repr(value)[1:-1],
                              repr(value.encode("utf-8", "replace"))[2:-1]))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text

#: How much of an offending line an error message quotes.
SNIPPET_CHARS = 80


_SHORT = reprlib.Repr()
_SHORT.maxlevel = 4
_SHORT.maxstring = 80
_SHORT.maxother = 80


def short_repr(value: object) -> str:
    """A bounded ``repr``: safe for huge or deeply nested payloads."""
    return _SHORT.repr(value)


def snippet(text: str) -> str:
    """Return ``text`` cut to :data:`SNIPPET_CHARS` characters, quoted with ``repr``."""
    if len(text) > SNIPPET_CHARS:
        return repr(text[:SNIPPET_CHARS]) + "..."
    return repr(text)


class Error(Exception):
    """Base class of every exception sseproto raises."""


class ProtocolError(Error):
    """Bytes or calls that break the protocol.  All the sans-IO core raises.

    ``offset`` is the byte offset in the stream where the problem was found,
    when it is known.
    """

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class LocalProtocolError(ProtocolError):
    """The caller misused the API, e.g. fed data after ``close()``."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that cannot be used."""


class LimitExceeded(RemoteProtocolError):
    """A configured size limit was exceeded.

    ``limit_name`` is the constructor argument (``"max_line_size"``, ...) and
    ``limit`` its value, so the message can say which knob to turn.
    """

    def __init__(self, message: str, *, limit_name: str, limit: int, offset: int | None) -> None:
        super().__init__(message, offset=offset)
        self.limit_name = limit_name
        self.limit = limit


class IncompleteStream(RemoteProtocolError):
    """The stream ended before its framing or its protocol said it would."""


class UnexpectedContentType(RemoteProtocolError):
    """A 2xx response whose Content-Type is not what the call expects.

    ``body`` holds the parsed JSON (or text) the server sent instead, often
    an error object or a whole non-streamed completion.
    """

    def __init__(self, message: str, *, content_type: str, body: Any) -> None:
        super().__init__(message)
        self.content_type = content_type
        self.body = body


class StreamErrorRaised(RemoteProtocolError):
    """An error the server reported inside a stream, raised by ``create(stream=True)``.

    ``stream_error`` is the :class:`~sseproto.StreamError` event.
    """

    def __init__(self, message: str, *, stream_error: Any) -> None:
        super().__init__(message)
        self.stream_error = stream_error


class HTTPStatusError(Error):
    """The server answered with a non-2xx status.

    ``body`` is the parsed JSON error body when there was one, else the raw
    text (possibly cut short).  ``retry_after`` is the server's
    ``Retry-After`` in seconds (a number or an HTTP date), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        self.body = body
        self.retry_after = retry_after


class TransportError(Error):
    """A driver could not move bytes."""


class ConnectError(TransportError):
    """The connection could not be opened."""


class TLSError(TransportError):
    """The TLS handshake failed, including certificate verification failures."""


class Timeout(TransportError):
    """Connecting or reading took longer than the configured timeout."""
