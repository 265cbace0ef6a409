"""Loopback end-to-end benchmark: sseproto's clients vs. the openai SDK over real HTTP.

Methodology
* A server in a separate *process* (so its Python work does not share the
  client's GIL) listens on 127.0.0.1 only, port 0.  It answers every
  ``POST /v1/chat/completions`` with the same pre-built ``text/event-stream``
  body: N OpenAI-style chat.completion.chunk events from run.py's seeded
  generator (default 100 000, --quick 10 000) and ``data: [DONE]``, framed
  ``Transfer-Encoding: chunked`` ahead of time and sent in 16 KiB writes, with
  keep-alive.  ``NO_PROXY=*`` is set so no client routes through a proxy.
* Each timed run builds a fresh client (untimed), then times the request, the
  whole response and the joined index-0 delta text (the connect included).
  Async contenders run under one ``asyncio.run`` per run.
* Every contender first runs once untimed (warm-up and gate); then --rounds
  rounds (default 3) run every contender once, the order rotating each round.
  gc.collect() runs before every run and gc stays enabled.
* Every run's text must equal the generator's text exactly; a contender that
  errs or differs once is reported ERROR / WRONG and gets no timing.
* speed-up = best(openai) / best(sseproto) of the same flavour (sync / async).

Concurrency (``--concurrency 1,10,100``, ``--stream-events``): N streams at
once against a second server process serving a shorter body, from N tasks
on ONE ``AsyncClient`` (``max_connections=N``), from N threads on ONE
``Client``, and from N tasks on ONE openai ``AsyncOpenAI``.  Each contender
runs --rounds times; the table gives medians: events per second (all
streams' events / wall time) and CPU per event (this process's CPU time,
all threads, / events; the server's CPU is in its own process).  Every
stream's text must be exact.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import platform
import random
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from time import perf_counter
from typing import Any

import openai
from run import chunk_objs, gen_tokens, sse_stream

import sseproto

WRITE = 16 * 1024
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
MODEL, MESSAGES = "gpt-4o-mini", [{"role": "user", "content": "Say a lot."}]
Run = Callable[[str], tuple[float, str]]


# -------------------------------------------------------------------- server
def chunked(body: bytes) -> list[bytes]:
    frames = [b"%x\r\n%b\r\n" % (len(p), p) for p in
              (body[i : i + WRITE] for i in range(0, len(body), WRITE))]  # fmt: skip
    return [HEAD, *frames, b"0\r\n\r\n"]


def handle(conn: socket.socket, writes: list[bytes]) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
            length = int({k.strip().lower(): v for k, v in fields.items()}.get("content-length", 0))
            while len(buf) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            buf = buf[length:]
            if lines[0].split()[:2] != ["POST", "/v1/chat/completions"]:
                conn.sendall(NOT_FOUND)
                continue
            for w in writes:
                conn.sendall(w)


def serve(body: bytes, pipe: Connection) -> None:
    writes = chunked(body)
    with socket.create_server(("127.0.0.1", 0)) as srv:
        pipe.send(srv.getsockname()[1])
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handle, args=(conn, writes), daemon=True).start()


# --------------------------------------------------------------- contenders
PAYLOAD = {"model": MODEL, "messages": MESSAGES, "stream": True}


def sseproto_sync(url: str) -> tuple[float, str]:
    with sseproto.Client(url, api_key="k") as client:
        t0 = perf_counter()
        text = "".join([ev.content for ev in client.stream_chat(PAYLOAD)
                        if isinstance(ev, sseproto.Delta) and ev.content])  # fmt: skip
        return perf_counter() - t0, text


def openai_sync(url: str) -> tuple[float, str]:
    with openai.OpenAI(base_url=url, api_key="k", max_retries=0) as client:
        t0 = perf_counter()
        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" for c in stream if c.choices])
        return perf_counter() - t0, text


async def _sseproto_async(url: str) -> tuple[float, str]:
    async with sseproto.AsyncClient(url, api_key="k") as client:
        t0 = perf_counter()
        text = "".join([ev.content async for ev in client.stream_chat(PAYLOAD)
                        if isinstance(ev, sseproto.Delta) and ev.content])  # fmt: skip
        return perf_counter() - t0, text


async def _openai_async(url: str) -> tuple[float, str]:
    async with openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0) as client:
        t0 = perf_counter()
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        return perf_counter() - t0, text


def sseproto_async(url: str) -> tuple[float, str]:
    return asyncio.run(_sseproto_async(url))


def openai_async(url: str) -> tuple[float, str]:
    return asyncio.run(_openai_async(url))


# ------------------------------------------------------- concurrent streams
Many = Callable[[str, int], list[str]]


def many_sseproto_async(url: str, n: int) -> list[str]:
    async def run() -> list[str]:
        async with sseproto.AsyncClient(url, api_key="k", max_connections=n) as client:
            async def one() -> str:
                async with client.stream_chat(PAYLOAD) as stream:
                    return "".join([ev.content async for ev in stream
                                    if isinstance(ev, sseproto.Delta) and ev.content])
            return list(await asyncio.gather(*(one() for _ in range(n))))
    return asyncio.run(run())


def many_sseproto_threads(url: str, n: int) -> list[str]:
    from concurrent.futures import ThreadPoolExecutor

    with sseproto.Client(url, api_key="k", max_connections=n) as client:
        def one(_: int) -> str:
            with client.stream_chat(PAYLOAD) as stream:
                return "".join([ev.content for ev in stream
                                if isinstance(ev, sseproto.Delta) and ev.content])
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, range(n)))


def many_openai_async(url: str, n: int) -> list[str]:
    async def run() -> list[str]:
        async with openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0) as client:
            async def one() -> str:
                stream = await client.chat.completions.create(
                    model=MODEL, messages=MESSAGES, stream=True)
                return "".join([c.choices[0].delta.content or "" async for c in stream
                                if c.choices])
            return list(await asyncio.gather(*(one() for _ in range(n))))
    return asyncio.run(run())


MANY: dict[str, Many] = {"sseproto async": many_sseproto_async,
                         "sseproto threads": many_sseproto_threads,
                         "openai async": many_openai_async}


def timed_many(fn: Many, url: str, n: int, expected: str) -> tuple[float, float] | str:
    """(wall s, CPU s) of n concurrent streams, or what went wrong."""
    gc.collect()
    wall, cpu = perf_counter(), time.process_time()
    try:
        texts = fn(url, n)
    except Exception as exc:
        return f"ERROR ({exc.__class__.__name__}: {str(exc)[:120]})"
    wall, cpu = perf_counter() - wall, time.process_time() - cpu
    wrong = [check(text, expected) for text in texts if text != expected]
    if len(texts) != n or wrong:
        return wrong[0] if wrong else f"WRONG ({len(texts)} streams of {n})"
    return wall, cpu


def concurrency(body: bytes, expected: str, events: int, levels: list[int],
                rounds: int) -> dict[str, Any]:
    """Run every MANY contender at every level; print and return the medians."""
    parent, child = mp.Pipe()
    server = mp.Process(target=serve, args=(body, child), daemon=True)
    server.start()
    results: dict[str, Any] = {}
    try:
        url = f"http://127.0.0.1:{parent.recv()}/v1"
        print(f"\n# concurrent streams: {events} events each, server pid {server.pid}")
        print(f"{'N':>4}  {'contender':<18}{'median s':>9}{'events/s':>12}{'CPU us/event':>14}"
              f"{'x openai ev/s':>15}{'CPU / openai':>14}")
        for n in levels:
            rows = {name: _many_rows(fn, url, n, expected, events, rounds)
                    for name, fn in MANY.items()}
            _print_level(n, rows)
            results[str(n)] = rows
    finally:
        server.terminate()
        server.join()
    return results


def _many_rows(fn: Many, url: str, n: int, expected: str, events: int,
               rounds: int) -> dict[str, Any]:
    runs = [timed_many(fn, url, n, expected) for _ in range(rounds)]
    bad = [r for r in runs if isinstance(r, str)]
    if bad:
        return {"status": bad[0]}
    walls = [r[0] for r in runs if not isinstance(r, str)]
    cpus = [r[1] for r in runs if not isinstance(r, str)]
    total = events * n
    return {"status": "ok", "median_s": statistics.median(walls),
            "events_per_s": total / statistics.median(walls),
            "cpu_us_per_event": statistics.median(cpus) / total * 1e6}


def _print_level(n: int, rows: dict[str, dict[str, Any]]) -> None:
    base = rows.get("openai async", {})
    for name, row in rows.items():
        if row["status"] != "ok":
            print(f"{n:>4}  {name:<18}{row['status']}")
            continue
        ratio = cpu = ""
        if base.get("status") == "ok":
            ratio = f"{row['events_per_s'] / base['events_per_s']:.1f}x"
            cpu = f"{row['cpu_us_per_event'] / base['cpu_us_per_event']:.3f}"
            row["x_openai_events_per_s"] = row["events_per_s"] / base["events_per_s"]
            row["cpu_vs_openai"] = row["cpu_us_per_event"] / base["cpu_us_per_event"]
        print(f"{n:>4}  {name:<18}{row['median_s']:>9.3f}{row['events_per_s']:>12,.0f}"
              f"{row['cpu_us_per_event']:>14.2f}{ratio:>15}{cpu:>14}")


# ------------------------------------------------------------------ harness
def check(text: str, expected: str) -> str:
    if text == expected:
        return "ok"
    i = next((i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b),
             min(len(text), len(expected)))  # fmt: skip
    return f"WRONG ({len(text)} chars, expected {len(expected)}; first difference at {i})"


def timed(fn: Run, url: str, expected: str) -> tuple[float | None, str]:
    gc.collect()
    try:
        seconds, text = fn(url)
    except Exception as exc:
        return None, f"ERROR ({exc.__class__.__name__}: {str(exc)[:120]})"
    status = check(text, expected)
    return (seconds if status == "ok" else None), status


def versions() -> dict[str, str]:
    v = {"python": sys.version.split()[0] + f" ({platform.python_implementation()})"}
    for dist in ("sseproto", "h11", "orjson", "openai", "httpx2", "httpx", "pydantic"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10 000 events")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--no-async", action="store_true", help="skip the asyncio contenders")
    ap.add_argument("--json", metavar="FILE", help="also write results as JSON")
    ap.add_argument("--concurrency", default="1,10,100",
                    help="comma-separated numbers of concurrent streams ('' to skip)")
    ap.add_argument("--stream-events", type=int, default=2_000,
                    help="events per stream in the concurrency runs")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.events
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"

    vers = versions()
    print("# sseproto loopback end-to-end benchmark")
    print("  " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    rng = random.Random(args.seed)
    tokens = gen_tokens(rng, n - 2)
    objs = chunk_objs(rng, tokens)
    body, expected = sse_stream(objs), "".join(tokens)
    print(f"  events={len(objs)} body={len(body) / 1e6:.2f} MB rounds={args.rounds}"
          f" seed={args.seed} writes={WRITE} B, chunked, keep-alive; gc enabled")  # fmt: skip

    contenders: dict[str, Run] = {"sseproto": sseproto_sync, "openai": openai_sync}
    if not args.no_async:
        contenders.update({"sseproto async": sseproto_async, "openai async": openai_async})
    parent, child = mp.Pipe()
    server = mp.Process(target=serve, args=(body, child), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{parent.recv()}/v1"
        print(f"  server pid {server.pid} at {url}", flush=True)
        status = {name: timed(fn, url, expected)[1] for name, fn in contenders.items()}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for r in range(args.rounds):
            names = [name for name in contenders if status[name] == "ok"]
            k = r % len(names) if names else 0
            for name in names[k:] + names[:k]:
                seconds, status[name] = timed(contenders[name], url, expected)
                if seconds is not None:
                    times[name].append(seconds)
            print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.join()

    rows: dict[str, dict[str, Any]] = {}
    print(f"\n{'contender':<16}{'best s':>9}{'median s':>10}{'MB/s':>9}{'events/s':>12}")
    for name in contenders:
        if status[name] != "ok" or not times[name]:
            rows[name] = {"status": status[name]}
            print(f"{name:<16}{status[name]}")
            continue
        best = min(times[name])
        rows[name] = {"status": "ok", "best_s": best, "median_s": statistics.median(times[name]),
                      "times_s": times[name], "events_per_s": len(objs) / best}  # fmt: skip
        print(f"{name:<16}{best:>9.4f}{rows[name]['median_s']:>10.4f}"
              f"{len(body) / best / 1e6:>9.1f}{len(objs) / best:>12,.0f}")  # fmt: skip

    speedups: dict[str, float | None] = {}
    print()
    for label, ours, theirs in (("sync", "sseproto", "openai"),
                                ("async", "sseproto async", "openai async")):  # fmt: skip
        if ours not in rows:
            continue
        a, b = rows[ours].get("best_s"), rows[theirs].get("best_s")
        speedups[label] = b / a if a and b else None
        shown = f"{b / a:.2f}x" if a and b else "n/a (a contender was not timed)"
        print(f"  {label:<5} speed-up = best(openai) / best(sseproto) = {shown}")

    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    many: dict[str, Any] = {}
    if levels:
        few_tokens = gen_tokens(rng, args.stream_events - 2)
        few, few_text = chunk_objs(rng, few_tokens), "".join(few_tokens)
        many = concurrency(sse_stream(few), few_text, len(few), levels, args.rounds)

    if args.json:
        report = {"versions": vers, "events": len(objs), "bytes": len(body), "seed": args.seed,
                  "rounds": args.rounds, "rows": rows, "speedup": speedups,
                  "concurrency": many}  # fmt: skip
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
