"""How many timed streams ``sseproto serve`` holds at once: 1k, 5k, 10k concurrent streams.

Methodology
* ``python -m sseproto serve TRANSCRIPT --speed S --quiet`` runs as its own
  process on 127.0.0.1 (its open-file limit raised to the hard limit).
* Load comes from ``--procs`` client processes (default 2), each an asyncio
  loop of raw sockets: every client connects, sends one
  ``POST /v1/chat/completions`` (``Connection: close``) and reads to EOF.
  Clients start at ``--rate`` connections per second (default 2000) and
  stay open for the whole stream (13 s by default), so the streams overlap;
  the peak overlap is computed from every stream's start and end.
* Every response must be byte-identical to the first one, and that one must
  decode (h11, then ``ChatStreamDecoder``) to the transcript's own events:
  "complete" counts the streams that pass.
* TTFB: from the request written to the first body byte, against the
  transcript's own first-chunk time divided by the speed; and the time to
  the response head (which the server sends at once).
* Server figures from /proc: peak RSS (VmHWM) and CPU seconds (user+system)
  during the run, and the CPU share of one core.

The machine this runs on may be shared; the figures say what this run saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import h11  # noqa: E402

import sseproto  # noqa: E402
from sseproto.transcript import load  # noqa: E402

DEFAULT_TRANSCRIPT = ROOT / "spec" / "transcripts" / "prediction-guard.jsonl"
REQUEST = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
           b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%b")
BODY = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true}'


def raise_limit() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Stream(asyncio.Protocol):
    """One client: write the request, time the first body byte, keep every byte."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done
        self.parts: list[bytes] = []
        self.size = 0
        self.sent = 0.0
        self.first_body: float | None = None
        self.first_byte: float | None = None
        self.head_end = -1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.sent = time.time()
        transport.write(REQUEST % (len(BODY), BODY))

    def data_received(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.first_byte is None:
            self.first_byte = time.time()
        if self.first_body is None:
            joined = b"".join(self.parts)
            self.head_end = joined.find(b"\r\n\r\n")
            # the head, then the first chunk's size line: a body byte is here
            if self.head_end >= 0 and joined.find(b"\r\n", self.head_end + 4) >= 0:
                self.first_body = time.time()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


Result = tuple[float, float, float, float | None, float | None, bytes]


async def client_process(host: str, port: int, count: int, rate: float) -> list[Result]:
    loop = asyncio.get_running_loop()

    async def run(index: int) -> Result:
        await asyncio.sleep(index / rate)
        done: asyncio.Future[None] = loop.create_future()
        protocol = Stream(done)
        started = time.time()
        for attempt in range(5):
            try:
                await loop.create_connection(lambda: protocol, host, port)
                break
            except OSError:
                await asyncio.sleep(0.1 * (attempt + 1))
        else:
            return started, started, time.time(), None, None, b""
        await done
        return (started, protocol.sent, time.time(), protocol.first_byte, protocol.first_body,
                b"".join(protocol.parts))

    return await asyncio.gather(*(run(index) for index in range(count)))


def worker(host: str, port: int, count: int, rate: float, out: Connection) -> None:
    raise_limit()
    results = asyncio.run(client_process(host, port, count, rate))
    first = next((body for *_, body in results if body), b"")
    out.send((first, [(a, s, e, h, f, body == first) for a, s, e, h, f, body in results]))
    out.close()


def decode_check(raw: bytes, expected: list[sseproto.ChatEvent]) -> bool:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "x")]))
    conn.receive_data(raw)
    conn.receive_data(b"")
    decoder = sseproto.ChatStreamDecoder()
    events: list[sseproto.ChatEvent] = []
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Data):
            events += decoder.feed(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed) or event is h11.NEED_DATA:
            break
    return events + decoder.close() == expected


