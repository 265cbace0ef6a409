"""The bedrock dialect: vectors checked against botocore, the chat decoder, and splits."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import (
    ChatStreamDecoder,
    Delta,
    Done,
    Final,
    IncompleteStream,
    LimitExceeded,
    RemoteProtocolError,
    StreamError,
)
from sseproto.framing.eventstream import encode_message
from tests.chat_helpers import decode_chat, outcome
from tests.helpers import bytewise, load_vectors, split_at

botocore_session = pytest.importorskip("botocore.session")
from botocore.eventstream import EventStream  # noqa: E402
from botocore.exceptions import EventStreamError  # noqa: E402
from botocore.parsers import EventStreamJSONParser  # noqa: E402

VECTORS = [v for v in load_vectors("chat") if v["_file"] == "bedrock.json"]
MODEL = botocore_session.get_session().get_service_model("bedrock-runtime")


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self) -> Iterator[bytes]:
        yield self.data

    def close(self) -> None:
        pass


def botocore_events(data: bytes, invoke: bool) -> list[dict[str, Any]]:
    """The events boto3's ``converse_stream`` / ``invoke_model_with_response_stream`` yield."""
    shape = MODEL.shape_for("ResponseStream" if invoke else "ConverseStreamOutput")
    events = []
    for item in EventStream(_Body(data), shape, EventStreamJSONParser(), "ConverseStream"):
        events.append(item)
        if "metadata" in item:  # the last ConverseStream event: a boto3 loop ends here
            break
    return events


def accumulate(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What a boto3 user joins from ConverseStream events (Nova's invoke chunks are the same)."""
    out: dict[str, Any] = {"text": "", "reasoning": "", "stop": None, "usage": None}
    for event in events:
        if "chunk" in event:
            event = orjson.loads(event["chunk"]["bytes"])
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]["delta"]
            out["text"] += delta.get("text", "")
            out["reasoning"] += delta.get("reasoningContent", {}).get("text", "")
        elif "messageStop" in event:
            out["stop"] = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            out["usage"] = event["metadata"]["usage"]
        elif event.get("type") == "content_block_delta":  # Claude, through invoke
            out["text"] += event["delta"].get("text", "")
        elif event.get("type") == "message_delta":
            out["stop"] = event["delta"]["stop_reason"]
        else:  # Titan, Llama, Mistral: the model's own text chunks
            native = event.get("outputs", [event])[0]
            out["text"] += native.get("outputText") or native.get("generation") or \
                native.get("text") or ""
            stop = native.get("completionReason") or native.get("stop_reason")
            out["stop"] = stop.lower() if stop else out["stop"]
            out["usage"] = event.get("amazon-bedrock-invocationMetrics", out["usage"])
    return out


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["raises"] is None],
                         ids=lambda v: v["name"])
def test_vectors_agree_with_botocore(vector: dict[str, Any]) -> None:
    """The expected results were typed by hand; botocore, fed the same bytes, agrees."""
    data = bytes.fromhex(vector["input_hex"])
    if vector["error"] is not None:
        with pytest.raises(EventStreamError) as info:
            botocore_events(data, "invoke" in vector["name"])
        assert info.value.response["Error"]["Code"] == vector["error"]["type"]
        assert info.value.response["Error"]["Message"] == vector["error"]["message"]
        return
    got = accumulate(botocore_events(data, "invoke" in vector["name"]))
    if not vector["finals"]:  # cut before messageStop: text so far, no stop reason
        assert got["stop"] is None
        assert got["text"] == "".join(d[1] or "" for d in vector["deltas"])
        return
    [final] = vector["finals"]
    assert got["text"] == final["generated_text"]
    assert (got["reasoning"] or None) == final.get("reasoning")
    assert got["stop"] == final["finish_reason"]
    if "anthropic" not in vector["name"]:  # Claude's usage is merged from two events
        assert got["usage"] == final["usage"]


def test_corrupt_vectors_are_refused_by_botocore_too() -> None:
    for name in ("bedrock-bad-message-crc", "bedrock-bad-prelude-crc"):
        [vector] = [v for v in VECTORS if v["name"] == name]
        with pytest.raises(Exception, match="Checksum mismatch"):
            botocore_events(bytes.fromhex(vector["input_hex"]), False)


# --- the chat decoder -----------------------------------------------------------------------


def event(kind: str, payload: dict[str, Any]) -> bytes:
    return encode_message({":event-type": kind, ":content-type": "application/json",
                           ":message-type": "event"}, orjson.dumps({**payload, "p": "abc"}))


def text_stream(*pieces: str, stop: str = "end_turn") -> bytes:
    return b"".join([
        event("messageStart", {"role": "assistant"}),
        *[event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}})
          for p in pieces],
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": stop}),
        event("metadata", {"usage": {"inputTokens": 1, "outputTokens": len(pieces)},
                           "metrics": {"latencyMs": 1}}),
    ])


