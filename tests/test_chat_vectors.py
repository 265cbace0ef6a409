"""Every chat vector in spec/vectors/chat, fed whole, byte by byte and at hypothesis cuts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sseproto
from sseproto import ChatStreamDecoder, Delta, Done, Final, StreamError
from tests.helpers import bytewise, load_vectors, split_at

VECTORS = load_vectors("chat")
IDS = [v["name"] for v in VECTORS]
KEYS = {"name", "description", "dialect", "input_hex", "deltas", "finals", "done", "error",
        "raises", "_file"}
# Event order a chat stream may produce: deltas, then finals and maybe Done, or an error.
ORDER = re.compile(r"D*(F*O?|E)")
LETTERS = {Delta: "D", Final: "F", Done: "O", StreamError: "E"}


def decode(vector: dict[str, Any], pieces: list[bytes]) -> tuple[list[Any], ChatStreamDecoder]:
    chat = ChatStreamDecoder(dialect=vector["dialect"])
    events: list[Any] = []
    for piece in pieces:
        events.extend(chat.feed(piece))
    events.extend(chat.close())
    return events, chat


def check(vector: dict[str, Any], pieces: list[bytes]) -> None:
    if vector["raises"] is not None:
        with pytest.raises(sseproto.ProtocolError) as info:
            decode(vector, pieces)
        # The class named, or a subclass of it (a ShapeError is a RemoteProtocolError).
        names = [cls.__name__ for cls in type(info.value).__mro__]
        assert vector["raises"] in names, vector["description"]
        return
    events, chat = decode(vector, pieces)
    # reasoning and refusal appear in a vector only where one of them is not null.
    deltas = [[e.index, e.content] + ([e.reasoning, e.refusal] if e.reasoning or e.refusal
                                      else [])
              for e in events if isinstance(e, Delta)]
    finals = [
        {"index": e.index, "generated_text": e.generated_text,
         "finish_reason": e.finish_reason, "usage": e.usage,
         **{key: text for key, text in (("reasoning", e.reasoning), ("refusal", e.refusal))
            if text is not None}}
        for e in events if isinstance(e, Final)
    ]
    errors = [{"message": e.message, "type": e.type, "code": e.code}
              for e in events if isinstance(e, StreamError)]
    assert deltas == vector["deltas"], vector["description"]
    assert finals == vector["finals"], vector["description"]
    assert errors == ([] if vector["error"] is None else [vector["error"]]), vector["description"]
    assert chat.done is vector["done"], vector["description"]
    order = "".join(LETTERS[type(e)] for e in events)
    assert ORDER.fullmatch(order), order
    assert order.endswith("O") is vector["done"], order


def test_there_are_enough_vectors() -> None:
    assert len(VECTORS) >= 40
    assert len(set(IDS)) == len(IDS)
    for vector in VECTORS:
        assert set(vector) == KEYS, vector["name"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_whole_and_bytewise(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["input_hex"])
    check(vector, [data])
    check(vector, bytewise(data) if len(data) <= 20_000 else split_at(data, range(0, len(data), 7)))


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 100_000), max_size=10))
def test_vector_at_random_cuts(vector: dict[str, Any], cuts: list[int]) -> None:
    data = bytes.fromhex(vector["input_hex"])
    check(vector, split_at(data, [c % (len(data) + 1) for c in cuts]))
