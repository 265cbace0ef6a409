"""What the replay server sends, worked out once per transcript: faults, timing, framing.

A :class:`Plan` is immutable and holds the response body already framed as
HTTP/1.1 chunks (and unframed, for HTTP/1.0 peers), cut into the writes the
faults and the recorded timing call for.  Every connection that replays the
same transcript shares its plan, so ten thousand streams hold the body once.
Nothing here does I/O.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import orjson

from .transcript import Transcript, TranscriptError, load

__all__ = ["Ending", "Fault", "Plan", "Source", "Step", "Target", "load_source", "parse_fault",
           "plan_for"]

_DROPPED_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection",
                    "keep-alive"}
#: The largest single write: a client that stops reading holds at most about this much.
WRITE_SIZE = 64 * 1024
#: What 429 and 503 answers carry in ``Retry-After`` (seconds).
RETRY_AFTER = "1"
#: File names a directory source serves (anything else in it is skipped).
_SUFFIXES = {".jsonl", ".sse", ".ndjson", ".json", ".har", ".http", ".txt"}


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``kind`` and its number (bytes, seconds or status)."""

    kind: str
    value: float = 0.0
    at: int | None = None  # for stall: after this many body bytes

    def __str__(self) -> str:
        return self.kind if self.kind in _BARE_FAULTS else f"{self.kind}:{self.value:g}"


_BARE_FAULTS = ("bytewise", "coalesce", "gzip")


def parse_fault(text: str) -> Fault:
    """Parse ``cut:N``, ``reset:N``, ``stall:S[@N]``, ``bytewise``, ``status:CODE``, ``delay:S``,
    ``coalesce`` or ``gzip``.

    ``status:1xx`` (100, 102, 103...) sends that informational response
    before the real one; ``status:101`` is refused, since it would switch
    the connection to another protocol.
    """
    kind, _, arg = text.partition(":")
    if text == "status:101":
        raise ValueError("bad fault 'status:101': 101 Switching Protocols would end HTTP on the"
                         " connection; an informational fault can be 100, 102, 103 or up to 199")
    try:
        if kind in _BARE_FAULTS and not arg:
            return Fault(kind)
        if kind in ("cut", "reset") and int(arg) >= 0:
            return Fault(kind, int(arg))
        if kind == "status" and 100 <= int(arg) <= 599:
            return Fault(kind, int(arg))
        if kind == "delay" and float(arg) >= 0:
            return Fault(kind, float(arg))
        if kind == "stall":
            seconds, _, at = arg.partition("@")
            if float(seconds) >= 0:
                return Fault(kind, float(seconds), int(at) if at else None)
    except ValueError:
        pass
    raise ValueError(f"bad fault {text!r}: expected cut:N, reset:N, stall:S[@N], bytewise,"
                     " status:CODE, delay:S, coalesce or gzip")


class Ending(enum.Enum):
    """How a planned body ends."""

    COMPLETE = "complete"  # the final chunk, then the connection may be reused
    CUT = "cut"  # close without the final chunk
    RESET = "reset"  # a TCP reset


@dataclass(frozen=True, slots=True)
class Step:
    """Wait ``pause`` seconds, then write ``data`` (already framed; may be empty)."""

    pause: float
    data: bytes


@dataclass(frozen=True)
class Plan:
    """Everything one response needs, shared by every connection that sends it."""

    status: int
    reason: bytes
    headers: tuple[tuple[str, str], ...]
    informational: tuple[int, ...]  # 1xx responses sent first
    delay: float  # before the final response head
    chunked: tuple[Step, ...]  # for HTTP/1.1 peers: the body as chunks
    raw: tuple[Step, ...]  # for HTTP/1.0 peers: the body as it is
    ending: Ending
    fixed_body: bytes | None = None  # a Content-Length body sent at once (status faults)
    coalesce: bool = False  # head, body and end in as few writes as the pauses allow


#: A transcript served for every request, or transcripts by the request's ``model``.
Source = Transcript | Mapping[str, Transcript]


