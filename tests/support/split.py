"""One splitter: a stream cut into the reads a decoder is fed."""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["bytewise", "split_at", "split_fixed", "split_random"]


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the offsets ``cuts`` (any order; duplicates and offsets
    outside ``data`` are ignored, so no piece is empty unless ``data`` is)."""
    points = sorted({cut for cut in cuts if 0 < cut < len(data)})
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
