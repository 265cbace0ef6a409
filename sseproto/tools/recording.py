"""What ``sseproto record`` adds around :func:`sseproto.transcript.record`: the output file
claimed before the request, and a progress line on a terminal."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO

from .._errors import Error
from .._sse import SSEDecoder

__all__ = ["Progress", "claim_output"]

#: The progress line is redrawn at most this many times a second.
REDRAWS_PER_SECOND = 10


def claim_output(path: str) -> bool:
    """Check that ``path`` can be written, before any request; ``True`` if it was created.

    Opening for append neither truncates an existing file nor loses it when
    the request then fails.  Raises :class:`OSError` when it cannot be written.
    """
    existed = os.path.exists(path)
    if Path(path).is_dir():
        raise IsADirectoryError(21, "Is a directory", path)
    with open(path, "ab"):
        pass
    return not existed


def _size(count: float) -> str:
    if count < 1024:
        return f"{count:,.0f} B"
    if count < 1024 * 1024:
        return f"{count / 1024:,.1f} KiB"
    return f"{count / (1024 * 1024):,.1f} MiB"


class Progress:
    """``bytes, events, rate, elapsed`` on one line of a terminal, redrawn at most
    :data:`REDRAWS_PER_SECOND` times a second."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.started = time.monotonic()
        self.last_draw = float("-inf")
        self.total = self.chunks = self.events = 0
        self.redraws = 0
        self._decoder: SSEDecoder | None = SSEDecoder()
        self._ndjson: bool | None = None

    def on_chunk(self, data: bytes) -> None:
        """Count the events in ``data``: SSE events, or NDJSON lines."""
        if self._ndjson is None and data.strip():
            self._ndjson = data.lstrip()[:1] == b"{"
        if self._ndjson:
            self.events += data.count(b"\n")
        elif self._decoder is not None:
            try:
                self.events += len(self._decoder.feed(data))
            except Error:
                self._decoder = None  # not SSE after all: stop counting

    def __call__(self, total: int, chunks: int) -> None:
        self.total, self.chunks = total, chunks
        now = time.monotonic()
        if now - self.last_draw >= 1 / REDRAWS_PER_SECOND:
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.last_draw = now
        self.redraws += 1
        elapsed = now - self.started
        rate = self.total / elapsed if elapsed > 0 else 0.0
        self.out.write(f"\r\x1b[Ksseproto: {_size(self.total)}, {self.events:,} events,"
                       f" {_size(rate)}/s, {elapsed:.1f} s")
        self.out.flush()

    def finish(self) -> None:
        """The last figures, and the end of the line."""
        self.draw()
        self.out.write("\n")
        self.out.flush()
