"""Side-by-side decoder benchmark: sseproto and its peers against the shared baseline.

Every contender does one client's whole job on the same bytes: decode the
stream, ``orjson.loads`` each payload, and take ``choices[0].delta.content``
(counting events and content characters).  The denominator is the tuned
split+orjson loop of ``../shared/bench/baseline.py`` (relative to the
repository root, imported by path).  See ``bench/README.md`` for the method.

Workloads (seeded, identical on every run):

- OpenAI-style ``chat.completion.chunk`` streams of N events (default
  30,000), LF and CRLF, cut into 4096-byte reads or seeded random 1-64-byte
  reads.  Contenders: the baseline, ``ChatStreamDecoder`` (``auto`` and
  ``openai``), ``SSEDecoder`` + orjson, the decoders of openai 3.x and 2.x,
  httpx-sse and sseclient-py (all with orjson).
- Runs of blank lines and of comment lines (MB/s): the cost of a
  decompression bomb of empty lines.
- The Prediction Guard form of the same tokens against its conforming form.

Rounds are interleaved (every contender on every workload once per round,
the order rotating) and the tables give the **median** over rounds.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import random
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import orjson  # noqa: E402

import sseproto  # noqa: E402
from tests.helpers import split_fixed, split_random  # noqa: E402

Result = tuple[int, int]  # (events, content characters)
Runner = Callable[[list[bytes]], Result]
loads = orjson.loads


def load_baseline() -> Callable[[bytes], Callable[[Iterable[bytes]], Result]]:
    """``make_baseline`` from ``../shared/bench/baseline.py``, imported by path."""
    path = ROOT.parent / "shared" / "bench" / "baseline.py"
    spec = importlib.util.spec_from_file_location("shared_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the shared baseline at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_baseline  # type: ignore[no-any-return]


# ----------------------------------------------------------------- workloads
_W = """the of and to in is you that it he was for on are as with his they I at be this have from
or one had by word but not what all were we when your can said there use an each which she do how
their if will up other about out many then them these so some her would make like him into time has
look two more write go see number no way could people my than first water been call who oil its now
find long down day did get come made may part hello world model stream token Python ,.;:!?"""
WORDS = [" " + w for w in _W.split()]
WORDS += [",", ".", "\n\n", "\n", ' "', '"', "'s", " -", "é", " naïve"]
CJK = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对"
    "可里后什么人工智能模型数据学习今天天气東京日本語こんにちは世界한국어안녕하세요"
)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
EMOJI = ["😀", "🚀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "❤️", "🎉", "🤖", "✨", "🔥", "🙂", "🧪"]


def gen_tokens(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.60:
            out.append(rng.choice(WORDS))
        elif r < 0.85:
            i = rng.randrange(len(CJK) - 3)
            out.append(CJK[i : i + rng.randint(1, 3)])
        else:
            out.append("".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 2))))
    return out


def chunk_objs(rng: random.Random, tokens: list[str], pg: bool = False) -> list[dict[str, Any]]:
    """OpenAI chat.completion.chunk objects, or Prediction Guard's variant (``pg``)."""
    rid = "".join(rng.choice(ALNUM) for _ in range(29))
    base: dict[str, Any] = {
        "id": ("chat-" if pg else "chatcmpl-") + rid,
        "object": "chat.completion.chunk",
        "created": 1717785387,
        "model": "Hermes-2-Pro-Llama-3-8B" if pg else "gpt-4o-mini",
    }
    steps: list[tuple[dict[str, str], str | None, str | None]] = [
        ({"role": "assistant", "content": ""}, None, None)]
    steps += [({"content": t}, None, None) for t in tokens]
    steps.append(({}, "".join(tokens), "stop"))
    objs = []
    for delta, generated, finish in steps:
        choice: dict[str, Any] = {"index": 0, "delta": delta}
        if pg:
            choice.update(generated_text=generated, logprobs=round(-2 * rng.random(), 8))
        else:
            choice["logprobs"] = None
        choice["finish_reason"] = finish
        objs.append({**base, "choices": [choice]})
    return objs


