"""Hypothesis strategies for testing SSE and chat-stream consumers.

Install with the ``sseproto[testing]`` extra.  Importing :mod:`sseproto`
never imports this module (or hypothesis).

- :func:`chat_streams` draws a :class:`ChatStreamCase`: the bytes of a chat
  stream in one of the wire forms seen in the wild (:data:`WIRE_FORMS`),
  with the text a correct decoder must recover.
- :func:`splittings` draws a way to cut a byte string into reads.
- :func:`malformed_chat_streams` draws a chat stream with one frame broken
  (truncated JSON, unbalanced braces, stray ``data:`` lines, invalid UTF-8,
  quotes inside strings), for totality tests.
- :func:`replay_server` serves a captured stream on loopback, with faults,
  for client tests.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st

__all__ = [
    "WIRE_FORMS",
    "ChatStreamCase",
    "chat_streams",
    "malformed_chat_streams",
    "pretty_json",
    "render_chat_stream",
    "replay_server",
    "splittings",
]

#: The wire forms :func:`chat_streams` can produce.
WIRE_FORMS = (
    "conforming",  # data: {json}\n\n ... data: [DONE]\n\n
    "conforming-crlf",  # the same with CRLF
    "no-blank-lines",  # data: {json}\n data: {json}\n ... data: [DONE]\n
    "split-data-lines",  # one event's JSON over several data: lines (valid SSE)
    "pretty-printed",  # Prediction Guard: data: {\n"key":...\n}\n with no blank lines
    "pretty-printed-crlf",
    "pretty-printed-blank-lines",  # the same with a blank line after each frame
    "pretty-printed-indented",  # pretty-printed with two-space indentation
)

# Token texts that try to fool a framer: braces, quotes, escapes, fake markers.
_TRICKY = ["{", "}", "[", "]", '"', '\\"', "\\", "data: ", "\ndata: [DONE]\n", "[DONE]",
           "\n\n", "\r\n", ":", "\u2028", "\x00", "é", "你好", "🙂", " ", "event: error"]


@dataclass(frozen=True)
class ChatStreamCase:
    """A generated chat stream and what decoding it must give."""

    data: bytes
    text: str  # the joined content of choice 0
    form: str
    chunks: tuple[dict[str, Any], ...]  # the JSON payloads, in order


def pretty_json(value: Any, indent: str = "") -> list[str]:
    """Render ``value`` as lines, one member per line, like the Prediction Guard stream."""
    if isinstance(value, dict) and value:
        lines = ["{"]
        items = list(value.items())
        for number, (key, item) in enumerate(items):
            comma = "," if number < len(items) - 1 else ""
            inner = pretty_json(item, indent)
            head = orjson.dumps(key).decode() + ":"
            if len(inner) == 1:
                lines.append(indent + head + inner[0] + comma)
            else:
                lines.append(indent + head + inner[0])
                lines.extend(indent + line for line in inner[1:-1])
                lines.append(indent + inner[-1] + comma)
        lines.append("}")
        return lines
    if isinstance(value, list) and value:
        lines = ["["]
        for number, item in enumerate(value):
            comma = "," if number < len(value) - 1 else ""
            inner = pretty_json(item, indent)
            lines.extend(indent + line for line in inner[:-1])
            lines.append(indent + inner[-1] + comma)
        lines.append("]")
        return lines
    if isinstance(value, dict):
        return ["{", "}"]  # Prediction Guard writes an empty delta over two lines
    return [orjson.dumps(value).decode()]


def _structural_commas(text: str) -> list[int]:
    """Positions of the commas of ``text`` (compact JSON) that are not inside strings."""
    commas, in_string, escaped = [], False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == ",":
            commas.append(position)
    return commas


def _frame(chunk: dict[str, Any], form: str, split_at: int) -> str:
    compact = orjson.dumps(chunk).decode()
    if form in ("conforming", "conforming-crlf"):
        return f"data: {compact}\n\n"
    if form == "no-blank-lines":
        return f"data: {compact}\n"
    if form == "split-data-lines":
        # Cut between JSON tokens (after a comma): never inside a string.
        commas = _structural_commas(compact)
        cut = commas[split_at % len(commas)] + 1 if commas else len(compact)
        return f"data: {compact[:cut]}\ndata: {compact[cut:]}\n\n"
    lines = pretty_json(chunk, "  " if form == "pretty-printed-indented" else "")
    body = "data: " + "\n".join(lines) + "\n"
    return body + "\n" if form == "pretty-printed-blank-lines" else body


def render_chat_stream(chunks: list[dict[str, Any]], form: str, split_at: int = 0) -> bytes:
    """The bytes of ``chunks`` followed by ``[DONE]`` in the given wire form."""
    frames = [_frame(chunk, form, split_at + number) for number, chunk in enumerate(chunks)]
    if form in ("no-blank-lines", "pretty-printed", "pretty-printed-crlf",
                "pretty-printed-indented"):
        frames.append("data: [DONE]\n")
    else:
        frames.append("data: [DONE]\n\n")
    text = "".join(frames)
    if form.endswith("-crlf"):
        text = text.replace("\n", "\r\n")
    return text.encode()


def _chunk(content: str | None, finish: str | None, model: str) -> dict[str, Any]:
    delta: dict[str, Any] = {} if content is None else {"content": content}
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1717785387,
            "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                         "finish_reason": finish}]}


_contents = st.one_of(st.text(max_size=12), st.sampled_from(_TRICKY))


@st.composite
def chat_streams(draw: st.DrawFn, forms: tuple[str, ...] = WIRE_FORMS) -> ChatStreamCase:
    """A chat stream in one of ``forms``, ending with a finish chunk and ``[DONE]``."""
    form = draw(st.sampled_from(forms))
    contents = draw(st.lists(st.one_of(st.none(), _contents), max_size=8))
    model = draw(st.sampled_from(["gpt-4o-mini", "Hermes-2-Pro-Llama-3-8B", 'm"{x}']))
    chunks = [_chunk(content, None, model) for content in contents]
    chunks.append(_chunk(None, draw(st.sampled_from(["stop", "length", "tool_calls"])), model))
    data = render_chat_stream(chunks, form, draw(st.integers(0, 50)))
    text = "".join(content for content in contents if content)
    return ChatStreamCase(data=data, text=text, form=form, chunks=tuple(chunks))


@st.composite
def splittings(draw: st.DrawFn, data: bytes, max_pieces: int = 20) -> list[bytes]:
    """``data`` cut at up to ``max_pieces - 1`` drawn points (joined, they give ``data``)."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=max_pieces - 1))))
    pieces, last = [], 0
    for cut in cuts:
        pieces.append(data[last:cut])
        last = cut
    pieces.append(data[last:])
    return pieces


