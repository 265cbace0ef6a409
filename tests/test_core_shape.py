"""The version 2 core: one decoder shell, deferred errors, limits, the public dialect API."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sseproto
from sseproto import (
    ChatStreamDecoder,
    Delta,
    LimitExceeded,
    Limits,
    LocalProtocolError,
    RemoteProtocolError,
    SSEDecoder,
)
from sseproto._chat import PayloadDecoder
from sseproto._decoder import State
from sseproto.dialects import Dialect, ShapeError, shape_error
from tests.helpers import ROOT, bytewise, split_at
from tests.support.outcome import chat_outcome, sse_outcome


def chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return b"data: " + orjson.dumps({"id": "c1", "choices": [choice]}) + b"\n\n"


MISTRAL_LIKE = chunk("Hel") + chunk("lo") + b"data: {not json}\n\n" + chunk("!")


# --- no event lost to an error ----------------------------------------------------------


def test_events_before_an_error_are_returned_and_the_error_comes_next() -> None:
    chat = ChatStreamDecoder()
    events = chat.feed(MISTRAL_LIKE)
    assert [ev.content for ev in events if isinstance(ev, Delta)] == ["Hel", "lo"]
    assert chat.state is State.FAILED
    with pytest.raises(RemoteProtocolError, match="not JSON"):
        chat.feed(b"")
    with pytest.raises(LocalProtocolError, match="earlier error"):
        chat.feed(b"data: {}\n\n")
    with pytest.raises(LocalProtocolError):
        chat.close()


def test_an_error_with_no_event_before_it_is_raised_at_once() -> None:
    chat = ChatStreamDecoder()
    with pytest.raises(RemoteProtocolError):
        chat.feed(b"data: {not json}\n\n")


def test_the_pending_error_is_raised_by_close_too() -> None:
    chat = ChatStreamDecoder()
    assert len(chat.feed(MISTRAL_LIKE)) == 2
    with pytest.raises(RemoteProtocolError):
        chat.close()


def test_close_returns_its_events_and_a_second_close_raises_what_followed() -> None:
    # The last frame is held back for a next read (with the line after it, it is
    # not one JSON value); at close it is read, then the line after it fails.
    chat = ChatStreamDecoder()
    assert chat.feed(b'\ndata: {"choices":[{"delta":{"content":"a"}}]}\n{oops\n') == []
    events = chat.close()
    assert [ev.content for ev in events if isinstance(ev, Delta)] == ["a"]
    with pytest.raises(RemoteProtocolError):
        chat.close()


def test_whole_and_bytewise_deliver_the_same_events_and_error() -> None:
    whole = chat_outcome([MISTRAL_LIKE])
    assert whole[2] is not None and whole[2][0] == "RemoteProtocolError"
    assert [ev[2] for ev in whole[1]] == ["Hel", "lo"]
    assert chat_outcome(bytewise(MISTRAL_LIKE)) == whole


def test_sse_limit_error_after_events_keeps_the_events() -> None:
    dec = SSEDecoder(max_line_size=16)
    events = dec.feed(b"data: a\n\ndata: b\n\ndata: " + b"x" * 40 + b"\n\n")
    assert [ev.data for ev in events] == ["a", "b"]
    with pytest.raises(LimitExceeded) as info:
        dec.close()
    assert info.value.offset == 18 and "limits=Limits(max_line_size=" in str(info.value)


def test_windows_of_a_large_read_keep_events_before_an_error() -> None:
    body = chunk("x") * 4000 + b"data: nope\n\n"
    assert len(body) > 256 * 1024
    chat = ChatStreamDecoder()
    assert len(chat.feed(body)) == 4000
    with pytest.raises(RemoteProtocolError):
        chat.close()


_payloads = st.lists(st.text(max_size=5), min_size=1, max_size=4)
_bad = st.sampled_from([b"data: {nope}\n\n", b"data: [1,\n\n\n", b"{\n", b"data: " + b"y" * 90])


@settings(max_examples=150, deadline=None)
@given(_payloads, _bad, _payloads, st.lists(st.integers(1, 400), max_size=6),
       st.sampled_from([{}, {"max_line_size": 64}, {"max_event_size": 40}]))
def test_no_event_is_lost_to_an_error_under_any_split(
    before: list[str], bad: bytes, after: list[str], cuts: list[int], kwargs: dict[str, Any]
) -> None:
    stream = b"".join(map(chunk, before)) + bad + b"".join(map(chunk, after))
    whole = chat_outcome([stream], **kwargs)
    assert chat_outcome(split_at(stream, cuts), **kwargs) == whole
    assert chat_outcome(bytewise(stream), **kwargs) == whole
    # The deltas delivered are the stream's, in order (recovery may join the bad
    # bytes with what follows them, or the stream stops at the error).
    delivered = [ev[2] for ev in whole[1] if ev[0] == "delta"]
    assert delivered == (before + after)[: len(delivered)]
    assert len(delivered) >= len(before) or whole[2] is not None or kwargs


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([b"data: a\n\n", b"id: 1\n", b"data: " + b"z" * 30 + b"\n",
                                 b"\n", b": c\n", b"data: \xc3\xa9\xc3\xa9\n\n"]), max_size=12),
       st.lists(st.integers(1, 300), max_size=6))
def test_sse_events_and_error_do_not_depend_on_the_split(parts: list[bytes],
                                                         cuts: list[int]) -> None:
    stream = b"".join(parts)
    for kwargs in ({"max_line_size": 20}, {"max_event_size": 7}):
        whole = sse_outcome([stream], **kwargs)
        assert sse_outcome(split_at(stream, cuts), **kwargs) == whole
        assert sse_outcome(bytewise(stream), **kwargs) == whole


# --- the shell: state, refusal, parking -------------------------------------------------


def test_states() -> None:
    chat = ChatStreamDecoder()
    assert chat.state is State.OPEN
    chat.feed(chunk("a") + b"data: [DONE]\n\n")
    assert chat.state is State.ENDED and chat.done
    assert chat.feed(b"anything at all") == []
    chat.close()
    assert chat.state is State.CLOSED
    with pytest.raises(LocalProtocolError, match="after close"):
        chat.feed(b"")


def test_parked_reads_give_the_same_line_limit_error_as_one_read() -> None:
    stream = b"data: ok\n\ndata: " + b"q" * 30
    whole = sse_outcome([stream], max_line_size=20)
    assert whole[2] == ("LimitExceeded", 10)
    assert sse_outcome(bytewise(stream), max_line_size=20) == whole


def test_reads_of_any_bytes_like_type() -> None:
    dec = SSEDecoder()
    assert dec.feed(bytearray(b"data: a")) == []
    assert [ev.data for ev in dec.feed(memoryview(b"\n\n"))] == ["a"]


def test_payload_decoder_on_the_shell() -> None:
    dec = PayloadDecoder(limits=Limits(max_event_size=100))
    frames = dec.feed(chunk("a") + b"data: [DONE]\n\n")
    assert [event for event, _ in frames] == ["", ""] and frames[-1][1] is None and dec.done
    assert dec.feed(b"ignored") == []


# --- limits -----------------------------------------------------------------------------


def test_max_event_size_counts_bytes_in_the_sse_decoder() -> None:
    SSEDecoder(limits=Limits(max_event_size=6)).feed("data: ééé\n\n".encode())
    with pytest.raises(LimitExceeded) as info:
        SSEDecoder(limits=Limits(max_event_size=5)).feed("data: ééé\n\n".encode())
    assert info.value.limit_name == "max_event_size"
    assert "limits=Limits(max_event_size=" in str(info.value)


def test_keywords_override_limits() -> None:
    dec = ChatStreamDecoder(limits=Limits(max_line_size=10), max_line_size=1000)
    assert dec.feed(chunk("x" * 50))
    with pytest.raises(LimitExceeded, match=r"limits=Limits\(max_line_size="):
        ChatStreamDecoder(limits=Limits(max_line_size=10)).feed(chunk("x" * 50))


@pytest.mark.parametrize("kwargs", [{"limits": "big"}, {"max_line_size": 0}, {"max_event_size": -1},
                                    {"limits": Limits(), "max_event_size": 0}])
def test_bad_limits_are_value_errors(kwargs: dict[str, Any]) -> None:
    for cls in (SSEDecoder, ChatStreamDecoder, PayloadDecoder):
        with pytest.raises(ValueError):
            cls(**kwargs)


def test_frame_limit_message_names_the_parameter() -> None:
    with pytest.raises(LimitExceeded, match=r"limits=Limits\(max_event_size="):
        ChatStreamDecoder(max_event_size=20).feed(chunk("x" * 50))


# --- the public dialect API -------------------------------------------------------------


class Echo(Dialect):
    name = "test-echo"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "echo" in value

    def payload(self, event: str, value: dict[str, Any]) -> list[sseproto.ChatEvent]:
        text = value.get("echo")
        if not isinstance(text, str):
            raise shape_error("echo", "a string", text)
        events = [self.delta(self.choice(0), text, value)]
        if value.get("last"):
            self.finish(self.choice(0), "stop", value)
            events += self.done()
        return events


class Buggy(Dialect):
    name = "test-buggy"

    def payload(self, event: str, value: dict[str, Any]) -> list[sseproto.ChatEvent]:
        return [self.delta(self.choice(0), value["missing"], value)]  # a bug: KeyError


sseproto.register_dialect("test-echo", Echo)
sseproto.register_dialect("test-buggy", Buggy)
ECHO = b'data: {"echo": "Hi"}\n\ndata: {"echo": "!", "last": true}\n\n'


def test_a_registered_dialect_by_name_and_by_auto() -> None:
    for dialect in ("test-echo", "auto"):
        chat = ChatStreamDecoder(dialect)
        events = chat.feed(ECHO)
        assert [type(ev).__name__ for ev in events] == ["Delta", "Delta", "Final", "Done"]
        assert chat.dialect == "test-echo" and chat.result.text == "Hi!"


def test_a_shape_error_names_the_field_and_can_be_skipped() -> None:
    with pytest.raises(ShapeError) as info:
        ChatStreamDecoder("test-echo").feed(b'data: {"echo": 7}\n\n')
    assert info.value.field == "echo" and "frame 1" in str(info.value)
    assert isinstance(info.value, RemoteProtocolError)
    chat = ChatStreamDecoder("test-echo", on_malformed="skip")
    assert chat.feed(b'data: {"echo": 7}\n\n' + ECHO)[-1] == sseproto.Done()
    assert chat.repairs["skipped_malformed"] == 1


def test_a_bug_in_a_dialect_surfaces_as_a_bug() -> None:
    with pytest.raises(KeyError):
        ChatStreamDecoder("test-buggy").feed(b'data: {"a": 1}\n\n')
    with pytest.raises(KeyError):
        ChatStreamDecoder("test-buggy", on_malformed="skip").feed(b'data: {"a": 1}\n\n')


def test_builtin_dialects_raise_shape_errors_for_peer_data() -> None:
    cases = {"openai": b'{"choices": [{"delta": {"content": 5}}]}',
             "anthropic": b'{"type": "content_block_delta", "delta": 3}',
             "tgi": b'{"token": [1]}',
             "openai-responses": b'{"type": "response.completed", "response": 1}'}
    for dialect, payload in cases.items():
        with pytest.raises(ShapeError):
            ChatStreamDecoder(dialect).feed(b"data: " + payload + b"\n\n")
    with pytest.raises(ShapeError):
        ChatStreamDecoder("ollama").feed(b'{"message": "no"}\n')


@pytest.mark.parametrize("name", ["", "auto", 3])
def test_register_dialect_checks_the_name(name: Any) -> None:
    with pytest.raises(ValueError):
        sseproto.register_dialect(name, Echo)


def test_register_dialect_checks_the_factory() -> None:
    with pytest.raises(ValueError, match=r"must build a sseproto\.dialects\.Dialect"):
        sseproto.register_dialect("test-not-a-dialect", dict)  # type: ignore[arg-type]


def test_unknown_dialect_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match="test-echo"):
        ChatStreamDecoder("nope")


def test_no_mutable_registry_in_the_public_surface() -> None:
    public = {name: getattr(sseproto.dialects, name) for name in sseproto.dialects.__all__}
    assert not [name for name, value in public.items() if isinstance(value, dict | list | set)]
    assert {"ChatResult", "Repairs", "Limits", "register_dialect"} <= set(sseproto.__all__)


def test_reprs_say_what_the_decoders_are() -> None:
    chat = ChatStreamDecoder("openai")
    assert repr(chat) == "<ChatStreamDecoder dialect=openai state=open done=False>"
    assert repr(SSEDecoder()) == "<SSEDecoder state=open last_event_id=None>"


# --- layering ---------------------------------------------------------------------------


def test_import_sseproto_imports_no_io_module() -> None:
    # The core itself imports none (tests/test_layers.py checks its sources);
    # `import sseproto` must not either: the clients and tools load on first use.
    code = ("import sys, sseproto;"
            " print(sorted({'socket', 'ssl', 'asyncio', 'threading'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


# --- a binary framing plugs in ----------------------------------------------------------


class ToyFramer:
    """Frames of a 0x00 byte, a length byte and that many bytes of JSON: a binary framing."""

    def __init__(self, limits: Limits, on_malformed: str) -> None:
        self.buffer = b""
        self.repairs = sseproto.Repairs()

    def count(self, key: str) -> None:
        self.repairs.add(key)

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        self.buffer += data
        frames = []
        while len(self.buffer) >= 2 and len(self.buffer) >= 2 + self.buffer[1]:
            size = self.buffer[1]
            if self.buffer[0] != 0:
                raise RemoteProtocolError("not a toy frame", offset=0)
            frames.append(("toy", orjson.loads(self.buffer[2 : 2 + size])))
            self.buffer = self.buffer[2 + size :]
        return frames

    def close(self) -> list[tuple[str, Any]]:
        return []


class Toy(Echo):
    name = "test-toy"
    framing = "test-toy-binary"


def test_a_binary_framing_and_its_dialect_plug_in() -> None:
    from sseproto.framing import register_framing

    register_framing("test-toy-binary", ToyFramer)
    sseproto.register_dialect("test-toy", Toy)
    frames = b"".join(b"\x00" + bytes([len(p)]) + p
                      for p in (b'{"echo":"a"}', b'{"echo":"b","last":1}'))
    for pieces in ([frames], bytewise(frames)):
        chat = ChatStreamDecoder("test-toy")
        events = [ev for piece in pieces for ev in chat.feed(piece)] + chat.close()
        assert [type(ev).__name__ for ev in events] == ["Delta", "Delta", "Final", "Done"]
        assert chat.done and chat.result.text == "ab"


def test_an_event_repr_summarises_its_chunk() -> None:
    big = {"choices": [{"index": 0, "delta": {"content": "x" * 500}}], "pad": "y" * 5000}
    delta = sseproto.Delta(index=0, content="x", chunk=big)
    text = repr(delta)
    assert text.startswith("Delta(index=0, content='x', reasoning=None,") and len(text) < 200
    final = sseproto.Final(index=0, generated_text="x", chunk=big)
    assert "generated_text='x'" in repr(final) and len(repr(final)) < 250
