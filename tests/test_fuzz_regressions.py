"""Inputs the fuzzer (fuzz/run.py) once broke: only ProtocolError, same outcome however split."""

from __future__ import annotations

from typing import Any

import pytest

from sseproto import SSEDecoder
from tests.chat_helpers import outcome
from tests.helpers import bytewise, load_vectors, run, split_at

VECTORS = load_vectors("fuzz")


def sse_outcome(pieces: list[bytes], **kwargs: Any) -> Any:
    try:
        events, dec = run(lambda: SSEDecoder(**kwargs), pieces)
    except Exception as exc:  # anything but ProtocolError fails below
        from sseproto import ProtocolError

        assert isinstance(exc, ProtocolError), f"escaped: {exc!r}"
        return ("error", type(exc).__name__, exc.offset)
    return events, dec.last_event_id, dec.retry


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_fuzz_regression(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["input_hex"])
    check = outcome if vector["target"] == "chat" else sse_outcome
    whole = check([data], **vector["kwargs"])
    assert check(bytewise(data), **vector["kwargs"]) == whole
    assert check(split_at(data, range(0, len(data), 5)), **vector["kwargs"]) == whole
