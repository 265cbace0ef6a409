"""Hypothesis strategies for raw SSE byte streams (test-only)."""

from __future__ import annotations

from hypothesis import strategies as st

# Tokens chosen to hit every branch of the rules: field names (right and
# wrong case), separators, every line ending, BOMs, NULs, digits and
# near-digits for retry, multi-byte and invalid UTF-8.
TOKENS = [
    b"data", b"data:", b"data: ", b"Data:", b"event:", b"event: ", b"id:", b"id: ",
    b"retry:", b"retry: ", b":", b": comment", b" ", b"  ", b"\t",
    b"\n", b"\r", b"\r\n", b"\n\n", b"\r\n\r\n",
    b"x", b"hello", b"{\"a\": 1}", b"[DONE]", b"0", b"12", b"007", b"-1", b"1e3", b"\xd9\xa3",
    b"\x00", b"\xef\xbb\xbf", b"\xef\xbb", b"\xc3\xa9", b"\xf0\x9f\x99\x82", b"\xe4\xbd\xa0",
    b"\xff", b"\x80", b"\xe2\x82", b"\xf0\x9f", b"\xed\xa0\x80", b"\xc0\x80",
    b"\xe2\x80\xa8", b"\xc2\x85",
]

sse_streams = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)


@st.composite
def streams_and_cuts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    stream = draw(sse_streams)
    cuts = draw(st.lists(st.integers(0, max(len(stream), 1)), max_size=12))
    return stream, cuts
