"""Every public name has a type check: ``mypy --strict tests/typing`` holds them.

The other files here check the decoders, the events and the clients in use.
This one checks the rest of the top-level names (limits, timeouts, the whole
error tree, the dialect API, ``ChatResult`` and ``Repairs``, ``encode_comment``,
``__version__``) and the public names of ``sseproto.dialects`` and
``sseproto.drivers``; :func:`test_every_public_name_is_type_checked` fails when
a name is exported that no file in ``tests/typing`` mentions.  Run by pytest
too, so each check is also true at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, assert_type

import pytest

import sseproto
from sseproto import (
    ChatEvent,
    ChatResult,
    ChatStreamDecoder,
    Delta,
    Done,
    Limits,
    Repairs,
    StreamError,
    register_dialect,
)
from sseproto.dialects import (
    ChoiceState,
    Dialect,
    DialectFactory,
    ShapeError,
    candidates,
    error_event,
    first_error,
    lookup,
    shape_error,
)
from sseproto.drivers import (
    AsyncioTransport,
    AsyncTransport,
    SocketTransport,
    TLSTransport,
    Transport,
    default_ssl_context,
)

HERE = Path(__file__).resolve().parent


class Shout(Dialect):
    """A whole dialect on the public API: upper-cases ``say``; ``end`` ends the stream."""

    name = "typing-shout"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "say" in value

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        if "error" in value:
            return self.error(value)
        state = self.choice(0)
        assert_type(state, ChoiceState)
        if value.get("end"):
            self.finish(state, "stop", value)
            return self.done()
        return [self.delta(state, str(value["say"]).upper(), value)]


def check_dialect_api() -> tuple[list[ChatEvent], ChatResult, Repairs]:
    factory: DialectFactory = Shout
    assert_type(register_dialect("typing-shout", factory), None)
    chat = ChatStreamDecoder("typing-shout", limits=Limits(max_line_size=4096))
    events = chat.feed(b'data: {"say": "hi"}\n\ndata: {"end": 1}\n\n') + chat.close()
    result = chat.result
    assert_type(result, ChatResult)
    assert_type(result.text, str)
    assert_type(result.usage, dict[str, Any] | None)
    assert_type(result.choices, dict[int, ChoiceState])
    repairs = chat.repairs
    assert_type(repairs, Repairs)
    assert_type(repairs["missing_blank_line"], int)
    assert_type(repairs.total, int)
    return events, result, repairs


def check_limits_and_timeouts() -> tuple[Limits, sseproto.Timeouts]:
    limits = Limits(max_line_size=1024, max_event_size=2048)
    assert_type(limits.max_line_size, int)
    assert_type(limits.max_event_size, int)
    timeouts = sseproto.Timeouts(connect=1, read=2.5, total=None)
    assert_type(timeouts.connect, float | None)
    assert_type(timeouts.read, float | None)
    with pytest.raises(ValueError):
        Limits(max_line_size=0)
    with pytest.raises(ValueError):
        sseproto.Timeouts(read=-1)
    return limits, timeouts


def check_error_tree() -> None:
    protocol: type[sseproto.Error] = sseproto.ProtocolError
    local: type[sseproto.ProtocolError] = sseproto.LocalProtocolError
    remote: type[sseproto.ProtocolError] = sseproto.RemoteProtocolError
    remote_kinds: list[type[sseproto.RemoteProtocolError]] = [
        sseproto.LimitExceeded, sseproto.IncompleteStream, sseproto.UnexpectedContentType,
        sseproto.StreamErrorRaised]
    transport_kinds: list[type[sseproto.TransportError]] = [
        sseproto.ConnectError, sseproto.TLSError, sseproto.Timeout]
    status: type[sseproto.Error] = sseproto.HTTPStatusError
    assert all(issubclass(kind, remote) for kind in remote_kinds)
    assert issubclass(sseproto.TransportError, sseproto.Error)
    assert not issubclass(status, protocol), "HTTPStatusError is not a ProtocolError"
    assert issubclass(local, protocol) and issubclass(remote, protocol)
    assert len(transport_kinds) == 3

    decoder = sseproto.SSEDecoder()
    decoder.close()
    with pytest.raises(sseproto.LocalProtocolError) as misuse:
        decoder.feed(b"data: x\n\n")
    assert_type(misuse.value, sseproto.LocalProtocolError)

    error = sseproto.HTTPStatusError("429", status_code=429, retry_after=2.0)
    assert_type(error.status_code, int)
    assert_type(error.retry_after, float | None)
    assert_type(error.headers, dict[str, str])
    raised = sseproto.StreamErrorRaised(
        "overloaded", stream_error=StreamError(message="overloaded", type="server_error",
                                               code=None, payload={}))
    assert isinstance(raised.stream_error, StreamError)


def check_dialect_helpers() -> list[str]:
    name, factory, cls = lookup("predictionguard")
    assert_type(name, str)
    assert_type(factory, DialectFactory)
    assert_type(cls, type[Dialect])
    assert_type(candidates("ndjson"), list[tuple[str, DialectFactory, type[Dialect]]])
    error = error_event({"error": {"message": "overloaded", "type": "server_error"}})
    assert_type(error, StreamError)
    assert_type(first_error({"choices": []}), StreamError | None)
    shape = shape_error("choices", "an array", 3)
    assert_type(shape, ShapeError)
    assert isinstance(shape, sseproto.RemoteProtocolError)
    return [name, error.message, shape.__class__.__name__]


def check_drivers() -> list[str]:
    sync: list[Transport] = [SocketTransport(), TLSTransport(default_ssl_context())]
    tasks: list[AsyncTransport] = [AsyncioTransport(), AsyncioTransport(tls=True)]
    assert_type(default_ssl_context().check_hostname, bool)
    return [type(transport).__name__ for transport in (*sync, *tasks)]


def check_the_rest() -> tuple[bytes, str]:
    comment = sseproto.encode_comment("keep-alive")
    assert_type(comment, bytes)
    assert_type(sseproto.__version__, str)
    assert_type(sseproto.dialects.dialect_names(), tuple[str, ...])
    return comment, sseproto.__version__


def names_in_code() -> set[str]:
    """Every identifier the typing checks use in code (imports, names, attributes)."""
    found: set[str] = set()
    for path in HERE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.alias):
                found.add(node.asname or node.name)
    return found


def test_every_public_name_is_type_checked() -> None:
    import sseproto.dialects
    import sseproto.drivers

    public = {*sseproto.__all__, *sseproto.dialects.__all__, *sseproto.drivers.__all__}
    assert sorted(public - names_in_code()) == []


def test_the_checks_hold_at_run_time() -> None:
    events, result, repairs = check_dialect_api()
    assert events[0] == Delta(index=0, content="HI", reasoning=None, refusal=None,
                              tool_calls=None, chunk={"say": "hi"})
    assert isinstance(events[-1], Done) and result.text == "HI" and repairs.total == 0
    limits, timeouts = check_limits_and_timeouts()
    assert limits.max_event_size == 2048 and timeouts.total is None
    check_error_tree()
    assert check_dialect_helpers() == ["openai", "overloaded", "ShapeError"]
    assert check_drivers() == ["SocketTransport", "TLSTransport", "AsyncioTransport",
                               "AsyncioTransport"]
    assert check_the_rest() == (b": keep-alive\n", sseproto.__version__)
