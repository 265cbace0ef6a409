"""Inputs the fuzzer (fuzz/run.py) once broke: only ProtocolError, same outcome however split."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import bytewise, load_vectors, split_at
from tests.support.outcome import outcome

VECTORS = load_vectors("fuzz")


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_fuzz_regression(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["input_hex"])
    target, kwargs = vector["target"], vector["kwargs"]
    whole = outcome(target, [data], **kwargs)
    assert outcome(target, bytewise(data), **kwargs) == whole
    assert outcome(target, split_at(data, range(0, len(data), 5)), **kwargs) == whole