def proc_stats(pid: int) -> tuple[float, int]:
    """CPU seconds (user+system) and peak RSS (bytes) of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    return cpu, peak


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    marks = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    best = now = 0
    for _, step in marks:
        now += step
        best = max(best, now)
    return best


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def load_from_clients(host: str, port: int, count: int,
                      args: argparse.Namespace) -> tuple[list[bytes], list[tuple[object, ...]]]:
    """Run ``count`` clients over ``args.procs`` processes; their first bodies and rows."""
    pipes, procs = [], []
    share = [count // args.procs + (1 if i < count % args.procs else 0) for i in range(args.procs)]
    for part in share:
        reader, writer = mp.Pipe(duplex=False)
        process = mp.Process(target=worker, args=(host, port, part, args.rate / args.procs,
                                                  writer))
        process.start()
        writer.close()
        pipes.append(reader)
        procs.append(process)
    results: list[tuple[object, ...]] = []
    firsts = []
    for reader in pipes:
        first, rows = reader.recv()
        firsts.append(first)
        results += rows
    for process in procs:
        process.join()
    return firsts, results


def run_level(count: int, args: argparse.Namespace, expected: list[sseproto.ChatEvent],
              recorded_ttfb: float) -> dict[str, object]:
    server = subprocess.Popen([sys.executable, "-m", "sseproto", "serve", str(args.transcript),
                               "--speed", str(args.speed), "--quiet"],
                              stdout=subprocess.PIPE, cwd=ROOT)
    assert server.stdout is not None
    url = server.stdout.readline().decode().split()[-1]
    host, port = url.rsplit("/", 1)[1].rsplit(":", 1)
    cpu_before, _ = proc_stats(server.pid)
    started = time.time()
    firsts, results = load_from_clients(host, int(port), count, args)
    elapsed = time.time() - started
    cpu_after, peak = proc_stats(server.pid)
    server.terminate()
    server.wait()
    exact_first = bool(firsts[0]) and all(f == firsts[0] for f in firsts) and decode_check(
        firsts[0], expected)
    complete = sum(1 for *_, same in results if same) if exact_first else 0
    ttfb = [f - s for _, s, _, _, f, ok in results if f is not None and ok]
    head = [h - s for _, s, _, h, _, ok in results if h is not None and ok]
    spans = [(s, e) for _, s, e, _, _, ok in results if ok]
    return {"streams": count, "complete": complete, "peak_concurrent": peak_overlap(spans),
            "elapsed_s": round(elapsed, 2), "server_cpu_s": round(cpu_after - cpu_before, 2),
            "server_cpu_share": round((cpu_after - cpu_before) / elapsed, 2),
            "server_peak_rss_mib": round(peak / 2**20, 1),
            "ttfb_recorded_s": round(recorded_ttfb, 3),
            "ttfb_p50_s": round(pct(ttfb, 0.5), 3), "ttfb_p99_s": round(pct(ttfb, 0.99), 3),
            "head_p50_s": round(pct(head, 0.5), 3), "head_p99_s": round(pct(head, 0.99), 3)}


def print_table(rows: list[dict[str, object]]) -> None:
    print()
    print("| streams | complete | peak concurrent | server peak RSS | server CPU (s / share"
          " of a core) | TTFB p50 / p99 (recorded) | response head p50 / p99 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['streams']} | {r['complete']} | {r['peak_concurrent']} |"
              f" {r['server_peak_rss_mib']} MiB | {r['server_cpu_s']} / {r['server_cpu_share']}"
              f" | {r['ttfb_p50_s']} / {r['ttfb_p99_s']} s ({r['ttfb_recorded_s']} s)"
              f" | {r['head_p50_s']} / {r['head_p99_s']} s |")
    print("mean ms per stream of server CPU: "
          + ", ".join(f"{r['streams']}: {1000 * float(r['server_cpu_s']) / int(r['streams']):.2f}"
                      for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1000,5000,10000",
                        help="concurrent stream counts (default 1000,5000,10000)")
    parser.add_argument("--transcript", type=Path, default=DEFAULT_TRANSCRIPT)
    parser.add_argument("--speed", type=float, default=0.05,
                        help="replay speed (default 0.05: the recorded timing 20x slower, so"
                        " every stream lasts long enough to overlap all the others)")
    parser.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--rate", type=float, default=2000.0,
                        help="new connections per second, all processes together (default"
                        " 2000, like Locust's spawn rate: a burst of 10k SYNs overflows the"
                        " kernel's accept queue and times the backlog, not the server)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    raise_limit()
    transcript = load(args.transcript)
    decoder = sseproto.ChatStreamDecoder()
    expected = decoder.feed(transcript.body) + decoder.close()
    recorded_ttfb = transcript.chunks[0][0] / args.speed
    span = (transcript.chunks[-1][0] - transcript.chunks[0][0]) / args.speed
    print(f"transcript {args.transcript.name}: {len(transcript.chunks)} chunks,"
          f" first at {recorded_ttfb:.2f} s, last {span:.2f} s later (speed {args.speed});"
          f" {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} (the machine may be shared)")
    rows = []
    for level in (int(text) for text in args.levels.split(",")):
        row = run_level(level, args, expected, recorded_ttfb)
        rows.append(row)
        print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print_table(rows)

if __name__ == "__main__":
    main()
