"""Newline-delimited JSON framing (Ollama ``/api/chat`` and ``/api/generate``).

:class:`NDJSONFramer` reads the complete, LF-normalised lines that
:class:`~sseproto._lines.LineSplitter` returns (so the BOM, CR/LF/CRLF and
the line limit are handled once, for every line framing) and returns each
JSON value as the frame ``("", value)``.

Rules:

- One JSON value per line.  Lines holding only spaces and tabs are ignored.
- A line longer than ``max_event_size`` bytes raises
  :class:`~sseproto.LimitExceeded`; a line that is not JSON raises
  :class:`~sseproto.RemoteProtocolError` naming its byte offset, or is
  skipped and counted (``skipped_malformed``) with ``on_malformed="skip"``.
- At ``close()``, a last line without its line break is used when it is
  complete JSON (counted as ``unterminated_last_frame``) and dropped
  otherwise (counted as ``dropped_partial_frame``): it was most likely cut.

Every line is looked at once, on its own, so the result never depends on
how the bytes were split into reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from .._errors import RemoteProtocolError, snippet
from ._base import Frame, LineFramer, Mark

__all__ = ["NDJSONFramer"]

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError
_BLANK = b" \t"
_EMPTY_LINES = re.compile(rb"\n+")


class NDJSONFramer(LineFramer):
    """Complete LF-terminated lines (bytes) to ``("", value)`` frames."""

    __slots__ = ()

    def _frames(self, text: bytes, final: bool) -> Iterator[Frame]:
        pos = 0
        end = len(text)
        largest = self.max_event_size
        while pos < end:
            if text[pos] == 10:  # runs of empty lines are skipped at regex speed
                pos = _EMPTY_LINES.match(text, pos).end()  # type: ignore[union-attr]
                continue
            newline = text.index(b"\n", pos)
            line = text[pos:newline]
            if line.strip(_BLANK):
                if len(line) > largest:
                    raise self._too_large(Mark(text, pos, self._raw_region()), "the JSON line")
                try:
                    yield "", _parse(line)
                except _JSONError:
                    self._malformed(line, text, pos)
            pos = newline + 1
        if self._lines.error is not None and not final:
            raise self._lines.error

    def _close(self, tail: bytes) -> Iterator[Frame]:
        """End of stream.  ``tail`` is the unterminated last line, if any."""
        if not tail.strip(_BLANK):
            return
        if len(tail) > self.max_event_size:
            raise self._too_large(Mark(tail, 0, (tail, self._lines.offset)), "the JSON line")
        try:
            value = _parse(tail)
        except _JSONError:
            self._counts.add("dropped_partial_frame")
            return
        self._counts.add("unterminated_last_frame")
        yield "", value

    def _malformed(self, line: bytes, text: bytes, pos: int) -> None:
        if self.on_malformed == "skip":
            self._counts.add("skipped_malformed")
            return
        offset = Mark(text, pos, self._raw_region()).offset()
        raise RemoteProtocolError(
            f"a line that is not JSON at byte {offset} of a newline-delimited JSON stream:"
            f' {snippet(line.decode("utf-8", "replace"))}; pass on_malformed="skip" to skip'
            " such lines",
            offset=offset,
        )


def _parse(line: bytes) -> Any:
    try:
        return _loads(line)
    except _JSONError:
        if line.isascii():
            raise  # decoding would change nothing
        # Not JSON as bytes; decoded as the SSE layer would (invalid UTF-8
        # replaced by U+FFFD), it may be.
        return _loads(line.decode("utf-8", "replace"))
