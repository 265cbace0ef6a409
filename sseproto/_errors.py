"""The exception hierarchy.

Every exception sseproto raises derives from :class:`Error`.  The sans-IO core
(SSE decoding, frame recovery, dialects) raises only :class:`ProtocolError`
subclasses, whatever bytes it is fed: any other exception escaping it is a bug.

- :class:`LocalProtocolError`: the caller misused the API (feeding after
  ``close()``, feeding after an error, a bad argument).
- :class:`RemoteProtocolError`: the peer sent something unusable.  Its
  subclasses name the common cases so callers can ``except`` them.
- :class:`TransportError`: the I/O drivers failed to move bytes.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
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
    "TLSError",
    "Timeout",
    "TransportError",
]

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


class HTTPStatusError(RemoteProtocolError):
    """The server answered with a non-2xx status.

    ``body`` is the parsed JSON error body when there was one, else the raw
    text (possibly cut short).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        self.body = body


class TransportError(Error):
    """A driver could not move bytes."""


class ConnectError(TransportError):
    """The connection could not be opened."""


class TLSError(TransportError):
    """The TLS handshake failed, including certificate verification failures."""


class Timeout(TransportError):
    """Connecting or reading took longer than the configured timeout."""
