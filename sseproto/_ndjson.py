"""Newline-delimited JSON framing (Ollama ``/api/chat`` and ``/api/generate``).

:class:`NDJSONDecoder` has the shape of
:class:`~sseproto._recovery.FrameDecoder`: it takes the complete,
LF-normalised lines that :class:`~sseproto._lines.LineSplitter` returns
(so the BOM, CR/LF/CRLF and the line limit are handled once, for every
framing) and sends each JSON value to ``sink("", value)``.

Rules (DESIGN.md, "Dialect rules"):

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

from typing import Any

import orjson

from ._errors import LimitExceeded, RemoteProtocolError, snippet
from ._recovery import FramerBase, _Mark

__all__ = ["NDJSONDecoder"]

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError
_BLANK = b" \t"


class NDJSONDecoder(FramerBase):
    """Turns complete LF-terminated lines (bytes) into JSON values for ``sink("", value)``."""

    __slots__ = ()

    def feed(self, text: bytes, final: bool = False) -> None:
        """Send the values of the complete lines in ``text`` to the sink.

        ``final`` is accepted for the shape of FrameDecoder; nothing is ever held back.
        """
        self._region = self._lines.region
        pos = 0
        end = len(text)
        while pos < end and not self.stopped:
            newline = text.index(b"\n", pos)
            self._line(text, pos, newline)
            pos = newline + 1

    def close(self, tail: bytes) -> None:
        """End of stream.  ``tail`` is the unterminated last line, if any."""
        if self.stopped or not tail.strip(_BLANK):
            return
        if len(tail) > self.max_event_size:
            self._region = (tail, self._lines.offset)
            self._too_large(tail, 0)
        try:
            value = self._parse(tail)
        except _JSONError:
            self._counts.add("dropped_partial_frame")
            return
        self._counts.add("unterminated_last_frame")
        self._sink("", value)

    # --- internals ----------------------------------------------------------------

    def _line(self, text: bytes, pos: int, newline: int) -> None:
        line = text[pos:newline]
        if not line.strip(_BLANK):
            return
        if len(line) > self.max_event_size:
            self._too_large(text, pos)
        try:
            value = self._parse(line)
        except _JSONError:
            self._malformed(line, text, pos)
            return
        self._sink("", value)

    @staticmethod
    def _parse(line: bytes) -> Any:
        try:
            return _loads(line)
        except _JSONError:
            # Not JSON as bytes; decoded as the SSE layer would (invalid UTF-8
            # replaced by U+FFFD), it may be.
            return _loads(line.decode("utf-8", "replace"))

    def _offset(self, text: bytes, pos: int) -> int:
        region, region_start = self._region
        return _Mark(text, pos, region, region_start).offset()

    def _malformed(self, line: bytes, text: bytes, pos: int) -> None:
        if self.on_malformed == "skip":
            self._counts.add("skipped_malformed")
            return
        offset = self._offset(text, pos)
        raise RemoteProtocolError(
            f"a line that is not JSON at byte {offset} of a newline-delimited JSON stream:"
            f' {snippet(line.decode("utf-8", "replace"))}; pass on_malformed="skip" to skip'
            " such lines",
            offset=offset,
        )

    def _too_large(self, text: bytes, pos: int) -> None:
        offset = self._offset(text, pos)
        raise LimitExceeded(
            f"the JSON line starting at byte {offset} is longer than"
            f" max_event_size={self.max_event_size} bytes; raise max_event_size if such"
            " lines are expected",
            limit_name="max_event_size",
            limit=self.max_event_size,
            offset=offset,
        )
