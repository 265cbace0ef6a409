"""The contract the fuzzer checks, and the checker that applies it to one input.

Whatever bytes ``SSEDecoder`` and ``ChatStreamDecoder`` are fed, split
anywhere, they raise nothing but ``sseproto.ProtocolError`` subclasses, never
hang or slow down super-linearly, refuse calls after an error or ``close()``,
and their outcome (tests/support/outcome.py: every event delivered, also
before an error, the error, and the final state) does not depend on how the
bytes were split.  ``SSEDecoder`` with default limits is also compared with
the naive oracle in ``tests/reference_sse.py``.
"""

from __future__ import annotations

import contextlib
import os
import random
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

from tests.support.split import bytewise, split_at  # noqa: E402

# Filled in by load_sseproto(): atheris must be able to instrument the import.
sseproto: Any = None
support: Any = None
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

#: The provider dialects (Gemini, Bedrock's binary event stream, reasoning and
#: refusals, Mistral's content parts): target ``providers`` (also in ``all``).
PROVIDER_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("prov-auto", {}),
    ("prov-auto-skip", {"on_malformed": "skip"}),
    ("prov-gemini", {"dialect": "gemini"}),
    ("prov-gemini-skip", {"dialect": "gemini", "on_malformed": "skip"}),
    ("prov-bedrock", {"dialect": "bedrock"}),
    ("prov-bedrock-skip", {"dialect": "bedrock", "on_malformed": "skip"}),
    ("prov-bedrock-200", {"dialect": "bedrock", "max_event_size": 200}),
    ("prov-anthropic-skip", {"dialect": "anthropic", "on_malformed": "skip"}),
    ("prov-openai-skip", {"dialect": "openai", "on_malformed": "skip"}),
]

#: Inputs shorter than this are also fed one byte at a time (every config).
BYTEWISE_ALL = 1024
#: Inputs shorter than this are fed one byte at a time for a few configs.
BYTEWISE_MAX = 4096
#: Decode time per byte above which an input (> 1 KB) is flagged as super-linear.
SLOW_US_PER_BYTE = 50.0
#: Wall-clock limit for checking one generated input (all configs and splits).
HANG_SECONDS = 30.0


def configs_for(target: str) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    if target in ("sse", "all"):
        out += [("sse", name, kw) for name, kw in SSE_CONFIGS]
    if target in ("chat", "all"):
        out += [("chat", name, kw) for name, kw in CHAT_CONFIGS]
    if target in ("providers", "all"):
        out += [("chat", name, kw) for name, kw in PROVIDER_CONFIGS]
    return out


def load_sseproto(instrument: bool = False) -> None:
    """Import sseproto (under atheris instrumentation when asked) and the oracle."""
    global sseproto, support, ProtocolError, LocalProtocolError, reference_decode
    if instrument:
        import atheris

        with atheris.instrument_imports(include=["sseproto"]):
            import sseproto as module
            import sseproto._chat
            import sseproto.dialects
            import sseproto.framing
    else:
        import sseproto as module
    from tests.support import outcome as support_module

    sseproto, support = module, support_module
    ProtocolError = module.ProtocolError
    LocalProtocolError = module.LocalProtocolError
    try:
        from tests.reference_sse import reference_decode as ref
    except ImportError:  # pragma: no cover - the oracle is optional
        ref = None
    reference_decode = ref


def feature_of(result: Any) -> tuple[Any, ...]:
    """The coarse shape of an outcome, for corpus growth."""
    if result[0] == "chat":
        return (tuple(sorted(result[4])), result[3], result[5],
                tuple(sorted({event[0] for event in result[1]})))
    return (len(result[1]) > 0, result[3] is None, result[4] is None)


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


