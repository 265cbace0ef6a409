"""ChatStreamDecoder: the seed, dialect behaviour, accumulation, limits and errors."""

from __future__ import annotations

import orjson
import pytest

from sseproto import (
    ChatStreamDecoder,
    Delta,
    Done,
    Final,
    LimitExceeded,
    LocalProtocolError,
    RemoteProtocolError,
    StreamError,
)
from tests.chat_helpers import decode_chat, delta_text
from tests.helpers import ROOT, bytewise

SEED = (ROOT / "spec" / "samples" / "prediction-guard.sse").read_bytes()
SEED_TEXT = (
    "Thanks, I try to keep things interesting. Now, if you want something more serious, how "
    "about a weather update or a joke? Your choice!\n\nWeather: Sunny with a slight chance of "
    'humor.\nJoke: A man walks into a bar and says, "I\'ll have a beer, and tell me a joke '
    'about time." The bartender replies, "Time to go, you\'re two minutes past last call!"'
)


def sse(*payloads: object, blank: bool = True) -> bytes:
    sep = b"\n\n" if blank else b"\n"
    return b"".join(
        b"data: " + (p if isinstance(p, bytes) else orjson.dumps(p)) + sep for p in payloads
    )


def chunk(content: str | None = None, finish: str | None = None, index: int = 0,
          **extra: object) -> dict[str, object]:
    delta = {} if content is None else {"content": content}
    return {"id": "c1", "model": "m", "choices": [
        {"index": index, "delta": delta, "finish_reason": finish}], **extra}


def test_the_seed_stream_byte_for_byte() -> None:
    for pieces in ([SEED], bytewise(SEED)):
        events, chat = decode_chat(pieces)
        assert [type(e) for e in events] == [Delta, Delta, Final, Done]
        assert events[0].content == " past" and events[1].content is None
        final = events[2]
        assert isinstance(final, Final)
        assert final.generated_text == SEED_TEXT
        assert final.finish_reason == "stop"
        assert final.chunk is not None and final.chunk["id"] == "chat-PTpR04EN0VxSIyfHFXNS57FCC8ZJJ"
        assert chat.done and chat.dialect == "openai"
        assert chat.repairs["pretty_printed_frames"] == 2
        assert chat.repairs["missing_blank_line"] == 2
        assert chat.result.choices[0].logprobs == [-0.11733246, 0]


