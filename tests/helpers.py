"""Shared helpers: feeding a decoder under different splittings."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"

T = TypeVar("T")


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """Split ``data`` at the given offsets (any order, duplicates and out-of-range ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


def bytewise(data: bytes) -> list[bytes]:
    """One byte per piece."""
    return split_at(data, range(1, len(data)))


def split_fixed(data: bytes, size: int) -> list[bytes]:
    """Pieces of ``size`` bytes (the last one shorter)."""
    return split_at(data, range(size, len(data), size))


def split_random(data: bytes, seed: int, low: int = 1, high: int = 64) -> list[bytes]:
    """Pieces of seeded random sizes between ``low`` and ``high`` bytes."""
    rng, cuts, at = random.Random(seed), [], 0
    while at < len(data):
        at += rng.randint(low, high)
        cuts.append(at)
    return split_at(data, cuts)


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