def pretty(v: Any) -> str:
    """One key / item per line, as Prediction Guard streams it."""
    if isinstance(v, dict) and v:
        items = (orjson.dumps(k).decode() + ":" + pretty(x) for k, x in v.items())
        return "{\n" + ",\n".join(items) + "\n}"
    if isinstance(v, list) and v:
        return "[\n" + ",\n".join(pretty(x) for x in v) + "\n]"
    return orjson.dumps(v).decode()


def sse_stream(objs: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(o) + b"\n\n" for o in objs) + b"data: [DONE]\n\n"


def pg_stream(objs: list[dict[str, Any]]) -> bytes:
    return ("".join("data: " + pretty(o) + "\n" for o in objs) + "data: [DONE]\n").encode()


def expected(objs: list[dict[str, Any]]) -> Result:
    texts = [o["choices"][0]["delta"].get("content") for o in objs]
    return len(objs), sum(len(t) for t in texts if t)


# --------------------------------------------------------------- contenders
def _count(objs: Iterable[Any]) -> Result:
    """What every contender does with each parsed payload (the baseline's own work)."""
    n = chars = 0
    for obj in objs:
        content = obj["choices"][0]["delta"].get("content")
        n += 1
        if content:
            chars += len(content)
    return n, chars


def run_chat(chunks: list[bytes], dialect: str = "auto") -> Result:
    dec = sseproto.ChatStreamDecoder(dialect)
    feed, Delta = dec.feed, sseproto.Delta
    n = chars = 0
    for chunk in chunks:
        for ev in feed(chunk):
            if type(ev) is Delta:
                n += 1
                if ev.content:
                    chars += len(ev.content)
    for ev in dec.close():
        if type(ev) is Delta:
            n += 1
            chars += len(ev.content or "")
    return n, chars


def _sse_payloads(events: Iterable[Any]) -> Iterable[Any]:
    for ev in events:
        if ev.data == "[DONE]":
            return
        yield loads(ev.data)


def run_sseproto_sse(chunks: list[bytes]) -> Result:
    dec = sseproto.SSEDecoder()
    feed = dec.feed
    return _count(_sse_payloads(ev for chunk in chunks for ev in feed(chunk)))


def run_openai3(chunks: list[bytes]) -> Result:
    from openai._streaming import SSEDecoder

    return _count(_sse_payloads(SSEDecoder().iter_bytes(iter(chunks))))


def run_openai2(chunks: list[bytes]) -> Result:
    from openai2_decoder import SSEDecoder

    return _count(_sse_payloads(SSEDecoder().iter_bytes(iter(chunks))))


def run_httpx_sse(chunks: list[bytes]) -> Result:
    # What EventSource.iter_sse does on a response: Response.iter_text()
    # (httpx's incremental TextDecoder; empty texts dropped by TextChunker),
    # then SSELineDecoder, line.rstrip("\n"), SSEDecoder.decode.
    from httpx._decoders import TextDecoder
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text_dec, line_dec, dec = TextDecoder("utf-8"), SSELineDecoder(), SSEDecoder()

    def events() -> Iterable[Any]:
        for chunk in chunks:
            text = text_dec.decode(chunk)
            if text:
                for line in line_dec.decode(text):
                    sse = dec.decode(line.rstrip("\n"))
                    if sse is not None:
                        yield sse

    return _count(_sse_payloads(events()))


def run_sseclient(chunks: list[bytes]) -> Result:
    import sseclient

    return _count(_sse_payloads(sseclient.SSEClient(iter(chunks)).events()))


def peer(runner: Runner, module: str) -> Runner | str:
    """``runner``, or why it cannot run (its library is missing)."""
    try:
        __import__(module)
    except Exception as exc:
        return f"not available ({type(exc).__name__}: {exc})"
    return runner


# ------------------------------------------------------------------ harness
@dataclass
class Workload:
    name: str
    nbytes: int
    chunks: list[bytes]
    expected: Result
    contenders: dict[str, Runner | str]  # the first is the denominator
    status: dict[str, str] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float | None:
        times = self.times.get(name)
        return statistics.median(times) if times else None

    def ratio(self, name: str) -> float | None:
        mine, base = self.median(name), self.median(next(iter(self.contenders)))
        return mine / base if mine is not None and base else None


