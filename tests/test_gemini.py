"""The gemini dialect (``streamGenerateContent?alt=sse``), whole and split."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import ChatStreamDecoder, Delta, Done, Final, StreamError
from sseproto.dialects import ShapeError
from sseproto.dialects.gemini import finish_reason
from tests.chat_helpers import decode_chat
from tests.helpers import bytewise, split_at

USAGE_1 = {"promptTokenCount": 9, "totalTokenCount": 9}
USAGE_2 = {"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14}


def gemini(*responses: dict[str, Any]) -> bytes:
    """As Google frames it: one data line per response, events ended by CRLF CRLF."""
    return b"".join(b"data: " + orjson.dumps(r) + b"\r\n\r\n" for r in responses)


def response(*parts: dict[str, Any], reason: str | None = None, usage: Any = USAGE_1,
             index: int | None = 0) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}}
    if reason is not None:
        candidate["finishReason"] = reason
    if index is not None:
        candidate["index"] = index
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-2.0-flash"}


BASIC = gemini(response({"text": "The"}),
               response({"text": " sky is blue."}, reason="STOP", usage=USAGE_2))


def decode(data: bytes, **kwargs: Any) -> tuple[list[Any], Any]:
    events, chat = decode_chat([data], **kwargs)
    assert decode_chat(bytewise(data), **kwargs)[0] == events
    for cut in range(len(data) + 1):
        assert decode_chat(split_at(data, [cut]), **kwargs)[0] == events
    return events, chat


@pytest.mark.parametrize("dialect", ["auto", "gemini"])
def test_text_stream(dialect: str) -> None:
    events, chat = decode(BASIC, dialect=dialect)
    assert [(e.index, e.content) for e in events if isinstance(e, Delta)] == [
        (0, "The"), (0, " sky is blue.")]
    assert events[-2:] == [Final(index=0, generated_text="The sky is blue.", finish_reason="stop",
                                 usage=USAGE_2, chunk=events[-2].chunk), Done()]
    assert chat.done and chat.dialect == "gemini"
    assert chat.result.model == "gemini-2.0-flash"


def test_done_only_at_the_end_of_the_stream() -> None:
    # Without its blank line the last event is still used by recovery, and counted.
    events, chat = decode_chat([BASIC[:-2]])
    assert isinstance(events[-1], Done) and chat.repairs["unterminated_last_frame"] == 1
    # Cut inside the last JSON: no Final.
    events, chat = decode_chat([BASIC[:-8]])
    assert not any(isinstance(e, Final) for e in events) and not chat.done
    chat = ChatStreamDecoder()
    assert not any(isinstance(e, Done) for e in chat.feed(BASIC))
    assert isinstance(chat.close()[-1], Done)


def test_a_cut_before_any_finish_reason_is_not_done() -> None:
    events, chat = decode(gemini(response({"text": "The"})))
    assert [type(e) for e in events] == [Delta] and not chat.done


def test_thoughts_are_reasoning_and_function_calls_are_tool_calls() -> None:
    data = gemini(
        response({"text": "Checking the weather.", "thought": True}),
        response({"text": "Let me look."},
                 {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                 {"thoughtSignature": "CiQB"}),
        response({"functionCall": {"name": "get_time", "args": {}, "id": "call-2"}},
                 reason="STOP", usage=USAGE_2))
    events, _ = decode(data)
    [first, second, third] = [e for e in events if isinstance(e, Delta)]
    assert (first.content, first.reasoning) == (None, "Checking the weather.")
    assert (second.content, second.reasoning) == ("Let me look.", None)
    assert second.tool_calls == [{"index": 0, "id": None, "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city":"Paris"}'}}]
    assert third.tool_calls is not None and third.tool_calls[0]["index"] == 1
    [final] = [e for e in events if isinstance(e, Final)]
    assert (final.generated_text, final.reasoning, final.finish_reason) == (
        "Let me look.", "Checking the weather.", "stop")
    assert final.tool_calls == [
        {"id": None, "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
        {"id": "call-2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]


def test_several_candidates_and_a_missing_index() -> None:
    data = gemini(
        {"candidates": [{"content": {"parts": [{"text": "A"}]}},
                        {"content": {"parts": [{"text": "B"}]}, "index": 1}]},
        {"candidates": [{"content": {"parts": [{"text": "a"}]}, "finishReason": "MAX_TOKENS"},
                        {"content": {"parts": [{"text": "b"}]}, "index": 1,
                         "finishReason": "STOP"}],
         "usageMetadata": USAGE_2})
    events, _ = decode(data)
    finals = [(e.index, e.generated_text, e.finish_reason, e.usage)
              for e in events if isinstance(e, Final)]
    assert finals == [(0, "Aa", "length", USAGE_2), (1, "Bb", "stop", USAGE_2)]


@pytest.mark.parametrize(("reason", "expected"), [
    ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"),
    ("RECITATION", "content_filter"), ("BLOCKLIST", "content_filter"),
    ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"),
    ("MALFORMED_FUNCTION_CALL", "malformed_function_call"), ("OTHER", "other"),
    ("IMAGE_SAFETY", "image_safety")])
def test_finish_reasons_in_openai_words(reason: str, expected: str) -> None:
    assert finish_reason(reason) == expected


def test_a_usage_only_last_response_and_a_safety_stop() -> None:
    data = gemini(response({"text": "Hel"}), response(reason="SAFETY"),
                  {"usageMetadata": USAGE_2, "modelVersion": "m"})
    events, chat = decode(data)
    [final] = [e for e in events if isinstance(e, Final)]
    assert (final.generated_text, final.finish_reason, final.usage) == (
        "Hel", "content_filter", USAGE_2)
    assert chat.done


def test_a_blocked_prompt() -> None:
    data = gemini({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": USAGE_1})
    events, chat = decode(data)
    assert [type(e) for e in events] == [Final, Done] and chat.done
    assert (events[0].generated_text, events[0].finish_reason) == ("", "content_filter")


ERROR = {"error": {"code": 429, "message": "Resource has been exhausted",
                   "status": "RESOURCE_EXHAUSTED"}}


@pytest.mark.parametrize("dialect", ["auto", "gemini"])
def test_errors_first_and_mid_stream(dialect: str) -> None:
    expected = StreamError(message="Resource has been exhausted", type="RESOURCE_EXHAUSTED",
                           code=429, payload=ERROR)
    events, chat = decode(gemini(ERROR), dialect=dialect)
    assert events == [expected] and not chat.done
    events, chat = decode(gemini(response({"text": "a"}), ERROR, response(reason="STOP")),
                          dialect=dialect)
    assert [type(e) for e in events] == [Delta, StreamError] and events[1] == expected
    assert not chat.done


@pytest.mark.parametrize("bad", [
    {"candidates": "x"}, {"candidates": [1]}, {"candidates": [{"index": "0"}]},
    {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
    {"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]}}]},
    {"candidates": [{"finishReason": 3}]}, {"candidates": [{"content": []}]},
])
def test_wrong_shapes_name_the_field(bad: dict[str, Any]) -> None:
    with pytest.raises(ShapeError, match="gemini dialect's shape: candidates"):
        decode_chat([gemini(bad)], dialect="gemini")
    _, chat = decode_chat([gemini(bad, *[response(reason="STOP")])], dialect="gemini",
                          on_malformed="skip")
    assert chat.repairs["skipped_malformed"] == 1 and chat.done


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.booleans()), min_size=1, max_size=8),
       st.lists(st.integers(0, 3000), max_size=8))
def test_text_and_thoughts_under_any_split(pieces: list[tuple[str, bool]],
                                           cuts: list[int]) -> None:
    responses = [response({"text": text, "thought": thought}) for text, thought in pieces]
    data = gemini(*responses, response(reason="STOP"))
    events, chat = decode_chat(split_at(data, cuts))
    [final] = [e for e in events if isinstance(e, Final)]
    assert final.generated_text == "".join(t for t, thought in pieces if not thought)
    assert final.reasoning == ("".join(t for t, thought in pieces if thought) or None)
    assert chat.done
