"""Every SSE vector in spec/vectors/sse, fed whole, byte by byte and at hypothesis cuts."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sseproto import ServerSentEvent, SSEDecoder
from tests.helpers import bytewise, load_vectors, run, split_at

sys.set_int_max_str_digits(0)  # retry.json holds a 5000-digit value
VECTORS = load_vectors("sse")
IDS = [v["name"] for v in VECTORS]


def check(vector: dict[str, Any], pieces: list[bytes]) -> None:
    events, dec = run(SSEDecoder, pieces)
    assert events == [ServerSentEvent(**ev) for ev in vector["events"]], vector["description"]
    assert dec.last_event_id == vector["last_event_id"]
    assert dec.retry == vector["retry"]


def test_there_are_enough_vectors() -> None:
    assert len(VECTORS) >= 80
    assert len(set(IDS)) == len(IDS)


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
