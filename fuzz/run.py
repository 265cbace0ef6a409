#!/usr/bin/env python3
"""Totality and split-invariance fuzzer for sseproto's sans-IO decoders.

    python fuzz/run.py --minutes N [--seed S] [--target sse|chat|all]
    python fuzz/run.py --atheris [--minutes N] [--target ...] [-- libFuzzer flags]

The contract checked (DESIGN.md): whatever bytes ``SSEDecoder`` and
``ChatStreamDecoder`` are fed, split anywhere, they raise nothing but
``sseproto.ProtocolError`` subclasses, never hang or slow down super-linearly,
and the outcome (events, ``done``, ``repairs``, ``last_event_id``/``retry``,
or the error class and ``.offset``) does not depend on how the bytes were
split.  ``SSEDecoder`` with default limits is also compared with the naive
oracle in ``tests/reference_sse.py``.

See fuzz/README.md.  Failures are minimised and written to ``fuzz/out/``.
The exit code is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Filled in by load_sseproto(): atheris must be able to instrument the import.
sseproto: Any = None
ProtocolError: Any = None
LocalProtocolError: Any = None
reference_decode: Callable[[bytes], Any] | None = None

# --- configuration ------------------------------------------------------------------

#: (name, constructor kwargs) for each decoder configuration exercised.
SSE_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("sse", {}),
    ("sse-16", {"max_line_size": 16, "max_event_size": 16}),
    ("sse-1", {"max_line_size": 1, "max_event_size": 1}),
    ("sse-ev5", {"max_event_size": 5}),
]
CHAT_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("chat-auto", {}),
    ("chat-auto-skip", {"on_malformed": "skip"}),
    ("chat-openai", {"dialect": "openai"}),
    ("chat-openai-skip", {"dialect": "openai", "on_malformed": "skip"}),
    ("chat-tgi", {"dialect": "tgi"}),
    ("chat-tgi-skip", {"dialect": "tgi", "on_malformed": "skip"}),
    ("chat-16", {"max_line_size": 16, "max_event_size": 16}),
    ("chat-16-skip", {"max_line_size": 16, "max_event_size": 16, "on_malformed": "skip"}),
    ("chat-64-skip", {"max_line_size": 64, "max_event_size": 64, "on_malformed": "skip"}),
    ("chat-1-skip", {"max_line_size": 1, "max_event_size": 1, "on_malformed": "skip"}),
    ("chat-pg-200", {"dialect": "predictionguard", "max_event_size": 200}),
    ("chat-anthropic", {"dialect": "anthropic"}),
    ("chat-responses-skip", {"dialect": "openai-responses", "on_malformed": "skip"}),
    ("chat-ollama", {"dialect": "ollama"}),
    ("chat-ollama-16-skip", {"dialect": "ollama", "max_event_size": 16,
                             "on_malformed": "skip"}),
]

#: Inputs shorter than this are also fed one byte at a time (every config).
BYTEWISE_ALL = 1024
#: Inputs shorter than this are fed one byte at a time for a few configs.
BYTEWISE_MAX = 4096
#: Decode time per byte above which an input (> 1 KB) is flagged as super-linear.
SLOW_US_PER_BYTE = 50.0
#: Wall-clock limit for checking one generated input (all configs and splits).
HANG_SECONDS = 30.0
#: Inputs kept in the corpus are at most this long.
MAX_CORPUS_INPUT = 64 * 1024


def configs_for(target: str) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    if target in ("sse", "all"):
        out += [("sse", name, kw) for name, kw in SSE_CONFIGS]
    if target in ("chat", "all"):
        out += [("chat", name, kw) for name, kw in CHAT_CONFIGS]
    return out


def load_sseproto(instrument: bool = False) -> None:
    """Import sseproto (under atheris instrumentation when asked) and the oracle."""
    global sseproto, ProtocolError, LocalProtocolError, reference_decode
    if instrument:
        import atheris

        with atheris.instrument_imports(include=["sseproto"]):
            import sseproto as module
            import sseproto._chat
            import sseproto._recovery
            import sseproto.dialects
    else:
        import sseproto as module
    sseproto = module
    ProtocolError = module.ProtocolError
    LocalProtocolError = module.LocalProtocolError
    try:
        from tests.reference_sse import reference_decode as ref
    except ImportError:  # pragma: no cover - the oracle is optional
        ref = None
    reference_decode = ref


# --- running a decoder and summarising the outcome ---------------------------------


class Hang(BaseException):
    """Raised by SIGALRM when one input takes too long.  BaseException: nothing catches it."""


class ContractViolation(Exception):
    """The harness found the decoder misbehaving without an exception of its own."""


def _check_dead(dec: Any, why: str) -> None:
    """After an error or close(), feed() and close() must raise LocalProtocolError."""
    for call in (lambda: dec.feed(b"data: x\n\n"), dec.close):
        try:
            call()
        except LocalProtocolError:
            continue
        raise ContractViolation(f"{type(dec).__name__} accepted a call after {why}")


def _feed_all(dec: Any, pieces: Sequence[bytes], strict: bool) -> list[Any] | tuple[Any, ...]:
    """Every piece, then close(): the events, or the ``("error", ...)`` outcome."""
    events: list[Any] = []
    try:
        for piece in pieces:
            events.extend(dec.feed(piece))
        events.extend(dec.close())
    except ProtocolError as exc:
        if strict:
            _check_dead(dec, "an error")
        return ("error", type(exc).__name__, exc.offset)
    if strict:
        _check_dead(dec, "close()")
    return events


def sse_outcome(pieces: Sequence[bytes], kwargs: dict[str, Any], strict: bool = False) -> Any:
    dec = sseproto.SSEDecoder(**kwargs)
    events = _feed_all(dec, pieces, strict)
    if isinstance(events, tuple):
        return events
    return ("ok", [(e.event, e.data, e.id, e.retry) for e in events], dec.last_event_id,
            dec.retry)


def chat_outcome(pieces: Sequence[bytes], kwargs: dict[str, Any], strict: bool = False) -> Any:
    """Like tests/chat_helpers.outcome(), plus the dialect chosen."""
    dec = sseproto.ChatStreamDecoder(**kwargs)
    events = _feed_all(dec, pieces, strict)
    if isinstance(events, tuple):
        return events
    summary: list[Any] = []
    for ev in events:
        if isinstance(ev, sseproto.Delta):
            summary.append(("delta", ev.index, ev.content, ev.tool_calls))
        elif isinstance(ev, sseproto.Final):
            summary.append(("final", ev.index, ev.generated_text, ev.finish_reason, ev.usage))
        elif isinstance(ev, sseproto.Done):
            summary.append(("done",))
        elif isinstance(ev, sseproto.StreamError):
            summary.append(("error", ev.message, ev.type, ev.code))
        else:
            raise ContractViolation(f"unexpected event type {type(ev).__name__}")
    return ("ok", summary, dec.done, dict(dec.repairs), dec.dialect)


def outcome(target: str, pieces: Sequence[bytes], kwargs: dict[str, Any],
            strict: bool = False) -> Any:
    if target == "sse":
        return sse_outcome(pieces, kwargs, strict)
    return chat_outcome(pieces, kwargs, strict)


@contextlib.contextmanager
def deep_recursion() -> Iterator[None]:
    """Comparing or printing decoded JSON 1000 levels deep needs more than the default."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def same(a: Any, b: Any) -> bool:
    with deep_recursion():
        return bool(a == b)


