#!/usr/bin/env python3
"""Totality and split-invariance fuzzer for sseproto's sans-IO decoders.

    python fuzz/run.py --minutes N [--seed S] [--target sse|chat|all]
    python fuzz/run.py --atheris [--minutes N] [--target ...] [-- libFuzzer flags]

The contract is checked by ``fuzz/harness.py``; the inputs come from
``fuzz/inputs.py``; failures are minimised and written to ``fuzz/out/`` by
``fuzz/report.py``.  See fuzz/README.md.  The exit code is 1 when anything
failed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from harness import (
    BYTEWISE_ALL,
    HANG_SECONDS,
    OUT,
    SLOW_US_PER_BYTE,
    Checker,
    Failure,
    Hang,
    configs_for,
    diff_kind,
    safe_repr,
    same,
    split_at,
)
from inputs import (
    MAX_CORPUS_INPUT,
    adversarial_families,
    generate_chat_stream,
    mutate,
    seed_corpus,
)
from providers import generate_provider_stream, provider_families
from report import minimise, save_failure


def run_adversarial(checker: Checker, target: str, budget: float, max_size: int) -> list[Failure]:
    """Scale each family up (x4 steps) and flag super-linear growth or absurd time."""
    failures: list[Failure] = []
    deadline = time.monotonic() + budget
    configs = {name: (tgt, kw) for tgt, name, kw in configs_for(target)}
    chosen = [c for c in ("sse", "sse-16", "chat-auto", "chat-auto-skip", "chat-tgi-skip",
                          "prov-auto", "prov-bedrock-skip") if c in configs]
    for family, where, make in adversarial_families() + provider_families():
        for cfg in chosen:
            tgt, kwargs = configs[cfg]
            if where not in ("all", tgt):
                continue
            previous: tuple[int, float] | None = None
            size = 16 * 1024
            while size <= max_size and time.monotonic() < deadline:
                failure, previous = _grow(checker, family, (tgt, cfg, kwargs), make(size),
                                          previous)
                if failure is not None:
                    failures.append(failure)
                    break
                size *= 4
    return failures


def _grow(checker: Checker, family: str, config: tuple[str, str, dict[str, Any]], data: bytes,
          previous: tuple[int, float] | None) -> tuple[Failure | None, tuple[int, float]]:
    """One size of one family: its time against the size before, and its split invariance."""
    tgt, cfg, kwargs = config
    limit = max(10.0, 60e-6 * len(data) + 5)
    try:
        with alarm(limit):
            start = time.perf_counter()
            whole, exc = checker._run(tgt, [data], kwargs)
            elapsed = time.perf_counter() - start
    except Hang:
        return Failure("slow", tgt, cfg, kwargs, data, ("slow", family),
                       f"{family}: no result after {limit:.0f} s at {len(data)} bytes",
                       "whole"), (len(data), limit)
    if exc is not None:
        return checker._exception(exc, tgt, cfg, kwargs, data, "whole"), (len(data), elapsed)
    rate = elapsed / len(data) * 1e6
    note = ""
    if previous is not None:
        ratio = elapsed / max(previous[1], 1e-4)
        note = f" x{ratio:.1f} for x{len(data) / previous[0]:.1f} bytes"
        if ratio > 10 and elapsed > 0.5:
            return Failure("slow", tgt, cfg, kwargs, data, ("slow", family),
                           f"{family}: {previous[1]:.3f} s at {previous[0]} bytes, "
                           f"{elapsed:.3f} s at {len(data)} bytes (super-linear)",
                           "whole"), (len(data), elapsed)
    print(f"  adversarial {family:28} {cfg:15} {len(data):>8} B "
          f"{elapsed:7.3f} s {rate:6.2f} us/B{note}", flush=True)
    if rate > SLOW_US_PER_BYTE and len(data) > 1024:
        return Failure("slow", tgt, cfg, kwargs, data, ("slow", family),
                       f"{family}: {rate:.1f} us/byte at {len(data)} bytes",
                       "whole"), (len(data), elapsed)
    return _big_reads(checker, tgt, cfg, kwargs, data, whole), (len(data), elapsed)


def _big_reads(checker: Checker, tgt: str, cfg: str, kwargs: dict[str, Any], data: bytes,
               whole: Any) -> Failure | None:
    """Split invariance on big inputs: 4 KB reads, and odd-sized reads."""
    for step in (4096, 7919):
        other, exc = checker._run(tgt, split_at(data, range(step, len(data), step)), kwargs)
        if exc is not None:
            return checker._exception(exc, tgt, cfg, kwargs, data, f"reads of {step}")
        if not same(whole, other):
            return Failure("split", tgt, cfg, kwargs, data,
                           ("split", tgt, diff_kind(whole, other)),
                           f"whole:   {safe_repr(whole)}\nreads of {step}: {safe_repr(other)}",
                           f"reads of {step}")
    return None


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
            data = self.next_input(queue, corpus)
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
        return self.summary(start)

    def next_input(self, queue: list[bytes], corpus: list[bytes]) -> bytes:
        if queue:
            return queue.pop()
        roll = self.rng.random()
        if roll < 0.08:
            return generate_chat_stream(self.rng)
        if roll < 0.16 and self.args.target in ("providers", "all"):
            return generate_provider_stream(self.rng)
        return mutate(self.rng, self.rng.choice(corpus), corpus)

    def summary(self, start: float) -> int:
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

    harness.load_sseproto(instrument=True)
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
    parser.add_argument("--target", choices=["sse", "chat", "providers", "all"],
                        default="all")
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
    harness.load_sseproto()
    return Fuzzer(args).run()


if __name__ == "__main__":
    sys.exit(main())
