"""Provider details: reasoning, refusals, Mistral's content parts, Anthropic's usage merge."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import ChatStreamDecoder, Delta, Done, Final
from sseproto.check import check
from sseproto.dialects import ShapeError
from sseproto.transcript import Transcript
from tests.chat_helpers import decode_chat
from tests.helpers import bytewise, split_at


def sse(*payloads: Any, end: bytes = b"data: [DONE]\n\n") -> bytes:
    return b"".join(b"data: " + orjson.dumps(p) + b"\n\n" for p in payloads) + end


def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def every_split(data: bytes, **kwargs: Any) -> tuple[list[Any], Any]:
    """Decode whole, bytewise and at every single cut: all must agree."""
    events, chat = decode_chat([data], **kwargs)
    assert decode_chat(bytewise(data), **kwargs)[0] == events
    for cut in range(0, len(data), max(1, len(data) // 40)):
        assert decode_chat(split_at(data, [cut]), **kwargs)[0] == events
    return events, chat


def deltas(events: list[Any]) -> list[tuple[str | None, str | None, str | None]]:
    return [(e.content, e.reasoning, e.refusal) for e in events if isinstance(e, Delta)]


def finals(events: list[Any]) -> list[Final]:
    return [e for e in events if isinstance(e, Final)]


# --- OpenAI-compatible -----------------------------------------------------------------


def test_openai_refusal_is_kept() -> None:
    refusal = "I'm sorry, I cannot assist with that request."
    data = sse(chunk({"role": "assistant", "content": None, "refusal": ""}),
               *[chunk({"refusal": piece}) for piece in (refusal[:9], refusal[9:])],
               chunk({}, "stop"))
    events, _ = every_split(data)
    assert deltas(events)[1:3] == [(None, None, refusal[:9]), (None, None, refusal[9:])]
    [final] = finals(events)
    assert (final.generated_text, final.refusal, final.reasoning) == ("", refusal, None)


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_openai_compatible_reasoning(key: str) -> None:
    data = sse(chunk({"role": "assistant", key: "Two and"}), chunk({key: " two."}),
               chunk({key: None, "content": "4"}), chunk({"content": ""}, "stop"))
    events, _ = every_split(data)
    assert deltas(events) == [(None, "Two and", None), (None, " two.", None), ("4", None, None),
                              ("", None, None)]
    [final] = finals(events)
    assert (final.generated_text, final.reasoning, final.refusal) == ("4", "Two and two.", None)


def test_reasoning_content_wins_over_a_duplicate_reasoning_field() -> None:
    data = sse(chunk({"reasoning_content": "a", "reasoning": "a"}), chunk({}, "stop"))
    events, _ = every_split(data)
    assert finals(events)[0].reasoning == "a"


def test_reasoning_of_another_shape_stays_on_the_chunk() -> None:
    data = sse(chunk({"content": "x", "reasoning": {"summary": "s"}, "refusal": 3}),
               chunk({}, "stop"))
    events, _ = every_split(data)
    assert deltas(events)[0] == ("x", None, None)
    assert events[0].chunk["choices"][0]["delta"]["reasoning"] == {"summary": "s"}


MISTRAL = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "Okay, "}]}]}),
    chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "sum."}]}]}),
    chunk({"content": [{"type": "text", "text": "The answer"}]}),
    chunk({"content": " is 4."}, "stop"),
]


def test_mistral_content_part_lists() -> None:
    events, chat = every_split(sse(*MISTRAL))
    assert deltas(events) == [("", None, None), (None, "Okay, ", None), (None, "sum.", None),
                              ("The answer", None, None), (" is 4.", None, None)]
    [final] = finals(events)
    assert (final.generated_text, final.reasoning) == ("The answer is 4.", "Okay, sum.")
    assert chat.dialect == "openai" and chat.done


def test_mistral_mixed_parts_in_one_delta() -> None:
    parts = [{"type": "thinking", "thinking": "plain thought"}, {"type": "text", "text": "a"},
             {"type": "image_url", "image_url": "x"}, {"type": "text", "text": "b"}]
    events, _ = every_split(sse(chunk({"content": parts}, "stop")))
    assert deltas(events) == [("ab", "plain thought", None)]
    events, _ = every_split(sse(chunk({"content": []}, "stop")))
    assert deltas(events) == [(None, None, None)]


@pytest.mark.parametrize("content", [[1], [{"type": "text", "text": 5}], 7, {"a": 1}])
def test_content_of_an_unknown_shape_names_the_field(content: Any) -> None:
    with pytest.raises(ShapeError, match=r"openai dialect's shape: choices\[\]\.delta\.content") \
            as info:
        decode_chat([sse(chunk({"content": content}))])
    assert info.value.field is not None and info.value.field.startswith("choices[].delta.content")


# --- Anthropic ---------------------------------------------------------------------------


def anthropic(*events: dict[str, Any]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n"
                    for e in events)


START = {"type": "message_start", "message": {
    "id": "msg_1", "model": "claude", "usage": {
        "input_tokens": 377, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
        "output_tokens": 1}}}


def test_anthropic_usage_is_merged_as_the_sdk_merges_it() -> None:
    data = anthropic(
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 20, "input_tokens": None, "server_tool_use": None}},
        {"type": "message_stop"})
    events, chat = every_split(data)
    expected = {"input_tokens": 377, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0, "output_tokens": 20}
    assert finals(events)[0].usage == expected == chat.result.usage
    assert START["message"]["usage"]["output_tokens"] == 1  # the payload is not changed


def test_anthropic_thinking_is_reasoning() -> None:
    data = anthropic(
        START,
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "Let me add."}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "signature_delta", "signature": "EqQB"}},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "redacted_thinking", "data": "EmwK"}},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "4"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 9}},
        {"type": "message_stop"})
    events, _ = every_split(data)
    assert deltas(events) == [(None, "Let me add.", None), (None, None, None), ("4", None, None)]
    [final] = finals(events)
    assert (final.generated_text, final.reasoning) == ("4", "Let me add.")


# --- Responses and Ollama ------------------------------------------------------------------


def test_responses_reasoning_and_refusal_deltas() -> None:
    def ev(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, **fields}

    response = {"id": "r", "status": "completed", "output": [], "usage": None}
    data = sse(ev("response.created", response={**response, "status": "in_progress"}),
               ev("response.reasoning_text.delta", delta="think"),
               ev("response.refusal.delta", delta="No."),
               ev("response.completed", response=response), end=b"")
    events, _ = every_split(data)
    assert deltas(events) == [(None, "think", None), (None, None, "No.")]
    [final] = finals(events)
    assert (final.reasoning, final.refusal, final.generated_text) == ("think", "No.", "")


def test_ollama_thinking_is_reasoning() -> None:
    lines = [{"model": "qwen3", "message": {"role": "assistant", "content": "",
                                            "thinking": "Hmm."}, "done": False},
             {"model": "qwen3", "message": {"role": "assistant", "content": "Yes"},
              "done": False},
             {"model": "qwen3", "response": "", "thinking": None, "done": True,
              "done_reason": "stop"}]
    data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    events, _ = every_split(data)
    assert deltas(events) == [("", "Hmm.", None), ("Yes", None, None), ("", None, None)]
    assert finals(events)[0].reasoning == "Hmm."


# --- any split ------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["content", "reasoning_content", "refusal", "parts"]),
                          st.text(max_size=8)), max_size=8),
       st.lists(st.integers(0, 2000), max_size=8))
def test_joined_texts_do_not_depend_on_the_split(pieces: list[tuple[str, str]],
                                                 cuts: list[int]) -> None:
    chunks = []
    for key, text in pieces:
        if key == "parts":
            chunks.append(chunk({"content": [{"type": "thinking", "thinking": text},
                                             {"type": "text", "text": text}]}))
        else:
            chunks.append(chunk({key: text}))
    data = sse(*chunks, chunk({}, "stop"))
    [final] = finals(decode_chat(split_at(data, cuts))[0])
    content = "".join(t for k, t in pieces if k in ("content", "parts"))
    reasoning = "".join(t for k, t in pieces if k in ("reasoning_content", "parts"))
    refusal = "".join(t for k, t in pieces if k == "refusal")
    assert (final.generated_text, final.reasoning, final.refusal) == (
        content, reasoning or None, refusal or None)


# --- an end marker without its empty line ---------------------------------------------------

STOPPED = sse(chunk({"content": "a"}, "stop"), end=b"")


@pytest.mark.parametrize(("tail", "unterminated"), [
    (b"data: [DONE]\n", True), (b"data: [DONE]", True), (b"data: [DONE]\r\n", True),
    (b"data: [DONE]\n\n", False), (b"data: [DONE]\r\n\r\n", False),
    (b"data: [DONE]\n: keep-alive\n\n", False), (b"data: [DONE]\n: keep-alive\n", True),
    (b"data: [DONE]\ngarbage after the end", True),
])
def test_an_end_marker_without_its_empty_line_is_counted(tail: bytes, unterminated: bool) -> None:
    events, chat = every_split(STOPPED + tail)
    assert chat.done and isinstance(events[-1], Done)
    assert chat.repairs["unterminated_last_frame"] == int(unterminated)


def test_anthropic_message_stop_without_its_empty_line() -> None:
    data = anthropic(START, {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                             "usage": {"output_tokens": 1}}, {"type": "message_stop"})
    _, chat = every_split(data[:-1])
    assert chat.done and chat.repairs["unterminated_last_frame"] == 1
    _, chat = every_split(data)
    assert chat.done and chat.repairs["unterminated_last_frame"] == 0


def test_after_the_end_only_an_empty_line_is_looked_for() -> None:
    chat = ChatStreamDecoder(max_line_size=200)
    assert isinstance(chat.feed(STOPPED + b"data: [DONE]\n")[-1], Done)
    assert chat.feed(b"x" * 1000 + b"\n\n") == []  # a line over the limit: ignored, no error
    assert chat.close() == [] and chat.repairs["unterminated_last_frame"] == 0


@pytest.mark.parametrize(("body", "name", "wording"), [
    (STOPPED + b"data: [DONE]\n", "x.sse", "no empty line after it"),
    (b'{"model":"m","message":{"content":"a"},"done":true}', "x.ndjson",
     "no line break after it"),
])
def test_check_reports_it_in_the_framing_s_words(body: bytes, name: str, wording: str) -> None:
    report = check(Transcript(chunks=[(0.0, body)], source="raw"))
    [finding] = [f for f in report.findings if f.code == "unterminated-last-frame"]
    assert finding.severity == "warning" and wording in finding.message
    assert report.conforming


def test_check_names_the_field_of_a_valid_json_frame_of_another_shape() -> None:
    body = sse(chunk({"content": {"x": 1}}, "stop"))
    report = check(Transcript(chunks=[(0.0, body)], source="raw"))
    [finding] = [f for f in report.findings if f.code == "unexpected-shape"]
    assert "choices[].delta.content" in finding.message and not report.conforming
    assert not any("not usable JSON" in f.message for f in report.findings)