def test_accumulator_collects_tool_calls_usage_and_identity() -> None:
    first = {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": '{"ci'}}
    stream = sse(
        {"id": "c9", "model": "gpt", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {"id": "c9", "choices": [{"index": 0, "delta": {"tool_calls": [dict(first, index=0)]}}]},
        {"id": "c9", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": 'ty":"Oslo"}'}}]}}]},
        {"id": "c9", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {"id": "c9", "choices": [], "usage": {"total_tokens": 9}},
        b"[DONE]",
    )
    events, chat = decode_chat([stream])
    final = next(e for e in events if isinstance(e, Final))
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get", "arguments": '{"city":"Oslo"}'}}
    assert final.tool_calls == [call]
    assert final.generated_text == "" and final.finish_reason == "tool_calls"
    assert final.usage == {"total_tokens": 9}
    deltas = [e for e in events if isinstance(e, Delta)]
    assert deltas[1].tool_calls is not None and deltas[1].content is None
    assert chat.result.id == "c9" and chat.result.model == "gpt"
    assert chat.result.text == ""


def test_finish_reason_without_done_gives_final_but_not_done() -> None:
    events, chat = decode_chat([sse(chunk("a"), chunk(None, "length"))])
    assert [type(e) for e in events] == [Delta, Delta, Final]
    assert events[-1] == Final(index=0, generated_text="a", finish_reason="length",
                               chunk=chunk(None, "length"))
    assert not chat.done


def test_stream_cut_before_any_finish_reason_has_no_final() -> None:
    events, chat = decode_chat([sse(chunk("a"), chunk("b"))[:-5]])
    assert [type(e) for e in events] == [Delta]
    assert not chat.done


def test_only_finished_choices_get_a_final_at_close() -> None:
    stream = sse(chunk("a", index=0), chunk("b", index=1), chunk(None, "stop", index=1))
    events, _ = decode_chat([stream])
    assert [(e.index, e.generated_text) for e in events if isinstance(e, Final)] == [(1, "b")]


def test_everything_after_done_is_ignored() -> None:
    stream = sse(chunk("a", "stop"), b"[DONE]", chunk("ignored"), b"not json at all")
    for pieces in ([stream], bytewise(stream)):
        events, chat = decode_chat(pieces)
        assert delta_text(events) == "a" and isinstance(events[-1], Done) and chat.done


def test_stream_error_stops_the_stream_and_keeps_earlier_deltas() -> None:
    err = {"error": {"message": "overloaded", "type": "server_error", "code": "busy"}}
    events, chat = decode_chat([sse(chunk("a"), err, chunk("b"), b"[DONE]")])
    assert delta_text(events) == "a"
    assert events[-1] == StreamError(message="overloaded", type="server_error", code="busy",
                                     payload=err)
    assert not chat.done


def test_event_error_with_multi_line_plain_text() -> None:
    stream = b"event: error\ndata: line one\ndata: line two\n\n"
    events, _ = decode_chat([stream])
    assert events == [StreamError(message="line one\nline two", type="error", code=None,
                                  payload="line one\nline two")]


def test_keep_alives_before_the_first_chunk_with_auto() -> None:
    stream = b": hi\n\nevent: ping\ndata: {}\n\ndata:\n\n" + sse(chunk("x", "stop"), b"[DONE]")
    events, chat = decode_chat([stream])
    assert delta_text(events) == "x" and chat.done
    assert chat.repairs["keep_alives"] == 3


def test_malformed_frame_raises_with_offset_and_snippet() -> None:
    stream = sse(chunk("a")) + b"data: {not json}\n\n"
    with pytest.raises(RemoteProtocolError) as info:
        decode_chat(bytewise(stream))
    assert info.value.offset == len(sse(chunk("a")))
    assert "{not json}" in str(info.value) and "on_malformed" in str(info.value)


def test_on_malformed_skip_counts_what_it_skipped() -> None:
    stream = sse(chunk("a"), b"{not json}", b"[1, 2]", chunk("b", "stop"), b"[DONE]")
    events, chat = decode_chat([stream], on_malformed="skip")
    assert delta_text(events) == "ab" and chat.done
    assert chat.repairs["skipped_malformed"] == 2


def test_unknown_first_payload_names_the_dialects() -> None:
    with pytest.raises(RemoteProtocolError, match="dialect"):
        decode_chat([sse({"foo": 1})])


def test_tgi_stream() -> None:
    tok = {"index": 1, "token": {"id": 1, "text": "Hi", "logprob": -0.5, "special": False},
           "generated_text": None, "details": None}
    last = {"index": 2, "token": {"id": 2, "text": "</s>", "logprob": 0.0, "special": True},
            "generated_text": "Hi", "details": {"finish_reason": "eos_token"}}
    stream = b"data:" + orjson.dumps(tok) + b"\n\ndata:" + orjson.dumps(last) + b"\n\n"
    events, chat = decode_chat([stream])
    assert [type(e) for e in events] == [Delta, Delta, Final, Done]
    assert events[1].content is None  # special tokens are not visible text
    assert events[2].finish_reason == "eos_token" and chat.done and chat.dialect == "tgi"


def test_max_event_size_bounds_pretty_printed_frames() -> None:
    members = b",\n".join(b'"a%d": "%s"' % (n, b"x" * 100) for n in range(20))
    big = b"data: {\n" + members + b"\n}\n"
    with pytest.raises(LimitExceeded) as info:
        decode_chat([big], max_event_size=500)
    assert info.value.limit_name == "max_event_size" and info.value.offset == 0


def test_line_over_the_default_limit_raises() -> None:
    stream = sse(chunk("x" * (1 << 20)), b"[DONE]")
    with pytest.raises(LimitExceeded) as info:
        decode_chat([stream])
    assert info.value.limit_name == "max_line_size"


def test_oversized_line_after_done_is_ignored() -> None:
    stream = sse(chunk("a", "stop"), b"[DONE]") + b"data: " + b"x" * ((1 << 20) + 10) + b"\n\n"
    events, chat = decode_chat([stream[i : i + 65536] for i in range(0, len(stream), 65536)])
    assert delta_text(events) == "a" and chat.done


def test_feed_after_close_and_after_error() -> None:
    chat = ChatStreamDecoder()
    chat.close()
    with pytest.raises(LocalProtocolError):
        chat.feed(b"data: {}\n\n")
    chat = ChatStreamDecoder()
    with pytest.raises(RemoteProtocolError):
        chat.feed(b"data: nope\n\n")
    with pytest.raises(LocalProtocolError, match="earlier error"):
        chat.feed(b"data: {}\n\n")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        ChatStreamDecoder("nope")
    with pytest.raises(ValueError):
        ChatStreamDecoder(on_malformed="ignore")
    assert ChatStreamDecoder("predictionguard").dialect == "openai"
