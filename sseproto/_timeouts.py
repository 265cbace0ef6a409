"""Timeouts: how long a client waits to connect, between two bytes, and in all."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Timeouts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """The three bounds of one request, in seconds (``None``: no bound).

    - ``connect``: opening the connection (TCP, proxy tunnel, TLS handshake),
      and waiting for a free connection in the pool.
    - ``read``: the longest silence between two received bytes.
    - ``total``: the whole request, from the first connect to the last byte;
      a server trickling one byte a second is stopped by it.

    A client's ``timeout=`` may also be a number: it bounds connect and read.
    Negative, NaN or non-number values raise :class:`ValueError`.

    >>> Timeouts(connect=5, read=30, total=600)
    Timeouts(connect=5, read=30, total=600)
    """

    connect: float | None = 10.0
    read: float | None = 30.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if value is None:
                continue
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or math.isnan(value) or value < 0):
                raise ValueError(f"{name} must be a number of seconds >= 0 or None,"
                                 f" not {value!r}")

    @classmethod
    def of(cls, timeout: float | Timeouts | None) -> Timeouts:
        """``timeout`` as :class:`Timeouts`: a number bounds connect and read."""
        if isinstance(timeout, Timeouts):
            return timeout
        return cls(connect=timeout, read=timeout, total=None)
