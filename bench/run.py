"""Side-by-side throughput benchmark: sseproto vs. peer SSE decoders, one process.

Methodology
* Workloads are seeded, hence identical on every run: an OpenAI-style
  chat.completion.chunk stream of N events (default 100 000, --quick 10 000),
  delta tokens ~60/25/15 % ASCII words / CJK / emoji, serialized with orjson
  (raw UTF-8), then ``data: [DONE]``; in LF and CRLF form; cut *before timing*
  into fixed 4096-byte reads or seeded random 1..64-byte reads.
* Each contender does a client's whole job: decode SSE and ``orjson.loads``
  every data that is not ``[DONE]``, handing each object to a C-level sink
  (``deque(maxlen=0).append`` when timed, ``list.append`` for the gate).
* Correctness gate first: the parsed objects (chat workloads: the joined
  index-0 delta text) must equal the generator's; otherwise the contender is
  reported WRONG (or ERROR if it raised) and not timed.
* --rounds rounds (default 5); a round runs every contender once per workload,
  the order rotating each round so drift is spread evenly.  gc.collect() runs
  before every timed run and gc stays enabled, as in a real client; results
  are discarded as produced, so nobody pays for a growing heap.  Best and
  median of time.perf_counter; ratio = best(contender) / best(baseline).
* Baseline: the hand-rolled "split on blank line + orjson.loads" loop, on a
  bytearray searched only from the previous end (minus len(sep) - 1).
* If ``sseproto.ChatStreamDecoder`` exists: (a) it vs. split+loads+extract on
  the conforming stream, (b) it vs. a ``split(b"\\ndata: ")`` floor on the
  "Prediction Guard form" (pretty-printed JSON, one ``data:`` prefix per event,
  no blank lines), and t(PG) / t(conforming), (c) PG-form scaling at N/100,
  N/10 and N events.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

try:
    import sseproto
except Exception as exc:  # pragma: no cover - reported in the table
    sseproto = None  # type: ignore[assignment]
    SSEPROTO_ERR = f"import failed: {exc!r}"
else:
    SSEPROTO_ERR = "" if hasattr(sseproto, "SSEDecoder") else "no SSEDecoder yet"

Sink = Callable[[Any], Any]
Runner = Callable[[list[bytes], Sink], None]
loads = orjson.loads

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
    if not pg:
        base["system_fingerprint"] = "fp_" + "".join(rng.choice(ALNUM[-10:]) for _ in range(10))
    Step = tuple[dict[str, str], str | None, str | None]
    steps: list[Step] = [({"role": "assistant", "content": ""}, None, None)]
    steps += [({"content": t}, None, None) for t in tokens]
    steps.append(({}, "".join(tokens), "stop"))
    objs = []
    for d, g, f in steps:
        ch: dict[str, Any] = {"index": 0, "delta": d}
        if pg:
            ch.update(generated_text=g, logprobs=round(-2 * rng.random(), 8))
        else:
            ch["logprobs"] = None
        ch["finish_reason"] = f
        objs.append({**base, "choices": [ch]})
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


def split_fixed(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def split_random(data: bytes, seed: int) -> list[bytes]:
    rng, out, i, n = random.Random(seed), [], 0, len(data)
    while i < n:
        j = i + rng.randint(1, 64)
        out.append(data[i:j])
        i = j
    return out


# --------------------------------------------------------------- contenders
def run_baseline(chunks: list[bytes], sink: Sink, sep: bytes = b"\n\n") -> None:
    buf, search, back = bytearray(), 0, len(sep) - 1
    for chunk in chunks:
        buf += chunk
        i = buf.find(sep, search)
        if i < 0:
            search = max(0, len(buf) - back)
            continue
        start = 0
        while i >= 0:
            if buf.startswith(b"data: ", start):
                payload = buf[start + 6 : i]
                if payload != b"[DONE]":
                    sink(loads(payload))
            start = i + len(sep)
            i = buf.find(sep, start)
        del buf[:start]
        search = max(0, len(buf) - back)


def run_sseproto(chunks: list[bytes], sink: Sink) -> None:
    dec = sseproto.SSEDecoder()
    feed = dec.feed
    for chunk in chunks:
        for ev in feed(chunk):
            if ev.data != "[DONE]":
                sink(loads(ev.data))
    for ev in dec.close():
        if ev.data != "[DONE]":
            sink(loads(ev.data))


def run_openai(chunks: list[bytes], sink: Sink) -> None:
    from openai._streaming import SSEDecoder

    for sse in SSEDecoder().iter_bytes(iter(chunks)):
        if sse.data != "[DONE]":
            sink(loads(sse.data))


def run_httpx_sse(chunks: list[bytes], sink: Sink) -> None:
    # What EventSource.iter_sse does on a response: Response.iter_text()
    # (httpx's incremental TextDecoder; empty texts dropped by TextChunker),
    # then SSELineDecoder, line.rstrip("\n"), SSEDecoder.decode.
    from httpx._decoders import TextDecoder
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text_dec, line_dec, dec = TextDecoder("utf-8"), SSELineDecoder(), SSEDecoder()

    def lines() -> Iterable[str]:
        for chunk in chunks:
            text = text_dec.decode(chunk)
            if text:
                yield from line_dec.decode(text)
        text = text_dec.flush()
        if text:
            yield from line_dec.decode(text)
        yield from line_dec.flush()

    for line in lines():
        sse = dec.decode(line.rstrip("\n"))
        if sse is not None and sse.data != "[DONE]":
            sink(loads(sse.data))


def run_sseclient(chunks: list[bytes], sink: Sink) -> None:
    import sseclient

    for ev in sseclient.SSEClient(iter(chunks)).events():
        if ev.data != "[DONE]":
            sink(loads(ev.data))


def _content(obj: dict[str, Any], sink: Sink) -> None:
    for ch in obj.get("choices") or ():
        if ch.get("index") == 0:
            c = (ch.get("delta") or {}).get("content")
            if c:
                sink(c)


def run_chat_baseline(chunks: list[bytes], sink: Sink) -> None:
    run_baseline(chunks, partial(_content, sink=sink))


def run_pg_floor(chunks: list[bytes], sink: Sink) -> None:
    sep, buf, search, first = b"\ndata: ", bytearray(), 0, True
    for chunk in chunks:
        buf += chunk
        i = buf.find(sep, search)
        start = 0
        while i >= 0:
            if first:
                start, first = 6, False  # strip the stream's leading "data: "
            _content(loads(buf[start:i]), sink)
            start = i + len(sep)
            i = buf.find(sep, start)
        if start:
            del buf[:start]
        search = max(0, len(buf) - len(sep) + 1)
    if not buf.startswith(b"[DONE]"):
        _content(loads(buf[6 if first else 0 :]), sink)


def run_chat(chunks: list[bytes], sink: Sink) -> None:
    mod: Any = sseproto  # ChatStreamDecoder may not exist yet
    dec = mod.ChatStreamDecoder(dialect="auto")
    Delta, StreamError = sseproto.Delta, sseproto.StreamError

    def handle(evs: Iterable[Any]) -> None:
        for ev in evs:
            if isinstance(ev, Delta):
                if ev.index == 0 and ev.content:
                    sink(ev.content)
            elif isinstance(ev, StreamError):
                raise RuntimeError(f"StreamError: {ev!r}"[:200])

    for chunk in chunks:
        handle(dec.feed(chunk))
    handle(dec.close())


# ------------------------------------------------------------------ harness
@dataclass
class Result:
    status: str = "ok"
    times: list[float] = field(default_factory=list)


@dataclass
class Workload:
    name: str
    nbytes: int
    chunks: list[bytes]
    nevents: int
    expected: Any  # list of objects, or joined text for chat workloads
    contenders: dict[str, Runner | str]  # the first is the baseline; a str: why it cannot run
    results: dict[str, Result] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        return next(iter(self.contenders))


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 70 else s[:67] + "..."


def _first(got: Any, exp: Any) -> int:
    """Index of the first difference between two sequences."""
    pairs = enumerate(zip(got, exp, strict=False))
    return next((i for i, (a, b) in pairs if a != b), min(len(got), len(exp)))


def _diff(got: Any, exp: Any, path: str) -> str:
    """Path to, and values at, the first difference between two JSON values."""
    if isinstance(got, dict) and isinstance(exp, dict):
        for k in list(exp) + [k for k in got if k not in exp]:
            if got.get(k, KeyError) != exp.get(k, KeyError):
                return _diff(got.get(k, "<missing>"), exp.get(k, "<missing>"), f"{path}[{k!r}]")
    if isinstance(got, list) and isinstance(exp, list) and len(got) == len(exp):
        i = _first(got, exp)
        return _diff(got[i], exp[i], f"{path}[{i}]")
    return f"{path}: got {_short(got)}, expected {_short(exp)}"


def gate(wl: Workload, fn: Runner) -> str:
    out: list[Any] = []
    try:
        fn(wl.chunks, out.append)
    except Exception as exc:
        return f"ERROR ({type(exc).__name__}: {str(exc)[:120]})"
    if isinstance(wl.expected, str):
        got = "".join(out)
        if got == wl.expected:
            return "ok"
        i = _first(got, wl.expected)
        return (
            f"WRONG ({len(out)} deltas, {len(got)} chars, first difference at char {i}: "
            f"got {_short(got[i : i + 20])}, expected {_short(wl.expected[i : i + 20])})"
        )
    if out == wl.expected:
        return "ok"
    i = _first(out, wl.expected)
    got = out[i] if i < len(out) else "<end>"
    exp = wl.expected[i] if i < len(wl.expected) else "<end>"
    return f"WRONG ({len(out)} events, first difference at {_diff(got, exp, f'event {i}')})"


def time_once(fn: Runner, chunks: list[bytes]) -> float:
    sink: Sink = deque[Any](maxlen=0).append
    gc.collect()
    t0 = perf_counter()
    fn(chunks, sink)
    return perf_counter() - t0


def run_workloads(wls: list[Workload], rounds: int) -> None:
    for wl in wls:
        for name, fn in wl.contenders.items():
            wl.results[name] = Result(fn if isinstance(fn, str) else gate(wl, fn))
    for r in range(rounds):
        for wl in wls:
            names = [n for n, res in wl.results.items() if res.status == "ok"]
            k = r % len(names) if names else 0
            for name in names[k:] + names[:k]:
                wl.results[name].times.append(time_once(wl.contenders[name], wl.chunks))  # type: ignore[arg-type]
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)


def summarize(wl: Workload) -> list[dict[str, Any]]:
    base = wl.results.get(wl.baseline)
    tb = min(base.times) if base and base.times else None
    rows = []
    for name, res in wl.results.items():
        row: dict[str, Any] = {"contender": name, "status": res.status}
        if res.times:
            best = min(res.times)
            row.update(
                best_s=best,
                median_s=statistics.median(res.times),
                times_s=res.times,
                mb_per_s=wl.nbytes / best / 1e6,
                events_per_s=wl.nevents / best,
                ratio=best / tb if tb else None,
            )
        rows.append(row)
    return rows


def print_table(wl: Workload, rows: list[dict[str, Any]]) -> None:
    print(
        f"\n## {wl.name}: {wl.nevents} events, {wl.nbytes / 1e6:.2f} MB, {len(wl.chunks)} reads"
        f" (ratio = contender / {wl.baseline})"
    )
    print(f"{'contender':<16}{'best s':>9}{'median s':>10}{'MB/s':>9}{'events/s':>12}{'ratio':>8}")
    for row in rows:
        if "best_s" not in row:
            print(f"{row['contender']:<16}{row['status']}")
            continue
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] else "-"
        print(
            f"{row['contender']:<16}{row['best_s']:>9.4f}{row['median_s']:>10.4f}{row['mb_per_s']:>9.1f}"
            f"{row['events_per_s']:>12,.0f}{ratio:>8}"
        )


def versions() -> dict[str, str]:
    v = {"python": sys.version.split()[0] + f" ({platform.python_implementation()})"}
    for dist in ("orjson", "sseproto", "openai", "httpx", "httpx-sse", "sseclient-py"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            src = dist == "sseproto" and sseproto is not None
            v[dist] = getattr(sseproto, "__version__", "?") + " (source tree)" if src else "missing"
    return v


def peer(runner: Runner, module: str) -> Runner | str:
    try:
        __import__(module)
    except Exception as exc:
        return f"not available ({exc.__class__.__name__})"
    return runner


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10 000 events, 3 rounds")
    ap.add_argument("--rounds", type=int, default=None, help="default 5 (3 with --quick)")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--no-chat", action="store_true", help="skip ChatStreamDecoder workloads")
    ap.add_argument("--json", metavar="FILE", help="also write results as JSON")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.events
    rounds = args.rounds or (3 if args.quick else 5)

    vers = versions()
    print("# sseproto decoder benchmark")
    print("  " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"  events={n} rounds={rounds} seed={args.seed} gc=enabled (collect before each run)")
    if SSEPROTO_ERR:
        print(f"  sseproto: {SSEPROTO_ERR} -> sseproto rows pending")

    rng = random.Random(args.seed)
    tokens = gen_tokens(rng, n - 2)
    objs = chunk_objs(rng, tokens)
    lf = sse_stream(objs)
    streams = {"LF": lf, "CRLF": lf.replace(b"\n", b"\r\n")}
    reads = {
        "4096B": partial(split_fixed, size=4096),
        "rand1-64B": partial(split_random, seed=args.seed),
    }

    wls: list[Workload] = []
    for form, data in streams.items():
        for rname, split in reads.items():
            sep = b"\r\n\r\n" if form == "CRLF" else b"\n\n"
            wls.append(Workload(f"{form} {rname}", len(data), split(data), len(objs), objs, {
                "baseline": partial(run_baseline, sep=sep),
                "sseproto": SSEPROTO_ERR or run_sseproto,
                "openai": peer(run_openai, "openai._streaming"),
                "httpx-sse": peer(run_httpx_sse, "httpx_sse"),
                "sseclient-py": peer(run_sseclient, "sseclient"),
            }))  # fmt: skip

    has_chat = not args.no_chat and sseproto is not None and hasattr(sseproto, "ChatStreamDecoder")
    text = "".join(tokens)
    pg = pg_stream(chunk_objs(rng, tokens, pg=True)) if has_chat else b""
    if has_chat:
        chat: dict[str, Runner | str] = {
            "chat-baseline": run_chat_baseline,
            "ChatStreamDec": run_chat,
        }
        floor: dict[str, Runner | str] = {"pg-floor": run_pg_floor, "ChatStreamDec": run_chat}
        for rname, split in reads.items():
            name = f"chat conforming LF {rname}"
            wls.append(Workload(name, len(lf), split(lf), len(objs), text, chat))
            wls.append(
                Workload(f"chat PG-form {rname}", len(pg), split(pg), len(objs), text, floor)
            )
    elif not args.no_chat:
        print("  ChatStreamDecoder not in sseproto yet -> chat workloads skipped")

    sys.stdout.flush()
    run_workloads(wls, rounds)
    report: dict[str, Any] = {"versions": vers, "events": n, "rounds": rounds, "seed": args.seed}
    report["workloads"] = []
    for wl in wls:
        rows = summarize(wl)
        print_table(wl, rows)
        info = {"name": wl.name, "bytes": wl.nbytes, "events": wl.nevents, "reads": len(wl.chunks)}
        report["workloads"].append({**info, "baseline": wl.baseline, "rows": rows})

    if has_chat:
        print("\n## PG form vs conforming stream (ChatStreamDecoder best times)")
        report["pg_vs_conforming"] = {}
        by_name = {w.name: w.results["ChatStreamDec"].times for w in wls if "chat" in w.name}
        for rname in reads:
            conf, pgt = by_name[f"chat conforming LF {rname}"], by_name[f"chat PG-form {rname}"]
            if conf and pgt:
                ratio = min(pgt) / min(conf)
                report["pg_vs_conforming"][rname] = ratio
                print(f"  {rname:<10} t(PG) / t(conforming) = {ratio:.2f}x")
            else:
                print(f"  {rname:<10} n/a (a run was not timed)")
        report["pg_scaling"] = scaling(rng, tokens, n, rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return 0


def scaling(rng: random.Random, tokens: list[str], n: int, rounds: int) -> dict[str, Any]:
    print("\n## PG-form scaling (ChatStreamDecoder, 4096-byte reads, best of runs)")
    out: dict[str, Any] = {}
    prev: tuple[int, float] | None = None
    for size in (max(n // 100, 10), max(n // 10, 10), n):
        toks = tokens[: size - 2]
        data = pg_stream(chunk_objs(rng, toks, pg=True))
        wl = Workload(f"pg {size}", len(data), split_fixed(data, 4096), size, "".join(toks), {})
        status = gate(wl, run_chat)
        if status != "ok":
            print(f"  {size:>8} events: {status}")
            out[str(size)] = {"status": status}
            continue
        reps = max(rounds, min(50, rounds * n // size))
        best = min(time_once(run_chat, wl.chunks) for _ in range(reps))
        growth = ""
        if prev:
            growth = f"  t({size})/t({prev[0]}) = {best / prev[1]:.2f} (linear: {size // prev[0]})"
        print(f"  {size:>8} events: {best:.4f} s, {best / size * 1e6:.2f} us/event{growth}")
        out[str(size)] = {
            "best_s": best,
            "us_per_event": best / size * 1e6,
            "ratio_to_prev": best / prev[1] if prev else None,
        }
        prev = (size, best)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