def test_auto_reads_a_first_zero_byte_as_an_event_stream() -> None:
    data = text_stream("Hi", " there")
    events, chat = decode_chat([data])
    assert chat.dialect == "bedrock" and chat.done
    assert [e.content for e in events if isinstance(e, Delta)] == ["Hi", " there"]
    assert isinstance(events[-1], Done) and isinstance(events[-2], Final)
    assert decode_chat(bytewise(data))[0] == events


def test_done_comes_with_metadata_not_later() -> None:
    chat = ChatStreamDecoder()
    events = chat.feed(text_stream("a"))
    assert isinstance(events[-1], Done) and chat.done
    assert chat.close() == []


def test_errors_mid_stream_keep_the_deltas() -> None:
    exception = encode_message({":message-type": "exception",
                                ":exception-type": "internalServerException"},
                               b'{"message":"boom"}')
    head = event("messageStart", {"role": "assistant"}) + event(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "a"}})
    events, chat = decode_chat([head + exception + text_stream("b")])
    assert [type(e) for e in events] == [Delta, StreamError]
    assert isinstance(events[-1], StreamError) and events[-1].type == "internalServerException"
    assert events[-1].payload == {"message": "boom"} and not chat.done


def test_an_error_message_with_headers() -> None:
    error = encode_message({":message-type": "error", ":error-code": "InternalFailure",
                            ":error-message": "An internal error occurred"})
    events, _ = decode_chat([error], dialect="bedrock")
    assert events == [StreamError(message="An internal error occurred", type="InternalFailure",
                                  code=None, payload=None)]


def test_corrupt_bytes_after_a_complete_message_come_after_its_events() -> None:
    good = text_stream("x")
    bad = bytearray(good)
    bad[len(event("messageStart", {"role": "assistant"})) + 30] ^= 1
    chat = ChatStreamDecoder()
    first = chat.feed(bytes(bad))
    assert first == []  # messageStart gives no event; the corrupt delta is next
    with pytest.raises(RemoteProtocolError, match="CRC32"):
        chat.close()


def test_limits_apply_to_whole_messages() -> None:
    data = text_stream("x" * 200)
    with pytest.raises(LimitExceeded):
        decode_chat([data], max_event_size=100)
    with pytest.raises(IncompleteStream):
        decode_chat([data[:-3]])


def test_skip_malformed_payloads() -> None:
    bad = encode_message({":event-type": "contentBlockDelta", ":message-type": "event"}, b"{x")
    data = text_stream("a")
    _, chat = decode_chat([bad + data], on_malformed="skip")
    assert chat.repairs["skipped_malformed"] == 1 and chat.done


def test_invoke_with_an_openai_compatible_model() -> None:
    chunks = [{"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]},
              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    data = b"".join(event("chunk", {"bytes": base64.b64encode(orjson.dumps(c)).decode()})
                    for c in chunks)
    events, chat = decode_chat([data])
    assert [type(e) for e in events] == [Delta, Delta, Final] and not chat.done
    assert events[-1].generated_text == "Hi" and events[-1].finish_reason == "stop"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=10), min_size=1, max_size=10),
       st.lists(st.integers(0, 5000), max_size=10))
def test_text_under_any_split(pieces: list[str], cuts: list[int]) -> None:
    data = text_stream(*pieces)
    events, chat = decode_chat(split_at(data, cuts))
    [final] = [e for e in events if isinstance(e, Final)]
    assert final.generated_text == "".join(pieces) and chat.done


def test_messages_come_as_soon_as_they_are_complete() -> None:
    """No read is held back waiting for a line end: binary has none to wait for."""
    message = encode_message({":event-type": "contentBlockDelta"},
                             b'{"contentBlockIndex":0,"delta":{"text":"Hi"}}')
    assert b"\n" not in message and b"\r" not in message
    for first in (b"", event("messageStart", {"role": "assistant"})):
        chat = ChatStreamDecoder()
        chat.feed(first)
        assert [e.content for e in chat.feed(message)] == ["Hi"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=4), st.data())
def test_corrupt_streams_give_the_same_outcome_whatever_the_split(
        pieces: list[str], data: st.DataObject) -> None:
    """Only ProtocolError escapes, and the outcome (events or error) never depends on cuts."""
    wire = bytearray(text_stream(*pieces))
    for _ in range(data.draw(st.integers(0, 3))):
        wire[data.draw(st.integers(0, len(wire) - 1))] = data.draw(st.integers(0, 255))
    wire = wire[: data.draw(st.integers(0, len(wire)))]
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    for kwargs in ({}, {"dialect": "bedrock", "on_malformed": "skip"}, {"max_event_size": 120}):
        whole = outcome([bytes(wire)], **kwargs)
        assert outcome(split_at(bytes(wire), cuts), **kwargs) == whole