def safe_repr(value: Any, limit: int = 1500) -> str:
    with deep_recursion():
        try:
            text = repr(value)
        except Exception as exc:  # e.g. huge ints over the str-digits limit
            text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def diff_kind(a: Any, b: Any) -> str:
    """A short name for how two outcomes differ (part of a failure's signature)."""
    if a[0] != b[0]:
        return f"{a[0]}-vs-{b[0]}"
    if a[0] == "error":
        return "error-class" if a[1] != b[1] else "error-offset"
    names = ["events", "last_event_id", "retry"] if len(a) == 4 else \
        ["events", "done", "repairs", "dialect"]
    for name, x, y in zip(names, a[1:], b[1:], strict=True):
        if not same(x, y):
            return name
    return "?"


# --- splittings ---------------------------------------------------------------------


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``data`` cut at ``cuts`` (kept in order, duplicates give empty pieces)."""
    pieces, last = [], 0
    for cut in sorted(min(max(c, 0), len(data)) for c in cuts):
        pieces.append(data[last:cut])
        last = cut
    pieces.append(data[last:])
    return pieces


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def random_cuts(rng: random.Random, data: bytes) -> list[int]:
    """Cut points from one of several strategies aimed at the tricky boundaries."""
    n = len(data)
    if n == 0:
        return [0, 0]
    kind = rng.randrange(7)
    if kind == 0:  # a few uniform cuts (duplicates allowed: empty reads)
        return [rng.randint(0, n) for _ in range(rng.randint(1, 8))]
    if kind == 1:  # fixed-size reads
        size = rng.choice([2, 3, 5, 7, 16, 64, 100])
        return list(range(size, n, size))
    if kind == 2:  # between CR and LF, after each CR
        return [i + 1 for i in range(n) if data[i] == 13] or [n // 2]
    if kind == 3:  # right before/after line breaks and around braces
        marks = [i + rng.choice((0, 1)) for i in range(n) if data[i] in b"\n{}\":"]
        return rng.sample(marks, min(len(marks), 20)) if marks else [n // 2]
    if kind == 4:  # inside multi-byte UTF-8 sequences and the BOM
        marks = [i for i in range(n) if data[i] >= 0x80] + [1, 2]
        return rng.sample(marks, min(len(marks), 20))
    if kind == 5:  # a single cut
        return [rng.randint(0, n)]
    return [rng.randint(0, n) for _ in range(rng.randint(8, 40))]  # many small reads


# --- failures -----------------------------------------------------------------------


class Failure:
    def __init__(self, kind: str, target: str, cfg: str, kwargs: dict[str, Any], data: bytes,
                 signature: tuple[Any, ...], detail: str, mode: str) -> None:
        self.kind, self.target, self.cfg, self.kwargs = kind, target, cfg, kwargs
        self.data, self.signature, self.detail, self.mode = data, signature, detail, mode


def exception_signature(exc: BaseException) -> tuple[str, str]:
    """The exception type and the innermost sseproto frame (file:line) it came from."""
    where = "?"
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if f"{os.sep}sseproto{os.sep}" in filename:
            where = f"{filename.split(os.sep + 'sseproto' + os.sep)[-1]}:{lineno}"
    if where == "?":
        where = str(exc)[:60]
    return type(exc).__name__, where


class Checker:
    """Runs one input through every configuration and splitting; collects failures."""

    def __init__(self, target: str, oracle: bool = True, bytewise_all: int = BYTEWISE_ALL,
                 bytewise_max: int = BYTEWISE_MAX, ignore: Sequence[str] = ()) -> None:
        self.ignore = list(ignore)
        self.ignored = 0
        self.configs = configs_for(target)
        self.oracle = oracle and reference_decode is not None and target in ("sse", "all")
        self.bytewise_all, self.bytewise_max = bytewise_all, bytewise_max
        self.runs = 0  # decoder runs (one stream, one splitting, one config)
        self.features: set[Any] = set()  # coarse outcome shapes seen, for corpus growth

    def _run(self, target: str, pieces: Sequence[bytes], kwargs: dict[str, Any],
             strict: bool = False) -> tuple[Any, BaseException | None]:
        self.runs += 1
        try:
            return outcome(target, pieces, kwargs, strict), None
        except Hang:
            raise
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            return None, exc

    def check(self, data: bytes, rng: random.Random, check_time: bool = True
              ) -> tuple[list[Failure], bool]:
        """Return the failures found and whether the input showed a new outcome shape."""
        failures: list[Failure] = []
        new_feature = False
        n = len(data)
        picked = set(rng.sample(range(len(self.configs)), min(3, len(self.configs))))
        for number, (target, cfg, kwargs) in enumerate(self.configs):
            start = time.perf_counter()
            whole, exc = self._run(target, [data], kwargs, strict=True)
            elapsed = time.perf_counter() - start
            if exc is not None:
                failures.append(self._exception(exc, target, cfg, kwargs, data, "whole"))
                continue
            feature = (cfg, whole[0], whole[1] if whole[0] == "error" else
                       (tuple(sorted(whole[3])), whole[2], whole[4],
                        tuple(sorted({e[0] for e in whole[1]})))
                       if target == "chat" else (len(whole[1]) > 0, whole[2] is None,
                                                 whole[3] is None))
            if feature not in self.features:
                self.features.add(feature)
                new_feature = True
            if check_time and n > 1024 and elapsed / n * 1e6 > SLOW_US_PER_BYTE:
                best = min(self._timed(target, data, kwargs) for _ in range(3))
                if best / n * 1e6 > SLOW_US_PER_BYTE:
                    failures.append(Failure(
                        "slow", target, cfg, kwargs, data, ("slow", target),
                        f"{best / n * 1e6:.1f} us/byte over {n} bytes ({best:.2f} s)", "whole"))
            splits: list[tuple[str, list[bytes]]] = []
            if n < self.bytewise_all or (n < self.bytewise_max and number in picked):
                splits.append(("bytewise", bytewise(data)))
            for _ in range(2):
                cuts = random_cuts(rng, data)
                splits.append((f"cuts={sorted(cuts)}", split_at(data, cuts)))
            for mode, pieces in splits:
                other, exc = self._run(target, pieces, kwargs)
                if exc is not None:
                    failures.append(self._exception(exc, target, cfg, kwargs, data, mode))
                    break
                if not same(whole, other):
                    kind = diff_kind(whole, other)
                    failures.append(Failure(
                        "split", target, cfg, kwargs, data, ("split", target, kind),
                        f"whole:   {safe_repr(whole)}\n{mode}: {safe_repr(other)}", mode))
                    break
            if self.oracle and cfg == "sse" and n < 32 * 1024:
                failure = self._oracle(data, whole)
                if failure is not None:
                    failures.append(failure)
        if self.ignore:
            kept = [f for f in failures if not any(t in str(f.signature) for t in self.ignore)]
            self.ignored += len(failures) - len(kept)
            failures = kept
        return failures, new_feature

    def _timed(self, target: str, data: bytes, kwargs: dict[str, Any]) -> float:
        start = time.perf_counter()
        self._run(target, [data], kwargs)
        return time.perf_counter() - start

    def _oracle(self, data: bytes, whole: Any) -> Failure | None:
        assert reference_decode is not None
        ref = reference_decode(data)
        expected = ("ok", ref.events, ref.last_event_id, ref.retry)
        if same(whole, expected):
            return None
        return Failure("oracle", "sse", "sse", {}, data, ("oracle", diff_kind(expected, whole)),
                       f"reference: {safe_repr(expected)}\nsseproto:  {safe_repr(whole)}",
                       "whole")

    def _exception(self, exc: BaseException, target: str, cfg: str, kwargs: dict[str, Any],
                   data: bytes, mode: str) -> Failure:
        with deep_recursion():
            text = "".join(traceback.format_exception(exc))
        return Failure("exception", target, cfg, kwargs, data,
                       ("exception", *exception_signature(exc)), text, mode)

    # --- reproduction, for minimisation ---------------------------------------------

    def reproduces(self, failure: Failure, data: bytes) -> str | None:
        """The failure's detail if ``data`` shows it again (same signature, same config)."""
        target, kwargs = failure.target, failure.kwargs
        if failure.kind == "oracle":
            whole, exc = self._run("sse", [data], {})
            if exc is not None:
                return None
            expected = ("ok", *self._ref(data))
            if same(whole, expected) or \
                    ("oracle", diff_kind(expected, whole)) != failure.signature:
                return None
            return f"reference: {safe_repr(expected)}\nsseproto:  {safe_repr(whole)}"
        if failure.kind == "exception":
            modes: list[tuple[str, list[bytes]]] = [("whole", [data])]
            if len(data) <= 8192:
                modes.append(("bytewise", bytewise(data)))
            if failure.mode.startswith("cuts="):
                modes += [(f"cuts=[{i}]", split_at(data, [i])) for i in range(len(data) + 1)]
            for mode, pieces in modes[:2000]:
                _, exc = self._run(target, pieces, kwargs, strict=True)
                if exc is not None and ("exception", *exception_signature(exc)) == \
                        failure.signature:
                    with deep_recursion():
                        return f"mode: {mode}\n" + "".join(traceback.format_exception(exc))
            return None
        if failure.kind == "split":
            whole, exc = self._run(target, [data], kwargs)
            if exc is not None:
                return None
            modes = [("bytewise", bytewise(data))] if len(data) <= 8192 else []
            points = range(len(data) + 1) if len(data) <= 600 else \
                sorted(random.Random(len(data)).sample(range(len(data) + 1), 200))
            modes += [(f"cuts=[{i}]", split_at(data, [i])) for i in points]
            for mode, pieces in modes:
                other, exc = self._run(target, pieces, kwargs)
                if exc is None and not same(whole, other) and \
                        ("split", target, diff_kind(whole, other)) == failure.signature:
                    return f"whole:   {safe_repr(whole)}\n{mode}: {safe_repr(other)}"
            return None
        return None

    def _ref(self, data: bytes) -> tuple[Any, Any, Any]:
        assert reference_decode is not None
        ref = reference_decode(data)
        return ref.events, ref.last_event_id, ref.retry


