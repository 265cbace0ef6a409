"""Shared helpers: feeding a decoder, loading vectors.  The splitters live in
tests/support/split.py (shared with fuzz/, bench/ and spec/) and are re-exported."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tests.support.split import bytewise, split_at, split_fixed, split_random

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"

__all__ = ["ROOT", "SPEC", "bytewise", "load_vectors", "run", "split_at", "split_fixed",
           "split_random"]

T = TypeVar("T")


def run(make: Callable[[], Any], pieces: Sequence[bytes]) -> tuple[list[Any], Any]:
    """Feed every piece to a fresh decoder, then close it.  Returns (events, decoder)."""
    decoder = make()
    events: list[Any] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.close())
    return events, decoder


def load_vectors(folder: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = []
    for path in sorted((SPEC / "vectors" / folder).glob("*.json")):
        for vector in json.loads(path.read_text("utf-8")):
            vector["_file"] = path.name
            vectors.append(vector)
    return vectors