@dataclass(frozen=True)
class Target:
    """What one path (or every path) serves: one plan, or plans by model."""

    plan: Plan | None
    by_model: Mapping[str, Plan]

    def choose(self, model: object) -> Plan | str:
        """The plan for a request naming ``model``, or why there is none."""
        if self.plan is not None:
            return self.plan
        if isinstance(model, str) and model in self.by_model:
            return self.by_model[model]
        known = ", ".join(sorted(self.by_model)[:20])
        if not isinstance(model, str):
            return f"the request body names no \"model\"; this route serves: {known}"
        return f"no transcript for model {model[:80]!r}; this route serves: {known}"


def make_target(source: Source, faults: Iterable[Fault], speed: float) -> Target:
    faults = list(faults)
    if isinstance(source, Transcript):
        return Target(plan_for(source, faults, speed), {})
    if not source:
        raise ValueError("a route needs at least one transcript")
    return Target(None, {model: plan_for(t, faults, speed) for model, t in source.items()})


def load_source(path: str | Path) -> Source:
    """A transcript file, or a directory of them keyed by model.

    In a directory, ``gpt-4o.jsonl`` serves requests whose body says
    ``"model": "gpt-4o"``; a file in a sub-directory keeps it in the name
    (``meta-llama/Llama-3-8B.sse`` for ``"meta-llama/Llama-3-8B"``).
    Raises :class:`~sseproto.transcript.TranscriptError`.
    """
    path = Path(path)
    if not path.is_dir():
        return load(path)
    found: dict[str, Transcript] = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if (file.is_file() and file.suffix in _SUFFIXES
                and not any(part.startswith(".") for part in relative.parts)):
            found[relative.with_suffix("").as_posix()] = load(file)
    if not found:
        raise TranscriptError(f"no transcripts in the directory {path} (files named MODEL"
                              f" with one of {', '.join(sorted(_SUFFIXES))})")
    return found


# --- plans ---------------------------------------------------------------------------------


def plan_for(transcript: Transcript, faults: Iterable[Fault], speed: float) -> Plan:
    """Work out the response ``transcript`` gets under ``faults`` at ``speed``."""
    by_kind = {fault.kind: fault for fault in faults if fault.kind != "status"}
    codes = [int(fault.value) for fault in faults if fault.kind == "status"]
    informational = tuple(code for code in codes if code < 200)
    final = [code for code in codes if code >= 200]
    delay = by_kind["delay"].value if "delay" in by_kind else 0.0
    if final:
        return _status_plan(final[-1], informational, delay, "coalesce" in by_kind)
    headers = tuple((k, v) for k, v in transcript.headers.items()
                    if k.lower() not in _DROPPED_HEADERS)
    pieces, ending = _limited(_pieces(transcript, by_kind, speed), by_kind)
    if transcript.status in (204, 304):  # no body allowed (RFC 9110 #status.204, #status.304)
        pieces, ending = [], Ending.COMPLETE
    if "gzip" in by_kind:
        pieces = _gzipped(pieces, ending)
        headers += (("Content-Encoding", "gzip"),)
    coalesce = "bytewise" not in by_kind
    return Plan(status=transcript.status, reason=transcript.reason.encode("ascii", "replace"),
                headers=headers, informational=informational, delay=delay,
                chunked=_steps(pieces, _chunk, coalesce), raw=_steps(pieces, bytes, coalesce),
                ending=ending, coalesce="coalesce" in by_kind)


def _gzipped(pieces: list[tuple[bytes, float]], ending: Ending) -> list[tuple[bytes, float]]:
    """Each piece compressed and flushed as it goes, as compression middleware does."""
    compressor = zlib.compressobj(wbits=31)  # 31: the gzip format (RFC 1952)
    out = [(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH) if data else b"",
            pause) for data, pause in pieces]
    if ending is Ending.COMPLETE:
        out.append((compressor.flush(), 0.0))
    return out


