"""The suite's scenarios: every base stream under several deliveries, plus faults.

A base stream (``streams.json``, built from the spec vectors and real
captures) is a body with its expected outcome.  A scenario is one way of
delivering it: how the body is cut into writes, and which fault the server
injects.  Its id is ``<kind>/<stream>/<delivery>``; its group (a row of the
report's grid) is the vector file or ``capture``/``fault``.

Deliveries, for every base stream:

- ``whole``: the body in one write after the response head (captures: as
  recorded, one write per recorded chunk);
- ``bytes``: one byte per write;
- ``cuts``: a write boundary inside every UTF-8 sequence and between every
  CR and LF (only for bodies that have one);
- ``coalesced``: the response head and the whole body in one write.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson

from .._events import ChatEvent
from ..server import Fault, parse_fault
from ..transcript import Transcript
from ._compare import Difference, compare
from ._outcome import chat_event_outcome

__all__ = ["DELIVERIES", "Scenario", "load_scenarios", "select"]

DELIVERIES = ("whole", "bytes", "cuts", "coalesced")


@dataclass(frozen=True)
class Scenario:
    """One stream, one delivery: what the server sends and what a client must print.

    ``expected`` lists the events in the ``sseproto parse --json`` form, each
    with only the fields a client must get right; ``ok`` says whether the
    client must report success (exit status 0) or failure.
    """

    id: str
    kind: str  # "sse" (raw events) or "chat" (delta, final, done, error)
    group: str
    description: str
    expected: tuple[dict[str, Any], ...]
    ok: bool | None  # None: the exit status is not graded
    writes: tuple[bytes, ...] = field(repr=False)
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("content-type", "text/event-stream"),)
    faults: tuple[Fault, ...] = ()

    @property
    def delivery(self) -> str:
        """The last part of the id: ``whole``, ``bytes``, ... or the fault's name."""
        return self.id.rsplit("/", 1)[1]

    @property
    def body(self) -> bytes:
        return b"".join(self.writes)

    def transcript(self) -> Transcript:
        """What the replay server sends: one HTTP chunk per write."""
        return Transcript(chunks=[(0.0, data) for data in self.writes], status=self.status,
                          reason=_REASONS.get(self.status, ""), headers=dict(self.headers))

    def compare(self, events: Iterable[Mapping[str, Any] | ChatEvent], *,
                ok: bool = True) -> Difference | None:
        """The first difference between ``events`` (and ``ok``) and the expected outcome.

        ``events`` are ``parse --json`` dictionaries, or sseproto chat events;
        ``ok`` says whether the client reported success.
        """
        received = [dict(event) if isinstance(event, Mapping) else chat_event_outcome(event)
                    for event in events]
        return compare(self.expected, self.ok, received, 0 if ok else 1)

    def check(self, events: Iterable[Mapping[str, Any] | ChatEvent], *, ok: bool = True) -> None:
        """Raise ``AssertionError`` naming the first difference, if there is one."""
        difference = self.compare(events, ok=ok)
        if difference is not None:
            raise AssertionError(f"{self.id} ({self.description}): {difference}")

    def index_entry(self) -> dict[str, Any]:
        """This scenario in ``/suite/index.json``."""
        return {"id": self.id, "kind": self.kind, "group": self.group,
                "description": self.description, "expected": list(self.expected),
                "ok": self.ok}


_REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}


def _writes(entry: dict[str, Any]) -> tuple[bytes, ...]:
    return tuple(item["text"].encode() if "text" in item else base64.b64decode(item["b64"])
                 for item in entry["writes"])


def split_points(body: bytes) -> list[int]:
    """Offsets inside every UTF-8 multi-byte sequence and between every CR and LF."""
    points = [index for index in range(1, len(body))
              if 0x80 <= body[index] < 0xC0 and body[index - 1] >= 0x80]
    points += [index + 1 for index in range(len(body) - 1) if body[index : index + 2] == b"\r\n"]
    return sorted(set(points))


def _cut(body: bytes, points: Sequence[int]) -> tuple[bytes, ...]:
    edges = [0, *points, len(body)]
    return tuple(body[start:end] for start, end in itertools.pairwise(edges))


def _deliveries(base: Scenario) -> Iterable[Scenario]:
    body = base.body
    what = {"whole": "in one write" if len(base.writes) <= 1 else "as recorded",
            "bytes": "one byte per write", "coalesced": "head and body in one write",
            "cuts": "cut inside every UTF-8 sequence and CRLF"}
    writes: dict[str, tuple[bytes, ...]] = {"whole": base.writes}
    if len(body) > 1:
        writes["bytes"] = tuple(body[index : index + 1] for index in range(len(body)))
    points = split_points(body)
    if points:
        writes["cuts"] = _cut(body, points)
    writes["coalesced"] = (body,) if body else ()
    for name in DELIVERIES:
        if name in writes:
            faults = (Fault("coalesce"),) if name == "coalesced" else ()
            yield _variant(base, name, f"{base.description} [{what[name]}]", writes[name],
                           faults)


def _variant(base: Scenario, delivery: str, description: str, writes: tuple[bytes, ...],
             faults: tuple[Fault, ...]) -> Scenario:
    return Scenario(id=f"{base.id}/{delivery}", kind=base.kind, group=base.group,
                    description=description, expected=base.expected, ok=base.ok,
                    writes=writes, status=base.status, headers=base.headers, faults=faults)


def _base(entry: dict[str, Any]) -> Scenario:
    kind = entry["kind"]
    return Scenario(id=f"{'capture' if entry['group'] == 'capture' else kind}/{entry['name']}",
                    kind=kind, group=entry["group"], description=entry["description"],
                    expected=tuple(entry["expected"]), ok=entry["ok"], writes=_writes(entry),
                    headers=tuple(entry["headers"].items()))


@functools.cache
def load_scenarios() -> tuple[Scenario, ...]:
    """Every scenario, in a stable order: the vectors' deliveries, captures, then faults."""
    from ._faults import fault_scenarios

    document = orjson.loads(resources.files(__package__).joinpath("streams.json").read_bytes())
    bases = [_base(entry) for entry in document["streams"]]
    scenarios = [scenario for base in bases for scenario in _deliveries(base)]
    captures = {base.id.split("/", 1)[1]: base for base in bases if base.group == "capture"}
    return (*scenarios, *fault_scenarios(captures))


def _matches(scenario: Scenario, pattern: str) -> bool:
    return (fnmatch.fnmatchcase(scenario.id, pattern) or scenario.group == pattern
            or scenario.id.startswith(pattern.rstrip("/") + "/"))


def select(patterns: Iterable[str] = ()) -> list[Scenario]:
    """The scenarios whose id matches one of the glob ``patterns``, or whose group or
    id prefix is one of them (all scenarios when there is none)."""
    wanted = list(patterns)
    return [scenario for scenario in load_scenarios()
            if not wanted or any(_matches(scenario, pattern) for pattern in wanted)]


def parse_faults(texts: Iterable[str | Fault]) -> tuple[Fault, ...]:
    return tuple(text if isinstance(text, Fault) else parse_fault(text) for text in texts)
