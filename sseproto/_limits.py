"""Limits: how much one line and one event may hold before a decoder refuses them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_LINE_SIZE", "Limits", "resolve_limits"]

DEFAULT_MAX_LINE_SIZE = 1 << 20
DEFAULT_MAX_EVENT_SIZE = 16 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Buffer bounds shared by every decoder, client and adapter.

    - ``max_line_size``: bytes in one line (SSE or NDJSON), line break excluded.
    - ``max_event_size``: bytes (UTF-8) of one event's data, or of one frame's
      payload, in every decoder.

    Going over either raises :class:`~sseproto.LimitExceeded`, which names
    the parameter to raise.  Values below 1 (or not integers) raise
    :class:`ValueError`.

    >>> Limits(max_line_size=4096)
    Limits(max_line_size=4096, max_event_size=16777216)
    """

    max_line_size: int = DEFAULT_MAX_LINE_SIZE
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE

    def __post_init__(self) -> None:
        for name in ("max_line_size", "max_event_size"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


def resolve_limits(limits: Limits | None, max_line_size: int | None = None,
                   max_event_size: int | None = None) -> Limits:
    """The :class:`Limits` a decoder runs with: ``limits``, with any keyword overriding it.

    Bad values raise :class:`ValueError` (from :class:`Limits`).
    """
    if limits is None:
        limits = Limits()
    elif not isinstance(limits, Limits):
        raise ValueError(f"limits must be a sseproto.Limits, not {type(limits).__name__}")
    if max_line_size is None and max_event_size is None:
        return limits
    return Limits(
        max_line_size=limits.max_line_size if max_line_size is None else max_line_size,
        max_event_size=limits.max_event_size if max_event_size is None else max_event_size,
    )
