"""``replay --split``: the ways a recorded body can be cut into reads.

Decoding must not depend on where the reads fall (WHATWG's parser works on a
stream of code points, whatever the network did); ``--split all`` checks it
on one capture by decoding it every way and comparing the events.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from .._errors import Error
from ..transcript import Transcript

__all__ = ["SPLITS", "reads", "split_differences"]

#: The strategies ``--split all`` compares.
SPLITS = ("whole", "bytes", "random", "recorded")


def reads(transcript: Transcript, split: str, seed: int = 0) -> Iterator[bytes]:
    """The body of ``transcript`` cut as ``split`` says."""
    body = transcript.body
    if split == "recorded":
        yield from (data for _, data in transcript.chunks)
    elif split == "whole":
        yield body
    elif split == "bytes":
        yield from (body[i : i + 1] for i in range(len(body)))
    elif split == "random":
        rng = random.Random(seed)
        position = 0
        while position < len(body):
            size = rng.randint(1, 64)
            yield body[position : position + size]
            position += size
    else:
        raise ValueError(f"unknown split {split!r}")


def outcome(decoder: Any, pieces: Iterator[bytes]) -> tuple[list[Any], str | None]:
    """The events one way of feeding gives, and the error it ended with (type and message)."""
    events: list[Any] = []
    try:
        for data in pieces:
            events += decoder.feed(data)
        events += decoder.close()
    except Error as exc:
        return events, f"{type(exc).__name__}: {exc}"
    return events, None


def split_differences(transcript: Transcript, decoder: Callable[[], Any],
                      seed: int = 0) -> str | None:
    """``None`` when every split gives the same events and error, else what differs first."""
    results = {split: outcome(decoder(), reads(transcript, split, seed)) for split in SPLITS}
    events, error = results["whole"]
    for split, (other, other_error) in results.items():
        if other == events and other_error == error:
            continue
        index = next((i for i, (a, b) in enumerate(zip(events, other, strict=False)) if a != b),
                     min(len(events), len(other)))
        if index < max(len(events), len(other)):
            return (f"--split {split} gives other events than --split whole, from event"
                    f" {index} ({len(other)} events against {len(events)})")
        return f"--split {split} ends with {other_error or 'no error'}, --split whole with" \
               f" {error or 'no error'}"
    return None