def gate(wl: Workload, fn: Runner) -> str:
    """Run once untimed: a contender whose result differs is not timed."""
    try:
        got = fn(wl.chunks)
    except Exception as exc:
        return f"ERROR ({type(exc).__name__}: {str(exc)[:100]})"
    if got != wl.expected:
        return f"WRONG (events, characters = {got}, expected {wl.expected})"
    return "ok"


#: The clock: this process's CPU time by default, which a machine shared with other
#: busy processes disturbs far less than wall time (``--timer wall`` for that).
TIMER = {"cpu": process_time, "wall": perf_counter}


def time_once(fn: Runner, chunks: list[bytes], clock: Callable[[], float] = process_time) -> float:
    gc.collect()
    t0 = clock()
    fn(chunks)
    return clock() - t0


def run_rounds(wls: list[Workload], rounds: int, clock: Callable[[], float]) -> None:
    for wl in wls:
        for name, fn in wl.contenders.items():
            wl.status[name] = fn if isinstance(fn, str) else gate(wl, fn)
    for r in range(rounds):
        for wl in wls:
            names = [n for n, status in wl.status.items() if status == "ok"]
            k = r % len(names) if names else 0
            for name in names[k:] + names[:k]:
                fn = wl.contenders[name]
                assert not isinstance(fn, str)
                wl.times.setdefault(name, []).append(time_once(fn, wl.chunks, clock))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)


