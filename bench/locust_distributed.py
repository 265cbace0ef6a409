"""Locust's distributed mode against ``sseproto serve``: streams per second with 1 and 2 workers.

Methodology
* ``python -m sseproto serve TRANSCRIPT --speed S --quiet`` on 127.0.0.1.
* For each worker count: one ``locust --master --headless`` and that many
  ``locust --worker`` processes, all running ``examples/locustfile.py``
  (``ChatStreamUser``, no wait between iterations) with ``-u USERS`` for
  ``-t TIME``, writing Locust's own CSV statistics (``--csv``).
* The figures come from those CSV files (Locust rewrites them once a
  second): streams per second (the ``stream`` row's requests/s), failures,
  and the median / p95 / p99 of ``ttft`` and ``stream`` in milliseconds;
  plus the server's CPU seconds over the run time (its share of one core:
  near 1.0 means the one-process server, not Locust, is the limit).
* Exit status 1 when any run had a failure or no ``ttft`` statistics.

The machine this runs on may be shared; the figures say what this run saw.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "examples" / "locustfile.py"
DEFAULT_TRANSCRIPT = ROOT / "spec" / "transcripts" / "prediction-guard.jsonl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(transcript: Path, speed: float) -> tuple[subprocess.Popen[bytes], str]:
    server = subprocess.Popen([sys.executable, "-m", "sseproto", "serve", str(transcript),
                               "--speed", str(speed), "--quiet"], stdout=subprocess.PIPE,
                              cwd=ROOT)
    assert server.stdout is not None
    return server, server.stdout.readline().decode().split()[-1]


def run_distributed(url: str, workers: int, args: argparse.Namespace, out: Path) -> Path:
    """One master and ``workers`` workers; return the path of the stats CSV."""
    port = free_port()
    prefix = out / f"workers{workers}"
    common = ["-f", str(LOCUSTFILE), "--host", url]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    master = subprocess.Popen(
        [sys.executable, "-m", "locust", *common, "--master", "--headless",
         "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
         "--expect-workers", str(workers), "--expect-workers-max-wait", "60",
         "-u", str(args.users), "-r", str(args.users), "-t", f"{args.time}s",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    crew = [subprocess.Popen(
        [sys.executable, "-m", "locust", *common, "--worker", "--master-host", "127.0.0.1",
         "--master-port", str(port), "--loglevel", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        _, errors = master.communicate(timeout=args.time + 90)
    finally:
        for worker in crew:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics (exit {master.returncode}):"
                         f" {errors.decode(errors='replace')[-500:]}")
    return stats


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_stats(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as file:
        return {row["Name"]: row for row in csv.DictReader(file)}


def report_run(server: subprocess.Popen[bytes], url: str, workers: int,
               args: argparse.Namespace, out: Path) -> bool:
    """Run with ``workers`` workers and print its table row; ``False`` on a failure."""
    before = cpu_seconds(server.pid)
    rows = read_stats(run_distributed(url, workers, args, out))
    share = (cpu_seconds(server.pid) - before) / args.time
    stream, ttft = rows.get("stream"), rows.get("ttft")
    if stream is None or ttft is None or int(ttft["Request Count"]) == 0:
        print(f"| {workers} | no stream/ttft statistics | | | | | |")
        return False
    failures = sum(int(row["Failure Count"]) for name, row in rows.items()
                   if name != "Aggregated")
    print(f"| {workers} | {float(stream['Requests/s']):.1f} | {stream['Request Count']}"
          f" | {failures} | {ttft['50%']} / {ttft['95%']} / {ttft['99%']}"
          f" | {stream['50%']} / {stream['95%']} / {stream['99%']} | {share:.2f} |")
    return failures == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    parser.add_argument("--users", type=int, default=50, help="Locust users (default 50)")
    parser.add_argument("--time", type=int, default=20, help="seconds per run (default 20)")
    parser.add_argument("--transcript", type=Path, default=DEFAULT_TRANSCRIPT)
    parser.add_argument("--speed", type=float, default=0.0,
                        help="replay speed (default 0: no waits, so the workers' CPU is the"
                        " limit)")
    parser.add_argument("--out", type=Path, help="directory for Locust's CSV files")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="sseproto-locust-"))
    out.mkdir(parents=True, exist_ok=True)
    server, url = start_server(args.transcript, args.speed)
    print(f"{args.transcript.name} at speed {args.speed}, {args.users} users, {args.time} s per"
          f" run; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} (the machine may be"
          f" shared); CSV in {out}")
    print("| workers | streams/s | streams | failures | ttft p50 / p95 / p99 ms"
          " | stream p50 / p95 / p99 ms | server CPU share |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    try:
        for workers in (int(text) for text in args.workers.split(",")):
            ok = report_run(server, url, workers, args, out) and ok
    finally:
        server.terminate()
        server.wait()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
