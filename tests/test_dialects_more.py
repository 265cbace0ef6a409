"""Anthropic, OpenAI Responses and Ollama (NDJSON): exact text under any split, and totality.

Each generator below draws a stream of one wire format, framed the ways it
is seen (named SSE events, data-only, no blank lines, pretty-printed, CRLF;
NDJSON with blank lines, CRLF and a last line without its newline), and
returns the events a correct decoder must give.  Decoding must give exactly
those, whole or cut into any reads, with ``auto`` and with the dialect named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import ChatStreamDecoder, Delta, Done, Final, LimitExceeded, RemoteProtocolError
from sseproto.testing import pretty_json, splittings
from tests.chat_helpers import decode_chat, outcome
from tests.helpers import bytewise, split_at

# Token texts that try to fool a framer: line breaks (escaped in JSON), braces,
# quotes, fake SSE fields and markers, separators that are not line breaks.
TRICKY = ["{", "}", "[", "]", '"', "\\", "\n", "\r\n", "\n\n", "data: ", "event: error\n",
          "[DONE]", ":", "\u2028", "\u0085", "\x00", "é", "你好", "🙂", " ", "", '{"done":true}']
PIECES = st.lists(st.one_of(st.text(max_size=10), st.sampled_from(TRICKY)), max_size=8)
SSE_FORMS = ("named", "named-crlf", "data-only", "no-blank-lines", "pretty-printed")


@dataclass(frozen=True)
class Case:
    data: bytes
    deltas: list[str | None]  # every Delta's content, in order
    text: str  # the Final's generated_text
    finish_reason: str | None
    usage: Any


def frame_sse(events: list[dict[str, Any]], form: str) -> bytes:
    out = []
    for value in events:
        compact = orjson.dumps(value).decode()
        if form in ("named", "named-crlf"):
            out.append(f"event: {value['type']}\ndata: {compact}\n\n")
        elif form == "data-only":
            out.append(f"data: {compact}\n\n")
        elif form == "no-blank-lines":
            out.append(f"event: {value['type']}\ndata: {compact}\n")
        else:
            out.append("data: " + "\n".join(pretty_json(value)) + "\n")
    text = "".join(out)
    return (text.replace("\n", "\r\n") if form.endswith("-crlf") else text).encode()


def check(case: Case, pieces: list[bytes], dialect: str) -> None:
    events, chat = decode_chat(pieces, dialect=dialect)
    assert [e.content for e in events if isinstance(e, Delta)] == case.deltas
    assert all(e.index == 0 for e in events if isinstance(e, Delta))
    finals = [e for e in events if isinstance(e, Final)]
    assert [(f.generated_text, f.finish_reason, f.usage) for f in finals] == [
        (case.text, case.finish_reason, case.usage)]
    assert isinstance(events[-1], Done) and chat.done


def check_everywhere(data: st.DataObject, case: Case, dialect: str) -> None:
    pieces = data.draw(splittings(case.data))
    for feed in ([case.data], pieces):
        check(case, feed, "auto")
        check(case, feed, dialect)


# --- Anthropic ------------------------------------------------------------------------


@st.composite
def anthropic_streams(draw: st.DrawFn) -> Case:
    pieces = draw(PIECES)
    start_usage = {"input_tokens": draw(st.integers(0, 999)), "output_tokens": 1}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {
            "id": "msg_x", "type": "message", "role": "assistant", "content": [],
            "model": draw(st.sampled_from(["claude-x", 'm"{x}'])), "stop_reason": None,
            "usage": start_usage}}]
    deltas: list[str | None] = []
    block = 0
    if draw(st.booleans()):  # a thinking block first
        events += [{"type": "content_block_start", "index": block,
                    "content_block": {"type": "thinking", "thinking": ""}},
                   {"type": "content_block_delta", "index": block,
                    "delta": {"type": "thinking_delta", "thinking": draw(st.sampled_from(TRICKY))}},
                   {"type": "content_block_stop", "index": block}]
        deltas.append(None)
        block += 1
    events.append({"type": "content_block_start", "index": block,
                   "content_block": {"type": "text", "text": ""}})
    for piece in pieces:
        if draw(st.integers(0, 5)) == 0:
            events.append({"type": "ping"})
        events.append({"type": "content_block_delta", "index": block,
                       "delta": {"type": "text_delta", "text": piece}})
        deltas.append(piece)
    events.append({"type": "content_block_stop", "index": block})
    if draw(st.booleans()):  # a tool call after the text
        block += 1
        events.append({"type": "content_block_start", "index": block, "content_block": {
            "type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}})
        for part in draw(st.lists(st.sampled_from(TRICKY), max_size=3)):
            events.append({"type": "content_block_delta", "index": block,
                           "delta": {"type": "input_json_delta", "partial_json": part}})
            deltas.append(None)
    reason = draw(st.sampled_from(["end_turn", "max_tokens", "tool_use", None]))
    message_delta: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": reason}}
    usage: Any = start_usage
    if draw(st.booleans()):
        message_delta["usage"] = {"output_tokens": draw(st.integers(0, 999))}
        usage = {**start_usage, **message_delta["usage"]}  # merged as the Anthropic SDK does
    events += [message_delta, {"type": "message_stop"}]
    data = frame_sse(events, draw(st.sampled_from(SSE_FORMS)))
    return Case(data, deltas, "".join(pieces), reason, usage)


@settings(max_examples=200)
@given(st.data())
def test_anthropic_text_is_exact_under_any_split(data: st.DataObject) -> None:
    check_everywhere(data, data.draw(anthropic_streams()), "anthropic")


def test_anthropic_tool_calls_are_accumulated() -> None:
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "m", "model": "c", "usage": None}},
        {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_1", "name": "get", "input": {}}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": '{"ci'}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": 'ty":"Oslo"}'}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": None},
        {"type": "message_stop"},
    ]
    out, chat = decode_chat(bytewise(frame_sse(events, "named")))
    final = next(e for e in out if isinstance(e, Final))
    assert final.tool_calls == [{"id": "toolu_1", "type": "function",
                                 "function": {"name": "get", "arguments": '{"city":"Oslo"}'}}]
    assert final.usage is None and chat.result.id == "m" and chat.dialect == "anthropic"


# --- OpenAI Responses -----------------------------------------------------------------


@st.composite
def responses_streams(draw: st.DrawFn) -> Case:
    pieces = draw(PIECES)
    seq = iter(range(10_000))

    def ev(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "sequence_number": next(seq), **fields}

    def response(status: str, output: list[Any], usage: Any = None,
                 details: Any = None) -> dict[str, Any]:
        return {"id": "resp_x", "object": "response", "status": status, "model": "gpt-x",
                "output": output, "usage": usage, "incomplete_details": details, "error": None}

    events = [ev("response.created", response=response("in_progress", []))]
    deltas: list[str | None] = []
    for piece in pieces:
        if draw(st.integers(0, 5)) == 0:  # reasoning: a Delta with content None
            events.append(ev("response.reasoning_summary_text.delta", item_id="rs", output_index=0,
                             summary_index=0, delta=draw(st.sampled_from(TRICKY))))
            deltas.append(None)
        deltas.append(piece)
        events.append(ev("response.output_text.delta", item_id="msg", output_index=1,
                         content_index=0, delta=piece))
    text = "".join(pieces)
    # The server's text: sometimes split over several output_text parts.
    cut = draw(st.integers(0, len(text)))
    parts = [{"type": "output_text", "text": t, "annotations": []}
             for t in (text[:cut], text[cut:])]
    output = [{"type": "reasoning", "id": "rs", "summary": []},
              {"type": "message", "id": "msg", "role": "assistant", "content": parts}]
    usage = {"input_tokens": 1, "output_tokens": draw(st.integers(0, 99))}
    if draw(st.booleans()):
        reason = "completed"
        events.append(ev("response.completed", response=response("completed", output, usage)))
    else:
        reason = draw(st.sampled_from(["max_output_tokens", "content_filter"]))
        events.append(ev("response.incomplete", response=response(
            "incomplete", output, usage, {"reason": reason})))
    data = frame_sse(events, draw(st.sampled_from(SSE_FORMS)))
    return Case(data, deltas, text, reason, usage)


@settings(max_examples=200)
@given(st.data())
def test_responses_text_is_exact_under_any_split(data: st.DataObject) -> None:
    check_everywhere(data, data.draw(responses_streams()), "openai-responses")


# --- Ollama (NDJSON) ------------------------------------------------------------------


@st.composite
def ollama_streams(draw: st.DrawFn) -> Case:
    pieces = draw(PIECES)
    chat = draw(st.booleans())

    def line(content: str, **extra: Any) -> dict[str, Any]:
        value: dict[str, Any] = {"model": "llama3.2", "created_at": "2024-07-22T20:33:28Z"}
        if chat:
            value["message"] = {"role": "assistant", "content": content}
        else:
            value["response"] = content
        return {**value, **extra}

    reason = draw(st.sampled_from(["stop", "length"]))
    values = [line(piece, done=False) for piece in pieces]
    values.append(line("", done=True, done_reason=reason, eval_count=len(pieces)))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    blank = st.sampled_from(["", " ", "\t", "  \t"])
    text = draw(st.lists(blank, max_size=2).map(lambda b: "".join(x + eol for x in b)))
    for value in values:
        text += orjson.dumps(value).decode() + eol
        text += "".join(x + eol for x in draw(st.lists(blank, max_size=2)))
    if draw(st.booleans()):  # the last line without its line break
        text = text.rstrip(" \t\r\n")
    return Case(text.encode(), [*pieces, ""], "".join(pieces), reason, None)


@settings(max_examples=200)
@given(st.data())
def test_ollama_text_is_exact_under_any_split(data: st.DataObject) -> None:
    check_everywhere(data, data.draw(ollama_streams()), "ollama")


@st.composite
def broken_ndjson(draw: st.DrawFn) -> bytes:
    """An Ollama stream with one drawn corruption, or arbitrary bytes after a '{'."""
    if draw(st.integers(0, 3)) == 0:
        return b"{" + draw(st.binary(max_size=200))
    data = draw(ollama_streams()).data
    at = draw(st.integers(0, len(data)))
    kind = draw(st.sampled_from(["truncate", "insert", "flip", "invalid-utf8", "newline"]))
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "flip" and at < len(data):
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "invalid-utf8":
        return data[:at] + b"\xff\xc3" + data[at:]
    return data[:at] + b"\n" + data[at:]


NDJSON_KWARGS: list[dict[str, Any]] = [
    {}, {"dialect": "ollama"}, {"on_malformed": "skip"},
    {"dialect": "ollama", "on_malformed": "skip"},
    {"dialect": "ollama", "max_event_size": 40, "max_line_size": 60},
    {"max_event_size": 16, "max_line_size": 16, "on_malformed": "skip"},
]


@settings(max_examples=300)
@given(st.data())
def test_ndjson_totality_and_split_invariance(data: st.DataObject) -> None:
    # outcome() lets only ProtocolError through; anything else fails the test.
    stream = data.draw(broken_ndjson())
    pieces = data.draw(splittings(stream))
    for kwargs in NDJSON_KWARGS:
        whole = outcome([stream], **kwargs)
        assert outcome(pieces, **kwargs) == whole
        if len(stream) <= 300:
            assert outcome(bytewise(stream), **kwargs) == whole


@settings(max_examples=300)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_totality_on_arbitrary_bytes(stream: bytes, cuts: list[int]) -> None:
    for dialect in ("ollama", "anthropic", "openai-responses"):
        for skip in ("raise", "skip"):
            kwargs = {"dialect": dialect, "on_malformed": skip}
            assert outcome([stream], **kwargs) == outcome(split_at(stream, cuts), **kwargs)


# --- auto detection and NDJSON errors -------------------------------------------------


def test_auto_sniffs_the_first_non_blank_byte() -> None:
    line = b'{"model":"m","message":{"content":"hi"},"done":true,"done_reason":"stop"}\n'
    for stream in (line, b"\n \r\n\t\n" + line, b"\xef\xbb\xbf" + line):
        for pieces in ([stream], bytewise(stream)):
            events, chat = decode_chat(pieces)
            assert chat.dialect == "ollama" and chat.done
            assert [type(e) for e in events] == [Delta, Final, Done]
    chat = ChatStreamDecoder()
    assert chat.feed(b"\n  \n") == [] and chat.dialect is None
    assert chat.close() == [] and not chat.done


def test_ndjson_malformed_line_names_its_byte_offset() -> None:
    first = b'{"model":"m","message":{"content":"a"},"done":false}\r\n'
    stream = first + b"\r\n" + b"not json\r\n"
    for pieces in ([stream], bytewise(stream)):
        with pytest.raises(RemoteProtocolError) as info:
            decode_chat(pieces, dialect="ollama")
        assert info.value.offset == len(first) + 2
        assert "not json" in str(info.value)
    _, chat = decode_chat([stream], on_malformed="skip")
    assert chat.repairs["skipped_malformed"] == 1 and not chat.done


def test_ndjson_limits_and_partial_last_line() -> None:
    big = b'{"model":"m","message":{"content":"' + b"x" * 100 + b'"},"done":false}\n'
    with pytest.raises(LimitExceeded) as info:
        decode_chat([b"\n" + big], dialect="ollama", max_event_size=50)
    assert info.value.limit_name == "max_event_size" and info.value.offset == 1
    events, chat = decode_chat([big + big[:20]])
    assert chat.repairs["dropped_partial_frame"] == 1 and not chat.done
    events, chat = decode_chat([big + big[:-1]])
    assert chat.repairs["unterminated_last_frame"] == 1 and len(events) == 2


def test_auto_reports_every_dialects_error_as_the_first_payload() -> None:
    cases = [
        (b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
         b'"message":"Overloaded"}}\n\n', "overloaded_error"),
        (b'data: {"type":"error","code":"rate_limit_exceeded","message":"slow",'
         b'"sequence_number":0}\n\n', "rate_limit_exceeded"),
        (b'data: {"type":"response.failed","response":{"status":"failed",'
         b'"error":{"code":"server_error","message":"boom"}}}\n\n', "server_error"),
        (b'{"error":"model not found"}\n', "error"),
        (b'data: {"error":"bad input","error_type":"validation"}\n\n', "validation"),
        (b'data: {"error":{"message":"no","type":"invalid_request_error"}}\n\n',
         "invalid_request_error"),
    ]
    for stream, kind in cases:
        events, chat = decode_chat(bytewise(stream))
        assert len(events) == 1 and events[0].type == kind and not chat.done


# --- regressions found by fuzzing the new dialects ------------------------------------

REGRESSIONS: list[tuple[bytes, dict[str, Any]]] = [
    # An 'event: error' frame held back at the end of a block, then a last
    # complete line: whole, the frame was read at close() and counted an
    # unterminated last frame; split, it was read by a feed and was not.
    (b'event: error\ndata: {"type":"error","code":"x","message":"m","param":nulBql}\n'
     b'ype":"output_text"\n', {}),
    # The same held-back frame, then a line over max_line_size: whole, the
    # limit was raised before the frame (which ends the stream) was read.
    (b'event: error\ndata: {"typ"},"done":false}\n{"model":"llama3.2","created_at":"2024-0e"'
     b':"error","error', {"max_event_size": 30, "max_line_size": 40, "on_malformed": "skip"}),
    # A first payload whose "type" is an object (unhashable).
    (b'data: {"type":{"a":1}}\n\n', {"on_malformed": "skip"}),
]


@pytest.mark.parametrize("stream, kwargs", REGRESSIONS)
def test_fuzz_regressions_same_outcome_however_split(stream: bytes, kwargs: dict[str, Any]) -> None:
    whole = outcome([stream], **kwargs)
    assert outcome(bytewise(stream), **kwargs) == whole
    for cut in range(len(stream) + 1):
        assert outcome(split_at(stream, [cut]), **kwargs) == whole
