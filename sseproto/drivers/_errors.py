"""Driver exceptions mapped to sseproto's, in one place for every driver."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from .._errors import ConnectError, Error, Timeout, TLSError, TransportError

__all__ = ["mapped"]


@contextmanager
def mapped(action: str, host: str, timeout: float | None = None) -> Iterator[None]:
    """Re-raise what sockets, ``ssl`` and ``asyncio`` raise as :class:`TransportError` s.

    ``action`` is ``"connect"``, ``"send"`` or ``"receive"``: an ``OSError``
    while connecting is a :class:`ConnectError`.
    """
    try:
        yield
    except Error:
        raise
    except TimeoutError:
        bound = f" after {timeout} s" if timeout is not None else ""
        what = {"connect": f"connecting to {host}", "send": f"sending to {host}"}.get(
            action, f"waiting for data from {host}")
        raise Timeout(f"{what} timed out{bound}") from None
    except ssl.SSLCertVerificationError as exc:
        raise TLSError(
            f"the certificate of {host} was rejected: {exc.verify_message or exc.reason}"
        ) from None
    except ssl.SSLError as exc:
        where = "the TLS handshake with" if action == "connect" else "TLS error from"
        raise TLSError(f"{where} {host} failed: {exc.reason or exc}") from None
    except OSError as exc:
        if action == "connect":
            raise ConnectError(f"cannot connect to {host}: {exc.strerror or exc}") from None
        what = f"sending to {host}" if action == "send" else f"receiving from {host}"
        raise TransportError(f"{what} failed: {exc.strerror or exc}") from None