_MUTATIONS = ("truncate", "drop-brace", "extra-brace", "stray-data", "invalid-utf8",
              "raw-quote", "garbage-line", "insert-bytes")


@st.composite
def malformed_chat_streams(draw: st.DrawFn) -> bytes:
    """A chat stream with one drawn corruption somewhere in it."""
    case = draw(chat_streams())
    data = case.data
    kind = draw(st.sampled_from(_MUTATIONS))
    at = draw(st.integers(0, len(data)))
    if kind == "truncate":
        return data[:at]
    if kind == "drop-brace":
        brace = data.rfind(b"}", 0, at)
        return data[:brace] + data[brace + 1 :] if brace >= 0 else data
    insert = {
        "extra-brace": b"{",
        "stray-data": b"\ndata: ",
        "invalid-utf8": draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb"])),
        "raw-quote": b'"',
        "garbage-line": b"\n" + draw(st.sampled_from([b"}", b"{", b"]", b"data", b": x",
                                                      b"event: error", b"data: [DONE]"])) + b"\n",
        "insert-bytes": draw(st.binary(min_size=1, max_size=6)),
    }[kind]
    return data[:at] + insert + data[at:]


@contextlib.contextmanager
def replay_server(source: Any, *, faults: Iterable[str] = (), speed: float = 0.0,
                  ssl_context: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve a transcript on 127.0.0.1 for the duration of a ``with`` block; yield its URL.

    ``source`` is a :class:`~sseproto.transcript.Transcript`, a path to any
    file :func:`sseproto.transcript.load` reads, or raw body bytes.  Faults
    use the command line's syntax (``"cut:200"``, ``"bytewise"``, ...).

    >>> with replay_server(b"data: [DONE]\\n\\n") as url:   # doctest: +SKIP
    ...     events = list(sseproto.Client(url + "/v1").stream_chat({}))
    """
    from .server import ReplayServer, parse_fault
    from .transcript import Transcript, load, loads

    if isinstance(source, Transcript):
        transcript = source
    elif isinstance(source, bytes | bytearray):
        transcript = loads(bytes(source))
    else:
        transcript = load(source)
    server = ReplayServer(transcript, speed=speed, ssl_context=ssl_context,
                          faults=[parse_fault(text) for text in faults])
    with server:
        yield server.url