def outcome(target: str, pieces: Sequence[bytes], kwargs: dict[str, Any],
            strict: bool = False) -> Any:
    """tests/support/outcome.py's outcome; ``strict`` also checks the decoder is dead after."""
    decoder = (sseproto.SSEDecoder if target == "sse" else sseproto.ChatStreamDecoder)(**kwargs)
    result = support.outcome(target, pieces, decoder=decoder)
    if strict:
        _check_dead(decoder, "an error" if result[2] is not None else "close()")
    return result


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
    names = ["events", "error", "last_event_id", "retry"] if a[0] == "sse" else \
        ["events", "error", "done", "repairs", "dialect"]
    for name, x, y in zip(names, a[1:], b[1:], strict=True):
        if not same(x, y):
            return f"error-{x[0] if x else None}-vs-{y[0] if y else None}" \
                if name == "error" else name
    return "?"


# --- splittings ---------------------------------------------------------------------


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
        picked = set(rng.sample(range(len(self.configs)), min(3, len(self.configs))))
        for number, (target, cfg, kwargs) in enumerate(self.configs):
            start = time.perf_counter()
            whole, exc = self._run(target, [data], kwargs, strict=True)
            elapsed = time.perf_counter() - start
            if exc is not None:
                failures.append(self._exception(exc, target, cfg, kwargs, data, "whole"))
                continue
            feature = (cfg, whole[2] and whole[2][0], feature_of(whole))
            if feature not in self.features:
                self.features.add(feature)
                new_feature = True
            if check_time:
                failures += self._slow(target, cfg, kwargs, data, elapsed)
            failures += self._splits(target, cfg, kwargs, data, whole, rng, number in picked)
            if self.oracle and cfg == "sse" and len(data) < 32 * 1024:
                failure = self._oracle(data, whole)
                if failure is not None:
                    failures.append(failure)
        if self.ignore:
            kept = [f for f in failures if not any(t in str(f.signature) for t in self.ignore)]
            self.ignored += len(failures) - len(kept)
            failures = kept
        return failures, new_feature

    def _slow(self, target: str, cfg: str, kwargs: dict[str, Any], data: bytes,
              elapsed: float) -> list[Failure]:
        n = len(data)
        if n <= 1024 or elapsed / n * 1e6 <= SLOW_US_PER_BYTE:
            return []
        best = min(self._timed(target, data, kwargs) for _ in range(3))
        if best / n * 1e6 <= SLOW_US_PER_BYTE:
            return []
        return [Failure("slow", target, cfg, kwargs, data, ("slow", target),
                        f"{best / n * 1e6:.1f} us/byte over {n} bytes ({best:.2f} s)", "whole")]

    def _splits(self, target: str, cfg: str, kwargs: dict[str, Any], data: bytes, whole: Any,
                rng: random.Random, picked: bool) -> list[Failure]:
        """The first split (bytewise, random cuts) whose outcome differs from ``whole``."""
        n = len(data)
        splits: list[tuple[str, list[bytes]]] = []
        if n < self.bytewise_all or (n < self.bytewise_max and picked):
            splits.append(("bytewise", bytewise(data)))
        for _ in range(2):
            cuts = random_cuts(rng, data)
            splits.append((f"cuts={sorted(cuts)}", split_at(data, cuts)))
        for mode, pieces in splits:
            other, exc = self._run(target, pieces, kwargs)
            if exc is not None:
                return [self._exception(exc, target, cfg, kwargs, data, mode)]
            if not same(whole, other):
                kind = diff_kind(whole, other)
                return [Failure("split", target, cfg, kwargs, data, ("split", target, kind),
                                f"whole:   {safe_repr(whole)}\n{mode}: {safe_repr(other)}", mode)]
        return []

    def _timed(self, target: str, data: bytes, kwargs: dict[str, Any]) -> float:
        start = time.perf_counter()
        self._run(target, [data], kwargs)
        return time.perf_counter() - start

    def _oracle(self, data: bytes, whole: Any) -> Failure | None:
        assert reference_decode is not None
        ref = reference_decode(data)
        expected = ("sse", ref.events, None, ref.last_event_id, ref.retry)
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
            expected = ("sse", *self._ref(data))
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

    def _ref(self, data: bytes) -> tuple[Any, Any, Any, Any]:
        assert reference_decode is not None
        ref = reference_decode(data)
        return ref.events, None, ref.last_event_id, ref.retry


