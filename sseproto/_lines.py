"""Bytes to lines: the part of WHATWG HTML 9.2.5 shared by every SSE layer.

:class:`LineSplitter` turns reads of any size into *complete* decoded lines:

- one leading UTF-8 BOM is stripped per stream, even when it arrives split
  across reads ("UTF-8 decode" in the Encoding standard);
- invalid UTF-8 becomes U+FFFD, one per maximal subpart.  Lines are decoded
  as whole regions that end at a line terminator.  CR and LF are never part
  of a multi-byte sequence, so decoding region by region gives exactly the
  result of decoding the whole stream at once;
- CRLF, LF and CR each end a line, including a CR that ends one read and an
  LF that starts the next.  Other Unicode line breaks do not end lines.

Each call to :meth:`LineSplitter.feed` returns the complete lines it found as
one block of bytes, normalised to LF and ending in LF (or ``b""``).  The SSE
decoder decodes it (``"replace"``) and splits it; the recovery layer searches
it as bytes and decodes only what it must.  Nothing is ever re-scanned: the
terminator search looks only at the new bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._errors import LimitExceeded
from ._limits import DEFAULT_MAX_LINE_SIZE

T = TypeVar("T")

__all__ = ["DEFAULT_MAX_LINE_SIZE", "LineSplitter", "in_windows", "parse_field"]


_BOM = b"\xef\xbb\xbf"

# A CR that is not the first half of a CRLF (it ends a line on its own).
_LONE_CR = re.compile(rb"\r(?!\n)")

#: Large reads are processed in windows of this size, so the decoded text
#: and line lists alive at once stay bounded whatever the caller passes.
WINDOW = 256 * 1024


def in_windows(feed: Callable[[bytes], list[T]], data: bytes) -> list[T]:
    """Feed ``data`` to ``feed`` in :data:`WINDOW`-sized pieces; join the results.

    The decoders use it for large reads, so the text and lists alive at once
    stay bounded whatever the caller passes.
    """
    out: list[T] = []
    for start in range(0, len(data), WINDOW):
        out += feed(data[start : start + WINDOW])
    return out


@overload
def parse_field(line: bytes) -> tuple[bytes, bytes]: ...
@overload
def parse_field(line: str) -> tuple[str, str]: ...
def parse_field(line: Any) -> Any:
    """Split a non-empty line into its field name and value, as WHATWG HTML says.

    From ``#event-stream-interpretation``: "If the line starts with a U+003A
    COLON character (:)", it is a comment: the name returned is empty.  "If
    the line contains a U+003A COLON character", the name is everything
    before the first one and the value everything after it, with one
    leading U+0020 SPACE removed.  "Otherwise", the whole line is the name
    and the value is empty.  Works on ``str`` (the decoder) and on ``bytes``
    (frame recovery and ``check``), so all three read fields by one rule.

    >>> parse_field("data:  x"), parse_field(b"retry"), parse_field(": hi")
    (('data', ' x'), (b'retry', b''), ('', 'hi'))
    """
    colon, space = (b":", b" ") if type(line) is bytes else (":", " ")
    name, found, value = line.partition(colon)
    if found and value.startswith(space):
        value = value[1:]
    return name, value


class LineSplitter:
    """Incremental CR/LF/CRLF line splitter with UTF-8 decoding and a line limit."""

    __slots__ = ("_at_start", "_consumed", "_head", "_partial", "_region", "_region_start",
                 "_skip_lf", "_special", "error", "max_line_size", "room")

    def __init__(self, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        if max_line_size < 1:
            raise ValueError("max_line_size must be at least 1")
        self.max_line_size = max_line_size
        self._at_start = True
        self._head = b""  # the first bytes, held back while they could be a BOM
        # The unterminated last line.  Reads without a line end mostly reach
        # this splitter already joined (see the decoder shell's parking).
        self._partial = b""
        self._skip_lf = False  # the last region ended in CR: a leading LF is its pair
        self._special = True  # one of the two flags above is set
        self._consumed = 0  # stream offset of the first byte of _partial
        self._region = b""  # raw bytes behind the last returned text
        self._region_start = 0
        #: How many bytes without CR or LF could be added to the current line
        #: now, after the last ``feed``: 0 while the stream's start (a possible
        #: BOM) or a CR that may pair with an LF is pending, as the next bytes
        #: must then come through :meth:`feed`.
        self.room = 0
        #: A limit error found by the last ``feed``: the returned text stops before
        #: the offending line, and the caller raises this after interpreting it.
        self.error: LimitExceeded | None = None

    @property
    def offset(self) -> int:
        """The stream byte offset just past the last complete line."""
        return self._consumed

    @property
    def region(self) -> tuple[bytes, int]:
        """The raw bytes behind the text the last call returned, and their stream offset."""
        return self._region, self._region_start

    def feed(self, data: bytes) -> bytes:
        """Buffer ``data``; return the lines it completes, LF-normalised, or ``b""``.

        The result is still UTF-8: callers decode it with ``"replace"``.
        """
        if self._special:
            data = self._start_of_read(data)
        end = data.rfind(b"\n") + 1
        if data.find(b"\r", end) >= 0:
            end = data.rfind(b"\r") + 1
        if not end:
            return self._no_line_end(data)
        partial = self._partial
        if partial:
            region = partial + data[:end]
            self._partial = data[end:]
        elif end == len(data):
            region = data
        else:
            region = data[:end]
            self._partial = data[end:]
        self._region_start = start = self._consumed
        self._consumed = start + len(region)
        # A CR that is the last byte so far may be the first half of a CRLF.
        if end == len(data) and region[-1] == 13:
            self._skip_lf = self._special = True
        # Limit errors wait until the lines before the long one have been
        # interpreted, so errors come in stream order whatever the reads.
        if len(region) > self.max_line_size:
            region = self._cut_before_long_line(region, start)
        room = self.max_line_size - len(self._partial)
        if room < 0 and self.error is None:
            self.error = self._line_too_long(self._consumed, len(self._partial))
        self.room = 0 if self._special else room
        self._region = region
        # CR and LF are never part of a multi-byte sequence, so line ends can
        # be normalised on the bytes, where it is cheapest.
        if b"\r" in region:
            if _LONE_CR.search(region) is None:  # CRLF only: drop the CRs, quickest
                return region.replace(b"\r", b"")
            region = region.replace(b"\r\n", b"\n")
            if b"\r" in region:
                region = region.replace(b"\r", b"\n")
        return region

    def _no_line_end(self, data: bytes) -> bytes:
        """``data`` holds no line end: it only extends the unterminated line."""
        self._partial += data
        if len(self._partial) > self.max_line_size:
            raise self._line_too_long(self._consumed, len(self._partial))
        self.room = 0 if self._special else self.max_line_size - len(self._partial)
        return b""

    def _start_of_read(self, data: bytes) -> bytes:
        """Apply the stream-start BOM rule and a pending CR's LF pairing to ``data``."""
        if self._at_start:
            data = self._head + data
            if len(data) < 3 and _BOM.startswith(data):
                self._head = data
                return b""
            self._at_start = False
            self._head = b""
            if data[:3] == _BOM:
                data = data[3:]
                self._consumed += 3
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
                self._consumed += 1
        self._special = self._skip_lf or self._at_start
        return data

    def close(self) -> bytes:
        """End of stream: return the unterminated last line (undecoded), possibly ``b""``.

        The splitter is spent afterwards.  The BOM rule still applies to a
        stream that never got past its first three bytes.
        """
        tail = self._partial
        if self._at_start and self._head:
            tail = self._head[3:] if self._head[:3] == _BOM else self._head
        self._partial = b""
        self._head = b""
        self._region, self._region_start = tail, self._consumed
        return tail

    def non_empty_line_offset(self, index: int) -> int:
        """The stream offset of the non-empty line ``index`` (counting non-empty lines
        only) of the text the last ``feed`` returned."""
        offset = self._region_start
        for line in self._region.splitlines(keepends=True):
            if line.rstrip(b"\r\n"):
                if not index:
                    return offset
                index -= 1
            offset += len(line)
        return offset

    def _cut_before_long_line(self, region: bytes, start: int) -> bytes:
        # Only reached when the region itself is longer than the limit, so a
        # conforming stream read in ordinary sizes never pays for this.
        cut = 0
        for line in region.splitlines(keepends=True):
            size = len(line.rstrip(b"\r\n"))
            if size > self.max_line_size:
                self.error = self._line_too_long(start + cut, size)
                return region[:cut]
            cut += len(line)
        return region

    def _line_too_long(self, offset: int, size: int) -> LimitExceeded:
        return LimitExceeded(
            f"line at byte {offset} is longer than max_line_size={self.max_line_size} bytes"
            f" (at least {size} bytes); pass limits=Limits(max_line_size=...) with a larger"
            " value if such lines are expected",
            limit_name="max_line_size",
            limit=self.max_line_size,
            offset=offset,
        )