# ------------------------------------------------------------------- report
def print_table(wls: list[Workload], title: str) -> None:
    """One row per workload, one column per contender: median / median of the first column."""
    names = list(wls[0].contenders)
    print(f"\n## {title} (median of rounds, as a ratio to {names[0]}; lower is better)\n")
    print("| workload | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for wl in wls:
        cells = []
        for name in names:
            ratio = wl.ratio(name)
            cells.append(f"{ratio:.2f}x" if ratio is not None else wl.status[name].split(" (")[0])
        print(f"| {wl.name} | " + " | ".join(cells) + " |")
    for wl in wls:
        for name in names:
            if wl.status[name] != "ok":
                print(f"  {wl.name} / {name}: {wl.status[name]}")


def print_rates(wls: list[Workload], title: str) -> None:
    print(f"\n## {title} (MB/s, median of rounds)\n")
    for wl in wls:
        cells = []
        for name in wl.contenders:
            median = wl.median(name)
            rate = f"{wl.nbytes / median / 1e6:.0f} MB/s" if median else wl.status[name]
            cells.append(f"{name} {rate}")
        print(f"  {wl.name:<28} " + ", ".join(cells))


def print_pg(pairs: list[tuple[Workload, Workload]]) -> dict[str, float]:
    print("\n## Prediction Guard form vs its conforming form (ChatStreamDecoder auto, medians)\n")
    out = {}
    for conforming, pg in pairs:
        a, b = conforming.median("ChatStreamDecoder"), pg.median("ChatStreamDecoder")
        if a and b:
            out[pg.name] = b / a
            print(f"  {pg.name:<28} t(PG) / t(conforming) = {b / a:.2f}x")
    return out


def versions() -> dict[str, str]:
    found = {"python": f"{sys.version.split()[0]} ({platform.python_implementation()})"}
    for dist in ("sseproto", "orjson", "openai", "httpx", "httpx-sse", "sseclient-py"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "missing"
    found["openai 2.x decoder"] = "2.54.0 (vendored: bench/openai2_decoder.py)"
    return found


def as_json(wls: list[Workload]) -> list[dict[str, Any]]:
    return [{"name": wl.name, "bytes": wl.nbytes, "reads": len(wl.chunks), "status": wl.status,
             "times_s": wl.times, "ratios": {n: wl.ratio(n) for n in wl.contenders}}
            for wl in wls]


# --------------------------------------------------------------------- main
def chat_workloads(lf: bytes, objs: list[dict[str, Any]], seed: int) -> list[Workload]:
    contenders: dict[str, Runner | str] = {
        "ChatStreamDecoder auto": run_chat,
        "ChatStreamDecoder openai": partial(run_chat, dialect="openai"),
        "SSEDecoder + orjson": run_sseproto_sse,
        "openai 3.x": peer(run_openai3, "openai._streaming"),
        "openai 2.x": run_openai2,
        "httpx-sse": peer(run_httpx_sse, "httpx_sse"),
        "sseclient-py": peer(run_sseclient, "sseclient"),
    }
    make_baseline = load_baseline()
    wls = []
    for form, data in (("LF", lf), ("CRLF", lf.replace(b"\n", b"\r\n"))):
        baseline = make_baseline(b"\r\n\r\n" if form == "CRLF" else b"\n\n")
        runners: dict[str, Runner | str] = {"baseline": lambda chunks, b=baseline: b(iter(chunks))}
        runners.update(contenders)
        for reads, chunks in (("4096-byte reads", split_fixed(data, 4096)),
                              ("random 1-64-byte reads", split_random(data, seed, 1, 64))):
            wls.append(Workload(f"{form}, {reads}", len(data), chunks, expected(objs), runners))
    return wls


def blank_workloads(size: int) -> list[Workload]:
    event = b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'
    runners: dict[str, Runner | str] = {"ChatStreamDecoder": run_chat,
                                        "SSEDecoder + orjson": run_sseproto_sse}
    wls = []
    for name, line in (("blank lines", b"\n"), ("CRLF blank lines", b"\r\n"),
                       ("comment lines", b": keep-alive\n")):
        data = event + line * (size // len(line)) + event + b"data: [DONE]\n\n"
        wls.append(Workload(name, len(data), split_fixed(data, 65536), (2, 2), runners))
    return wls


def pg_workloads(tokens: list[str], rng: random.Random,
                 seed: int) -> list[tuple[Workload, Workload]]:
    conforming_objs, pg_objs = chunk_objs(rng, tokens), chunk_objs(rng, tokens, pg=True)
    streams = (sse_stream(conforming_objs), pg_stream(pg_objs))
    runners: dict[str, Runner | str] = {"ChatStreamDecoder": run_chat}
    pairs = []
    for reads, split in (("4096-byte reads", partial(split_fixed, size=4096)),
                         ("random 1-64-byte reads", partial(split_random, seed=seed, low=1,
                                                            high=64))):
        conforming, pg = (Workload(f"{form}, {reads}", len(data), split(data),
                                   expected(conforming_objs), runners)
                          for form, data in zip(("conforming", "PG form"), streams, strict=True))
        pairs.append((conforming, pg))
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--events", type=int, default=30_000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="3,000 events, 5 rounds")
    ap.add_argument("--blank-mb", type=int, default=16, help="size of the blank-line runs")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--timer", choices=list(TIMER), default="cpu",
                    help="cpu: this process's CPU time (default); wall: elapsed time")
    ap.add_argument("--json", metavar="FILE", help="also write every timing as JSON")
    args = ap.parse_args(argv)
    events, rounds = (3_000, 5) if args.quick else (args.events, args.rounds)
    print("# sseproto decoder benchmark")
    print("  " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"  {events} events, {rounds} interleaved rounds, {args.timer} time,"
          " gc enabled (collected before each run)")
    rng = random.Random(args.seed)
    tokens = gen_tokens(rng, events - 2)
    objs = chunk_objs(rng, tokens)
    chat = chat_workloads(sse_stream(objs), objs, args.seed)
    blank = blank_workloads(args.blank_mb << 20)
    pg = pg_workloads(tokens, rng, args.seed)
    sys.stdout.flush()
    run_rounds(chat + blank + [wl for pair in pg for wl in pair], rounds, TIMER[args.timer])
    print_table(chat, "Chat streams")
    print_rates(blank, "Runs of blank and comment lines")
    pg_ratios = print_pg(pg)
    if args.json:
        report = {"versions": versions(), "events": events, "rounds": rounds,
                  "workloads": as_json(chat + blank + [wl for pair in pg for wl in pair]),
                  "pg_vs_conforming": pg_ratios}
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