def error_body(code: int, message: str, kind: str) -> bytes:
    """An OpenAI-style JSON error body."""
    return orjson.dumps({"error": {"message": message, "type": kind, "code": code}})


def _status_plan(code: int, informational: tuple[int, ...], delay: float,
                 coalesce: bool) -> Plan:
    body = error_body(code, f"injected status {code}", "injected_fault")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if code in (429, 503):  # RFC 9110 #field.retry-after
        headers.append(("Retry-After", RETRY_AFTER))
    return Plan(status=code, reason=reason_phrase(code), headers=tuple(headers),
                informational=informational,
                delay=delay, chunked=(), raw=(), ending=Ending.COMPLETE, fixed_body=body,
                coalesce=coalesce)


def reason_phrase(code: int) -> bytes:
    """The standard reason phrase of ``code`` (empty when it has none)."""
    try:
        return HTTPStatus(code).phrase.encode("ascii")
    except ValueError:
        return b""


def _chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk (RFC 9112 #chunked.encoding)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def _steps(pieces: list[tuple[bytes, float]], frame: Callable[[bytes], bytes],
           coalesce: bool) -> tuple[Step, ...]:
    """Frame each piece; with ``coalesce``, pieces with no pause between them are one write."""
    steps: list[Step] = []
    for data, pause in pieces:
        framed = frame(data) if data else b""
        if coalesce and steps and pause == 0 and len(steps[-1].data) < WRITE_SIZE:
            steps[-1] = Step(steps[-1].pause, steps[-1].data + framed)
        else:
            steps.append(Step(pause, framed))
    return tuple(part for step in steps for part in _split(step))


def _split(step: Step) -> Iterator[Step]:
    """``step`` in writes of at most WRITE_SIZE bytes, so flow control acts between them."""
    yield Step(step.pause, step.data[:WRITE_SIZE])
    for start in range(WRITE_SIZE, len(step.data), WRITE_SIZE):
        yield Step(0.0, step.data[start : start + WRITE_SIZE])


def _limited(pieces: Iterator[tuple[bytes, float]],
             faults: dict[str, Fault]) -> tuple[list[tuple[bytes, float]], Ending]:
    """The pieces up to a ``cut``/``reset`` byte count, and how the body ends.

    Reaching the count ends the body there, without its final chunk, even
    when the count is the body's whole length.
    """
    fault = faults.get("cut") or faults.get("reset")
    kept: list[tuple[bytes, float]] = []
    sent = 0
    for piece, pause in pieces:
        if fault is not None and sent + len(piece) >= fault.value:
            kept.append((piece[: int(fault.value) - sent], pause))
            return kept, Ending.CUT if fault.kind == "cut" else Ending.RESET
        kept.append((piece, pause))
        sent += len(piece)
    return kept, Ending.COMPLETE


def _pieces(transcript: Transcript, faults: dict[str, Fault],
            speed: float) -> Iterator[tuple[bytes, float]]:
    """The body pieces to write, each with the pause to take before it."""
    stall = faults.get("stall")
    stall_at = -1
    if stall is not None:
        total = sum(len(data) for _, data in transcript.chunks)
        stall_at = stall.at if stall.at is not None else max(total // 2, 1)
    last = 0.0
    sent = 0
    for offset, data in transcript.chunks:
        pause = max(offset - last, 0.0) / speed if speed > 0 else 0.0
        last = offset
        if sent < stall_at < sent + len(data):  # the stall falls inside this chunk
            cut = stall_at - sent
            parts = [(data[:cut], pause), (data[cut:], stall.value if stall else 0.0)]
        else:
            if stall is not None and sent == stall_at:
                pause += stall.value
            parts = [(data, pause)]
        for part, wait in parts:
            if "bytewise" in faults:
                for i in range(len(part)):
                    yield part[i : i + 1], wait if i == 0 else 0.0
            else:
                yield part, wait
            sent += len(part)
    if stall is not None and stall_at >= sent:  # at (or past) the end: before the last chunk
        yield b"", stall.value