def minimise(data: bytes, fails: Callable[[bytes], bool], budget: float) -> bytes:
    """Delta debugging: drop chunks (halving their size) while the input still fails."""
    deadline = time.monotonic() + budget
    chunk = max(1, len(data) // 2)
    while data and time.monotonic() < deadline:
        removed = False
        i = 0
        while i < len(data) and time.monotonic() < deadline:
            candidate = data[:i] + data[i + chunk :]
            if candidate != data and fails(candidate):
                data, removed = candidate, True
            else:
                i += chunk
        if not removed:
            if chunk == 1:
                break
            chunk = max(1, chunk // 2)
    return data


def repro_snippet(failure: Failure, data: bytes) -> str:
    cls = "SSEDecoder" if failure.target == "sse" else "ChatStreamDecoder"
    kwargs = ", ".join(f"{k}={v!r}" for k, v in failure.kwargs.items())
    split = "whole" if failure.kind != "split" else "whole and bytewise"
    return (
        "import sseproto\n"
        f"data = bytes.fromhex({data.hex()!r})\n"
        f"dec = sseproto.{cls}({kwargs})\n"
        f"events = dec.feed(data) + dec.close()  # {split}; also try one byte at a time\n"
    )


def save_failure(failure: Failure, data: bytes, original: bytes, quiet: bool = False) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = OUT / f"crash-{digest}.bin"
    path.write_bytes(data)
    report = [
        f"kind:      {failure.kind}",
        f"signature: {failure.signature}",
        f"target:    {failure.target}  config: {failure.cfg}  kwargs: {failure.kwargs}",
        f"mode:      {failure.mode[:300]}",
        f"original:  {len(original)} bytes, minimised: {len(data)} bytes",
        f"input_hex: {data.hex() if len(data) <= 4096 else data[:4096].hex() + '...'}",
        f"input:     {safe_repr(data, 3000)}",
        "",
        "repro:",
        repro_snippet(failure, data) if len(data) <= 4096 else "(see the .bin file)",
        "detail:",
        failure.detail,
    ]
    path.with_suffix(".txt").write_text("\n".join(report), "utf-8")
    vector = [{
        "name": f"fuzz-{failure.kind}-{digest}",
        "description": f"fuzz/run.py found {failure.signature}; expected: only ProtocolError,"
                       " and the same outcome whole/bytewise",
        "input_hex": data.hex(),
        "target": failure.target,
        "kwargs": failure.kwargs,
    }]
    path.with_suffix(".vector.json").write_text(json.dumps(vector, indent=1) + "\n", "utf-8")
    if not quiet:
        print(f"\n=== FAILURE {failure.signature} [{failure.cfg}, {failure.mode[:60]}]", flush=True)
        print("\n".join(line[:600] for line in report[:8]), flush=True)
        print(failure.detail[-3000:], flush=True)
        print(f"saved {path}\n", flush=True)
    return path


# --- the corpus ---------------------------------------------------------------------


def seed_corpus(rng: random.Random, hypothesis_examples: int = 150) -> list[bytes]:
    corpus: list[bytes] = []
    for path in sorted((ROOT / "spec" / "vectors").glob("**/*.json")):
        try:
            # parse_int=str: some vectors hold integers over Python's 4,300-digit limit.
            vectors = json.loads(path.read_text("utf-8"), parse_int=str)
        except (OSError, ValueError):
            continue
        for vector in vectors if isinstance(vectors, list) else []:
            if isinstance(vector, dict) and isinstance(vector.get("input_hex"), str):
                with contextlib.suppress(ValueError):
                    corpus.append(bytes.fromhex(vector["input_hex"]))
    for path in sorted((ROOT / "spec" / "samples").glob("*.sse")):
        corpus.append(path.read_bytes())
    corpus += hypothesis_streams(rng.randrange(2**32), hypothesis_examples)
    corpus += [generate_chat_stream(rng) for _ in range(300)]
    return [item for item in corpus if len(item) <= MAX_CORPUS_INPUT]


def hypothesis_streams(seed_value: int, count: int) -> list[bytes]:
    """Draw streams from sseproto.testing's strategies, deterministically (seeded)."""
    try:
        from hypothesis import HealthCheck, Phase, given, seed, settings

        from sseproto.testing import chat_streams, malformed_chat_streams
    except ImportError:
        return []
    found: list[bytes] = []
    for strategy in (chat_streams(), malformed_chat_streams()):

        @seed(seed_value)
        @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(case: Any) -> None:
            found.append(case if isinstance(case, bytes) else case.data)

        collect()
    return found


TRICKY_TEXT = ["{", "}", "[", "]", '"', '\\"', "\\", "data: ", "\ndata: [DONE]\n", "[DONE]",
               "\n\n", "\r\n", "\r", ":", "\u2028", "\x00", "é", "你好", "🙂", " ",
               "event: error", "\ufeff", "}\n", "data: {", "\ud800", ""]
KEYS = ["choices", "delta", "content", "index", "tool_calls", "finish_reason", "usage",
        "error", "object", "generated_text", "token", "text", "special", "details", "id",
        "function", "name", "arguments", "type", "message", "code", "role", "logprobs",
        "error_type", "detail", "model", "logprob"]


def rand_scalar(rng: random.Random) -> Any:
    return rng.choice([
        None, True, False, 0, 1, -1, 7, 2**63, 2**64 + 3, 10**30, 1.5, -0.0, 1e308,
        "", "stop", "a", "0", rng.choice(TRICKY_TEXT), "x" * rng.randint(0, 40),
    ])


def rand_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rand_scalar(rng)
    if roll < 0.75:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.97:
        return {rng.choice(KEYS): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return f"__DEEP_{rng.choice([10, 254, 256, 900, 980, 995, 1000, 1023, 1024, 1025])}__"


def deep_text(depth: int, kind: int) -> str:
    if kind == 0:
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def perturb(rng: random.Random, value: Any) -> Any:
    """Replace one random node of a JSON value with a random value (type confusion)."""
    if isinstance(value, dict) and value and rng.random() < 0.75:
        key = rng.choice(list(value))
        value = dict(value)
        value[key] = perturb(rng, value[key])
        return value
    if isinstance(value, list) and value and rng.random() < 0.75:
        at = rng.randrange(len(value))
        value = list(value)
        value[at] = perturb(rng, value[at])
        return value
    return rand_value(rng)


def openai_chunk(rng: random.Random, index: int | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if rng.random() < 0.2:
        delta["role"] = "assistant"
    if rng.random() < 0.7:
        delta["content"] = rng.choice([*TRICKY_TEXT, "Hi", " there", "x" * rng.randint(0, 30)])
    if rng.random() < 0.2:
        delta["tool_calls"] = [{"index": rng.choice([0, 0, 1, "0"]), "id": "call_1",
                                "type": "function",
                                "function": {"name": rng.choice(["f", ""]),
                                             "arguments": rng.choice(['{"a', '": 1}', ""])}}]
    choice: dict[str, Any] = {"index": rng.choice([0, 0, 0, 1, 2]) if index is None else index,
                              "delta": delta, "logprobs": None,
                              "finish_reason": rng.choice([None, None, None, "stop", "length"])}
    if rng.random() < 0.1:
        choice["generated_text"] = rng.choice(["full text", "", None])
    chunk: dict[str, Any] = {"id": "chatcmpl-x", "object": "chat.completion.chunk",
                             "created": 1717785387, "model": "m", "choices": [choice]}
    if rng.random() < 0.1:
        chunk["choices"] = []
        chunk["usage"] = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    return chunk


def tgi_chunk(rng: random.Random, last: bool = False) -> dict[str, Any]:
    return {"index": rng.randint(0, 3),
            "token": {"id": 1, "text": rng.choice([*TRICKY_TEXT, "Hi"]), "logprob": -0.5,
                      "special": rng.random() < 0.2},
            "generated_text": "all the text" if last else None,
            "details": {"finish_reason": "length"} if last and rng.random() < 0.5 else None}


def error_payload(rng: random.Random) -> Any:
    return rng.choice([
        {"error": {"message": "boom", "type": "server_error", "code": rng.choice([None, 5, "x"])}},
        {"object": "error", "message": "bad", "type": "BadRequest", "code": 400},
        {"error": "overloaded", "error_type": "generation"},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ])


def render_frame(rng: random.Random, text: str, form: str) -> str:
    if form == "conforming":
        return f"data: {text}\n\n"
    if form == "no-blank":
        return f"data: {text}\n"
    if form == "nospace":
        return f"data:{text}\n\n"
    if form == "split-data":
        cut = rng.randint(0, len(text))
        return f"data: {text[:cut]}\ndata: {text[cut:]}\n\n"
    # pretty-printed: only the first line carries "data: "
    lines = text.split("\n")
    tail = "\n" if form == "pretty-blank" else ""
    return "data: " + "\n".join(lines) + "\n" + tail


def dumps(rng: random.Random, value: Any, pretty: bool) -> str:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.3,
                      indent=rng.choice([0, 1, 2]) if pretty else None,
                      separators=None if pretty else rng.choice([(",", ":"), (", ", ": ")]))
    while "__DEEP_" in text:
        at = text.index('"__DEEP_')
        end = text.index('__"', at + 1) + 3
        text = text[:at] + deep_text(int(text[at + 8 : end - 3]), rng.randrange(2)) + text[end:]
    return text


def generate_chat_stream(rng: random.Random) -> bytes:
    """A chat stream of random payloads in random (mixed) wire forms."""
    kind = rng.choice(["openai", "openai", "tgi", "mixed"])
    payloads: list[Any] = []
    for _ in range(rng.randint(0, 6)):
        if kind == "tgi" or (kind == "mixed" and rng.random() < 0.5):
            payloads.append(tgi_chunk(rng))
        else:
            payloads.append(openai_chunk(rng))
    if kind == "tgi" and rng.random() < 0.7:
        payloads.append(tgi_chunk(rng, last=True))
    elif rng.random() < 0.7:
        chunk = openai_chunk(rng)
        chunk["choices"][:1] = [{"index": 0, "delta": {}, "finish_reason": "stop"}] \
            if chunk["choices"] else []
        payloads.append(chunk)
    if rng.random() < 0.15:
        payloads.insert(rng.randint(0, len(payloads)), error_payload(rng))
    for _ in range(rng.choice([0, 0, 1, 2, 3])):  # type confusion somewhere
        if payloads:
            at = rng.randrange(len(payloads))
            payloads[at] = perturb(rng, payloads[at])
    forms = ["conforming", "no-blank", "nospace", "split-data", "pretty", "pretty-blank"]
    stream_form = rng.choice(forms)
    parts: list[str] = []
    for payload in payloads:
        form = stream_form if rng.random() < 0.8 else rng.choice(forms)
        if rng.random() < 0.1:
            parts.append(rng.choice(["event: error\n", "event: ping\n", "id: 7\n", ": ka\n",
                                     "retry: 100\n", "data:\n", "\n"]))
        try:
            text = dumps(rng, payload, pretty=form.startswith("pretty"))
        except (TypeError, ValueError):
            continue
        if rng.random() < 0.03:
            parts.append("event: error\n" + "data: not json\n\n")
        parts.append(render_frame(rng, text, form))
    if rng.random() < 0.8:
        parts.append(rng.choice(["data: [DONE]\n\n", "data: [DONE]\n", "data: [DONE]",
                                 "data:[DONE]\n\n"]))
    text = "".join(parts)
    if rng.random() < 0.15:
        text = text.replace("\n", rng.choice(["\r\n", "\r"]))
    prefix = "\ufeff" if rng.random() < 0.05 else ""
    return (prefix + text).encode("utf-8", "surrogatepass")


# --- mutation -----------------------------------------------------------------------

TOKENS = [
    b"data:", b"data: ", b"data: {", b"data:{", b"{", b"}", b"[", b"]", b'"', b"\\", b'\\"',
    b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"[DONE]", b"data: [DONE]\n", b"event: error\n",
    b"event: ", b"id: ", b"id: \x00", b"retry: ", b"retry: 12345678901234567890", b":", b": ka\n",
    b"\xef\xbb\xbf", b"\xef\xbb", b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
    b"\xf0\x9f\x99\x82", b"\xc0\x80", b"\xe2\x80\xa8", b"\x00", b" ", b"\t", b",", b"0", b"-1",
    b"null", b"true", b"1e999", b'"choices":', b'"choices":[', b'"index":', b'"index":"a"',
    b'"delta":', b'"content":', b'"tool_calls":[{"index":"x"}]', b'"error":', b'"token":',
    b'"generated_text":', b'"finish_reason":"stop"', b'"usage":', b'{"choices":[]}',
    b'{"error":{"message":"x"}}', b'"object":"error"', b'"special":true', b'"details":',
]


def mutate(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        n = len(buf)
        op = rng.randrange(14)
        at = rng.randint(0, n)
        if op == 0 and n:  # bit flip
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # random byte
            buf[rng.randrange(n)] = rng.randrange(256)
        elif op in (2, 3, 4):  # interesting token
            buf[at:at] = rng.choice(TOKENS)
        elif op == 5:  # a token repeated many times
            buf[at:at] = rng.choice(TOKENS) * rng.choice([2, 10, 100, 1000, 3000])
        elif op == 6 and n:  # delete a range
            end = min(n, at + rng.choice([1, 2, 8, 64, max(1, n // 4)]))
            del buf[at:end]
        elif op == 7 and n:  # duplicate a line
            start = buf.rfind(b"\n", 0, at) + 1
            end = buf.find(b"\n", at)
            end = n if end < 0 else end + 1
            buf[end:end] = buf[start:end] * rng.choice([1, 1, 2, 10])
        elif op == 8 and corpus:  # splice with another corpus item
            other = rng.choice(corpus)
            buf = buf[:at] + other[rng.randint(0, len(other)):]
        elif op == 9 and n:  # truncate
            del buf[rng.randint(0, n):]
        elif op == 10:  # random bytes
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 11 and n:  # change line endings
            new = rng.choice([b"\r\n", b"\r", b"\n"])
            buf = bytearray(bytes(buf).replace(b"\n", new) if rng.random() < 0.5 else
                            bytes(buf[:at]) + bytes(buf[at:]).replace(b"\n", new, 1))
        elif op == 12 and n:  # drop or add a "data: " prefix / blank line at a line start
            start = buf.rfind(b"\n", 0, at) + 1
            if buf.startswith(b"data: ", start):
                del buf[start : start + 6]
            else:
                buf[start:start] = rng.choice([b"data: ", b"\n", b"event: error\n"])
        elif op == 13 and n > 1:  # swap two ranges
            i, j = sorted(rng.sample(range(n), 2))
            size = min(j - i, rng.randint(1, 16))
            a, b = bytes(buf[i : i + size]), bytes(buf[j : j + size])
            buf[j : j + len(b)] = a
            buf[i : i + size] = b
    return bytes(buf)


# --- big adversarial inputs -----------------------------------------------------------

WINDOW = 256 * 1024


def adversarial_families() -> list[tuple[str, str, Callable[[int], bytes]]]:
    """(name, target, make(n)) with make(n) giving roughly n bytes."""

    def lines(line: bytes, n: int, head: bytes = b"", tail: bytes = b"") -> bytes:
        return head + line * max(1, (n - len(head)) // len(line)) + tail

    return [
        ("open-brackets-one-line", "chat", lambda n: b"data: {" + b"[" * n + b"\n"),
        ("open-brackets-lines", "chat", lambda n: lines(b"[" * 1000 + b"\n", n, b"data: {\n")),
        ("escaped-quotes", "chat", lambda n: b'data: {"' + b'\\"' * (n // 2) + b"\n"),
        ("quotes", "chat", lambda n: b"data: {" + b'"' * n + b"\n"),
        ("backslashes", "chat", lambda n: b'data: {"' + b"\\" * n + b"\n"),
        ("quote-brace-mix", "chat", lambda n: b'data: {"' + b'\\"{}[]' * (n // 7) + b"\n"),
        ("tiny-frames-no-blank", "chat", lambda n: lines(b"data: {}\n", n)),
        ("tiny-chunks", "chat", lambda n: lines(
            b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n', n)),
        ("tiny-broken-frames", "chat", lambda n: lines(b"data: {}}\n", n)),
        ("frames-with-long-candidate", "chat", lambda n: lines(b"data: {}\n" + b"}\n" * 50, n)),
        ("pretty-frame-many-lines", "chat",
         lambda n: lines(b'"a":1,\n', n, b"data: {\n", b'"b":2}\n\n')),
        ("unclosed-frame", "chat", lambda n: lines(b'"x":1,\n', n, b"data: {\n")),
        ("unclosed-frame-data-lines", "chat", lambda n: lines(b"data: [\n", n, b"data: {\n")),
        ("blank-lines-in-frame", "chat", lambda n: lines(b"\n", n, b"data: {\n")),
        ("json-outside-data", "chat", lambda n: lines(b"{\n", n)),
        ("nested-valid", "chat", lambda n: lines(
            b'data: {"a":' + b"[" * 1000 + b"]" * 1000 + b"}\n\n", n)),
        ("sse-data-lines", "sse", lambda n: lines(b"data: x\n\n", n)),
        ("sse-one-big-event", "sse", lambda n: lines(b"data: x\n", n, b"", b"\n")),
        ("sse-blank-lines", "all", lambda n: b"\n" * n),
        ("sse-cr", "all", lambda n: b"\r" * n),
        ("sse-crlf", "all", lambda n: b"\r\n" * (n // 2)),
        ("comments", "all", lambda n: lines(b":\n", n)),
        ("retry-digits", "sse", lambda n: b"retry: " + b"9" * min(n, 1_000_000) + b"\n\n"),
        ("retry-digits-lines", "sse", lambda n: lines(b"retry: " + b"9" * 5000 + b"\n", n)),
        ("id-long", "sse", lambda n: b"id: " + b"x" * min(n, 1_000_000) + b"\n\ndata: a\n\n"),
        ("long-partial-line", "all", lambda n: b"data: " + b"a" * n),
        ("invalid-utf8", "all", lambda n: b"data: " + b"\xff" * n + b"\n\n"),
        ("window-crlf", "all", lambda n: b":" + b"a" * (WINDOW - 2) + b"\r\n" +
         lines(b"data: {}\n\n", n)),
        ("done-then-garbage", "chat", lambda n: b"data: [DONE]\n" + b"x" * n),
    ]


def run_adversarial(checker: Checker, target: str, budget: float, max_size: int) -> list[Failure]:
    """Scale each family up (x4 steps) and flag super-linear growth or absurd time."""
    failures: list[Failure] = []
    deadline = time.monotonic() + budget
    configs = {name: (tgt, kw) for tgt, name, kw in configs_for(target)}
    chosen = [c for c in ("sse", "sse-16", "chat-auto", "chat-auto-skip", "chat-tgi-skip")
              if c in configs]
    for family, where, make in adversarial_families():
        for cfg in chosen:
            tgt, kwargs = configs[cfg]
            if where not in ("all", tgt):
                continue
            previous: tuple[int, float] | None = None
            size = 16 * 1024
            while size <= max_size and time.monotonic() < deadline:
                data = make(size)
                try:
                    with alarm(max(10.0, 60e-6 * len(data) + 5)):
                        start = time.perf_counter()
                        whole, exc = checker._run(tgt, [data], kwargs)
                        elapsed = time.perf_counter() - start
                except Hang:
                    failures.append(Failure("slow", tgt, cfg, kwargs, data,
                                            ("slow", family),
                                            f"{family}: no result after"
                                            f" {60e-6 * len(data) + 5:.0f} s at {len(data)} bytes",
                                            "whole"))
                    break
                if exc is not None:
                    failures.append(checker._exception(exc, tgt, cfg, kwargs, data, "whole"))
                    break
                rate = elapsed / len(data) * 1e6
                note = ""
                if previous is not None:
                    ratio = elapsed / max(previous[1], 1e-4)
                    note = f" x{ratio:.1f} for x{len(data) / previous[0]:.1f} bytes"
                    if ratio > 10 and elapsed > 0.5:
                        failures.append(Failure(
                            "slow", tgt, cfg, kwargs, data, ("slow", family),
                            f"{family}: {previous[1]:.3f} s at {previous[0]} bytes, "
                            f"{elapsed:.3f} s at {len(data)} bytes (super-linear)", "whole"))
                        break
                print(f"  adversarial {family:28} {cfg:15} {len(data):>8} B "
                      f"{elapsed:7.3f} s {rate:6.2f} us/B{note}", flush=True)
                if rate > SLOW_US_PER_BYTE and len(data) > 1024:
                    failures.append(Failure("slow", tgt, cfg, kwargs, data,
                                            ("slow", family),
                                            f"{family}: {rate:.1f} us/byte at {len(data)} bytes",
                                            "whole"))
                    break
                # split invariance on big inputs: 4 KB reads, and odd-sized reads
                for step in (4096, 7919):
                    other, exc = checker._run(tgt, split_at(data, range(step, len(data), step)),
                                              kwargs)
                    if exc is not None:
                        failures.append(checker._exception(exc, tgt, cfg, kwargs, data,
                                                           f"reads of {step}"))
                        break
                    if not same(whole, other):
                        failures.append(Failure(
                            "split", tgt, cfg, kwargs, data,
                            ("split", tgt, diff_kind(whole, other)),
                            f"whole:   {safe_repr(whole)}\nreads of {step}: {safe_repr(other)}",
                            f"reads of {step}"))
                        break
                previous = (len(data), elapsed)
                size *= 4
    return failures


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise Hang()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- the main loop --------------------------------------------------------------------


class Fuzzer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.checker = Checker(args.target, ignore=args.ignore)
        self.execs = 0
        self.failures_total = 0
        self.seen: dict[tuple[Any, ...], int] = {}  # signature -> count
        self.saved: list[Path] = []

    def handle(self, failures: list[Failure], minimise_budget: float) -> None:
        for failure in failures:
            if any(text in str(failure.signature) for text in self.args.ignore):
                self.checker.ignored += 1
                continue
            self.failures_total += 1
            count = self.seen.get(failure.signature, 0)
            self.seen[failure.signature] = count + 1
            if count:
                continue
            data = failure.data
            if failure.kind in ("exception", "split", "oracle") and len(data) <= 256 * 1024:
                try:
                    with alarm(minimise_budget + 60):
                        data = minimise(
                            data, lambda d, f=failure: self.checker.reproduces(f, d) is not None,
                            minimise_budget)
                        detail = self.checker.reproduces(failure, data)
                except Hang:
                    detail = None
                if detail is not None and data != failure.data:
                    failure.detail = f"(minimised input)\n{detail}"
                else:
                    data = failure.data
            self.saved.append(save_failure(failure, data, failure.data))

    def progress(self, start: float, corpus: list[bytes]) -> None:
        elapsed = time.monotonic() - start
        print(f"[{elapsed:7.0f} s] execs {self.execs}  ({self.execs / max(elapsed, 1e-9):.1f}"
              f" inputs/s, {self.checker.runs} decoder runs, "
              f"{self.checker.runs / max(elapsed, 1e-9):.0f} runs/s)  corpus {len(corpus)}  "
              f"failures {self.failures_total} ({len(self.seen)} distinct)"
              + (f"  ignored {self.checker.ignored}" if self.checker.ignore else ""), flush=True)

    def run(self) -> int:
        args = self.args
        start = time.monotonic()
        end = start + args.minutes * 60
        corpus = seed_corpus(self.rng, args.hypothesis_examples)
        print(f"sseproto fuzz: target={args.target} seed={args.seed} minutes={args.minutes} "
              f"configs={len(self.checker.configs)} seed corpus={len(corpus)}", flush=True)
        if args.adversarial:
            budget = min(args.minutes * 60 * 0.25, 600.0)
            max_size = 1 << 20 if args.minutes >= 10 else 256 * 1024
            print(f"big adversarial inputs (budget {budget:.0f} s, up to {max_size} bytes):",
                  flush=True)
            self.handle(run_adversarial(self.checker, args.target, budget, max_size), 20.0)
        # Every seed input first, unmutated; then mutants.
        queue = list(corpus)
        last_progress = time.monotonic()
        while time.monotonic() < end:
            if queue:
                data = queue.pop()
            else:
                roll = self.rng.random()
                if roll < 0.08:
                    data = generate_chat_stream(self.rng)
                else:
                    data = mutate(self.rng, self.rng.choice(corpus), corpus)
            try:
                with alarm(HANG_SECONDS):
                    failures, new = self.checker.check(data, self.rng)
            except Hang:
                failures, new = [Failure(
                    "hang", self.args.target, "?", {}, data, ("hang",),
                    f"checking this input took over {HANG_SECONDS} s", "?")], False
            self.execs += 1
            if failures:
                self.handle(failures, args.minimise_seconds)
            elif new and len(data) <= MAX_CORPUS_INPUT:
                corpus.append(data)
                if len(corpus) > args.max_corpus:
                    corpus.pop(self.rng.randrange(len(corpus)))
            if time.monotonic() - last_progress >= args.progress:
                self.progress(start, corpus)
                last_progress = time.monotonic()
        self.progress(start, corpus)
        print(f"done: {self.execs} inputs, {self.checker.runs} decoder runs in "
              f"{time.monotonic() - start:.0f} s; {self.failures_total} failures, "
              f"{len(self.seen)} distinct", flush=True)
        for signature, count in sorted(self.seen.items(), key=lambda kv: -kv[1]):
            print(f"  {count:6}x {signature}", flush=True)
        for path in self.saved:
            print(f"  saved {path}", flush=True)
        return 1 if self.seen else 0


# --- atheris ------------------------------------------------------------------------


def atheris_main(args: argparse.Namespace, extra: list[str]) -> int:
    import atheris

    load_sseproto(instrument=True)
    checker = Checker(args.target, bytewise_max=BYTEWISE_ALL, ignore=args.ignore)
    corpus_dir = OUT / "atheris-corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    if not any(corpus_dir.iterdir()):
        for item in seed_corpus(random.Random(args.seed), 50):
            (corpus_dir / hashlib.sha1(item).hexdigest()).write_bytes(item)

    def test_one_input(data: bytes) -> None:
        rng = random.Random(hashlib.sha1(data).digest())
        with alarm(HANG_SECONDS):
            failures, _ = checker.check(data, rng, check_time=False)
        if failures:
            failure = failures[0]
            raise AssertionError(f"{failure.signature} [{failure.cfg}, {failure.mode[:80]}]\n"
                                 f"{failure.detail[-4000:]}")

    argv = [sys.argv[0], str(corpus_dir), f"-max_total_time={int(args.minutes * 60)}",
            f"-seed={args.seed}", f"-artifact_prefix={OUT}{os.sep}", "-rss_limit_mb=4096",
            *extra]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--target", choices=["sse", "chat", "all"], default="all")
    parser.add_argument("--atheris", action="store_true",
                        help="run under atheris (coverage-guided); flags after -- go to libFuzzer")
    parser.add_argument("--no-adversarial", dest="adversarial", action="store_false",
                        help="skip the big adversarial inputs run at the start")
    parser.add_argument("--minimise-seconds", type=float, default=90.0)
    parser.add_argument("--hypothesis-examples", type=int, default=150)
    parser.add_argument("--max-corpus", type=int, default=5000)
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between reports")
    parser.add_argument("--ignore", action="append", default=[], metavar="TEXT",
                        help="ignore failures whose signature contains TEXT (known bugs);"
                             " repeatable, e.g. --ignore _base.py:62")
    args = parser.parse_args(argv)
    if args.atheris:
        try:
            import atheris  # noqa: F401
        except ImportError:
            parser.error("--atheris needs the atheris package (pip install atheris)")
        return atheris_main(args, extra)
    load_sseproto()
    return Fuzzer(args).run()


if __name__ == "__main__":
    sys.exit(main())
