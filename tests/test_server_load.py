"""The asyncio replay server under load and abuse: concurrency, descriptors, memory, routes, log.

Real parts only: loopback sockets, sseproto's own clients, ``sseproto serve``
as a subprocess (with ``ulimit -n`` and ``ulimit -v`` to run out of
descriptors and memory), and Locust's
distributed mode from ``bench/locust_distributed.py``.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sseproto
from sseproto import server as server_module
from sseproto.server import ReceivedRequest, ReplayServer, Route, parse_fault, sources_from_args
from sseproto.transcript import Transcript, load
from tests.helpers import ROOT
from tests.test_server import OPENAI, PAYLOAD, SEED, offline, text, timed_transcript

TRANSCRIPTS = ROOT / "spec" / "transcripts"
PG = TRANSCRIPTS / "prediction-guard.jsonl"


def raw_exchange(url: str, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` bytes on a fresh connection; return everything until the server closes."""
    host, port = url.rsplit("/", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        parts = []
        while data := sock.recv(65536):
            parts.append(data)
    return b"".join(parts)


def stream_once(url: str, timeout: float = 5.0) -> list[sseproto.ChatEvent]:
    with sseproto.Client(url, timeout=timeout) as client:
        return list(client.stream_chat(PAYLOAD))


GET_CLOSE = b"GET /v1/chat/completions HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


class Serve:
    """``python -m sseproto serve ...`` as a subprocess, optionally under ``ulimit -n``."""

    def __init__(self, *args: str, fd_limit: int | None = None,
                 vm_limit: int | None = None) -> None:
        command = [sys.executable, "-m", "sseproto", "serve", *args]
        if fd_limit is not None:
            command = ["sh", "-c", f'ulimit -n {fd_limit} && exec "$@"', "sh", *command]
        if vm_limit is not None:  # KiB of address space
            command = ["sh", "-c", f'ulimit -v {vm_limit} && exec "$@"', "sh", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        assert line.startswith("sseproto: serving "), line
        self.url = line.split()[-1]

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``sig``; return the exit code and everything written on stderr."""
        self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err.decode()


@pytest.fixture
def serve() -> Iterator[type[Serve]]:
    started: list[Serve] = []

    class Tracked(Serve):
        def __init__(self, *args: str, fd_limit: int | None = None,
                     vm_limit: int | None = None) -> None:
            super().__init__(*args, fd_limit=fd_limit, vm_limit=vm_limit)
            started.append(self)

    yield Tracked
    for item in started:
        if item.process.poll() is None:
            item.stop(signal.SIGKILL)
        for stream in (item.process.stdout, item.process.stderr):
            if stream is not None:
                stream.close()


# --- concurrency -------------------------------------------------------------------------------


def test_hundreds_of_concurrent_timed_streams_are_all_exact() -> None:
    clients = 300
    transcript = timed_transcript(step=0.01)  # about 0.4 s of recorded time per stream
    expected = offline(OPENAI)

    async def one(url: str) -> tuple[float, float, list[sseproto.ChatEvent]]:
        async with sseproto.AsyncClient(url + "/v1", timeout=20) as client:
            started = time.monotonic()
            events = [event async for event in client.stream_chat(PAYLOAD)]
            return started, time.monotonic(), events

    async def main(url: str) -> list[tuple[float, float, list[sseproto.ChatEvent]]]:
        return await asyncio.wait_for(asyncio.gather(*(one(url) for _ in range(clients))), 60)

    with ReplayServer(transcript, speed=1.0) as server:
        results = asyncio.run(main(server.url))
        assert len(server.requests) == clients
    assert all(events == expected for _, _, events in results)
    latest_start = max(start for start, _, _ in results)
    earliest_end = min(end for _, end, _ in results)
    assert latest_start < earliest_end  # every stream was open at the same moment


def test_one_plan_per_transcript_is_shared_by_every_connection() -> None:
    transcript = timed_transcript()
    with ReplayServer(transcript, faults=[parse_fault("bytewise")]) as server:
        route = server._default
        assert route is not None and route.plan is not None
        steps = route.plan.chunked
        assert b"".join(step.data for step in steps).count(b"\r\n") == 2 * len(OPENAI)
        for _ in range(3):
            assert stream_once(server.url + "/v1") == offline(OPENAI)
        assert server._default is route and route.plan.chunked is steps  # framed once


# --- exhaustion --------------------------------------------------------------------------------


def test_out_of_descriptors_refuses_connections_and_keeps_serving(serve: type[Serve]) -> None:
    server = serve(str(PG), "--speed", "0.05", fd_limit=48)  # streams of about 13 s
    host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
    held = []
    refused = 0
    for _ in range(60):  # more than the server has descriptors for
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(GET_CLOSE)
        held.append(sock)
    for sock in held:
        sock.settimeout(2)
        try:
            head = sock.recv(64)
        except TimeoutError:
            head = b"?"
        except ConnectionResetError:
            head = b""
        refused += head == b""
    assert refused > 0  # some were refused outright, not left hanging in the backlog
    for sock in held:
        sock.close()
    time.sleep(0.3)
    assert text(stream_once(server.url + "/v1", timeout=30)) == " past"
    code, err = server.stop()
    assert code == 130
    assert "out of file descriptors (limit 48): refused a connection" in err
    assert "Traceback" not in err


def vm_size_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1])
    raise AssertionError("no VmSize")  # pragma: no cover - not Linux


def test_out_of_memory_for_one_connection_closes_it_and_keeps_serving(
        serve: type[Serve]) -> None:
    probe = serve(str(PG), "--quiet")
    limit = vm_size_kib(probe.process.pid) + 20_000  # 20 MB of address space to spare
    probe.stop()
    server = serve(str(PG), vm_limit=limit)
    body = b"x" * 15_000_000  # under the 16 MiB body limit; holding it takes over 30 MB
    answer = raw_exchange(server.url, b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n"
                          b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert answer == b""  # that connection was closed
    for _ in range(3):
        assert raw_exchange(server.url, GET_CLOSE).startswith(b"HTTP/1.1 200 OK")
    code, err = server.stop()
    assert code == 130 and "Traceback" not in err
    assert "sseproto: out of memory serving 127.0.0.1:" in err.splitlines()[0]


class Lines(io.StringIO):
    """A log stream whose lines a test can read."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


def test_a_client_that_stops_reading_is_dropped_after_the_write_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "WRITE_TIMEOUT", 0.5)
    big = Transcript(chunks=[(0.0, b"data: " + b"x" * 65536 + b"\n\n")] * 200)  # 13 MB
    log = Lines()
    with ReplayServer(big, log=log) as server:
        host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.sendall(GET_CLOSE)  # and never read
            deadline = time.monotonic() + 10
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            while server.connections and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.connections == 0
        assert raw_exchange(server.url, GET_CLOSE.replace(b"GET", b"HEAD")).startswith(
            b"HTTP/1.1 200 OK")  # still serving
    assert log.lines()[0].endswith(" client-stalled"), log.lines()


# --- max connections, statuses -------------------------------------------------------------------


def test_max_connections_answers_503_with_retry_after_and_recovers() -> None:
    transcript = timed_transcript(step=0.1)  # about 4 s
    with ReplayServer(transcript, speed=1.0, max_connections=2) as server:
        host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
        held = [socket.create_connection((host, int(port))) for _ in range(2)]
        for sock in held:
            sock.sendall(GET_CLOSE)
            assert sock.recv(12) == b"HTTP/1.1 200"
        answer = raw_exchange(server.url, GET_CLOSE)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert b"\r\nRetry-After: 1\r\n" in answer and b"max-connections" in answer
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 5
        while server.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert raw_exchange(server.url, GET_CLOSE).startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize(("code", "retry"), [(429, True), (503, True), (500, False)])
def test_injected_status_carries_retry_after_on_429_and_503(code: int, retry: bool) -> None:
    with ReplayServer(timed_transcript(), faults=[parse_fault(f"status:{code}")]) as server:
        answer = raw_exchange(server.url, GET_CLOSE)
    assert answer.startswith(f"HTTP/1.1 {code} ".encode())
    assert (b"\r\nRetry-After: 1\r\n" in answer) is retry


def test_informational_status_goes_before_the_real_response() -> None:
    faults = [parse_fault("status:103"), parse_fault("status:100")]
    with ReplayServer(timed_transcript(), faults=faults) as server:
        answer = raw_exchange(server.url, GET_CLOSE)
        old = raw_exchange(server.url, b"GET / HTTP/1.0\r\n\r\n")
        events = stream_once(server.url + "/v1")
    assert answer.startswith(b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
                             b"HTTP/1.1 200 OK\r\n")
    assert old.startswith(b"HTTP/1.1 200 OK\r\n")  # never a 1xx to an HTTP/1.0 client
    assert events == offline(OPENAI)


def test_expect_100_continue_gets_100_before_the_body_is_sent() -> None:
    with ReplayServer(timed_transcript()) as server:
        host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nConnection: close"
                         b"\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"{}")
            assert sock.recv(15) == b"HTTP/1.1 200 OK"
        assert server.requests[0].body == b"{}"


def test_http_10_gets_the_body_unframed_and_head_gets_no_body() -> None:
    with ReplayServer(timed_transcript(), faults=[parse_fault("bytewise")]) as server:
        old = raw_exchange(server.url, b"GET / HTTP/1.0\r\n\r\n")
        head = raw_exchange(server.url, b"HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 OK\r\n") and old.split(b"\r\n\r\n", 1)[1] == OPENAI
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()


def test_status_101_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="101 Switching Protocols"):
        parse_fault("status:101")
    done = subprocess.run([sys.executable, "-m", "sseproto", "serve", str(PG), "--fault",
                           "status:101"], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 2 and "101 Switching Protocols" in done.stderr
    assert done.stderr.count("\n") == 1


def test_bad_requests_get_400_or_431_and_the_server_keeps_serving() -> None:
    with ReplayServer(timed_transcript()) as server:
        assert raw_exchange(server.url, b"NOT HTTP AT ALL\r\n\r\n").startswith(
            b"HTTP/1.1 400 Bad Request")
        huge = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n"
        assert raw_exchange(server.url, huge).startswith(b"HTTP/1.1 431 ")
        assert raw_exchange(server.url, GET_CLOSE).startswith(b"HTTP/1.1 200 OK")


# --- routes -----------------------------------------------------------------------------------


def test_routes_by_path_and_by_model() -> None:
    pg, tools = load(PG), load(TRANSCRIPTS / "openai-tools.jsonl")
    routes = {"/v1/chat/completions": {"pg": pg, "tools": tools}, "/v1/seed": pg}
    with ReplayServer(routes=routes) as server, \
            sseproto.Client(server.url, timeout=5) as client:
        by_pg = list(client.stream_chat({**PAYLOAD, "model": "pg"}, path="/v1/chat/completions"))
        by_tools = list(client.stream_chat({**PAYLOAD, "model": "tools"},
                                           path="/v1/chat/completions"))
        seed = list(client.stream_chat({}, path="/v1/seed?x=1"))
        with pytest.raises(sseproto.HTTPStatusError) as unknown_model:
            list(client.stream_chat({**PAYLOAD, "model": "gpt-9"}, path="/v1/chat/completions"))
        with pytest.raises(sseproto.HTTPStatusError) as unknown_path:
            list(client.stream_chat(PAYLOAD, path="/v2/other"))
    assert by_pg == seed == offline(pg.body)
    assert by_tools == offline(tools.body)
    assert unknown_model.value.status_code == 404
    assert "no transcript for model 'gpt-9'; this route serves: pg, tools" \
        in str(unknown_model.value.body)
    assert unknown_path.value.status_code == 404
    assert "/v1/chat/completions, /v1/seed" in str(unknown_path.value.body)


def test_a_router_goes_first_its_plans_are_cached_and_its_errors_are_500s() -> None:
    chosen = Route(Transcript(chunks=[(0.0, SEED)]), (parse_fault("gzip"),))

    def router(request: ReceivedRequest) -> Route | None:
        if request.path == "/boom":
            raise RuntimeError("a bug")
        return chosen if request.path.startswith("/v1/chosen") else None

    with ReplayServer(timed_transcript(), router=router) as server:
        for _ in range(2):
            answer = raw_exchange(server.url, GET_CLOSE.replace(b"/v1/chat", b"/v1/chosen"))
            assert b"\r\ncontent-encoding: gzip\r\n" in answer.lower()
        assert len(server._cached) == 1  # one plan for both requests
        assert raw_exchange(server.url, GET_CLOSE.replace(b"/v1/chat/completions", b"/boom")) \
            .startswith(b"HTTP/1.1 500 Internal Server Error")
        assert stream_once(server.url + "/v1") == offline(OPENAI)  # no route: the default


def test_a_directory_route_and_the_access_log_from_the_command_line(
        serve: type[Serve], tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "meta-llama").mkdir(parents=True)
    (models / "gpt-4o.sse").write_bytes(OPENAI)
    (models / "meta-llama" / "Llama-3-8B.sse").write_bytes(SEED)
    (models / ".hidden.sse").write_bytes(b"nope")
    server = serve("--route", f"/v1/chat/completions={models}", "--route",
                   f"/pg={PG}")
    with sseproto.Client(server.url + "/v1", api_key="sk-secret-9999", timeout=5) as client:
        gpt = list(client.stream_chat({**PAYLOAD, "model": "gpt-4o"}))
        llama = list(client.stream_chat({**PAYLOAD, "model": "meta-llama/Llama-3-8B"}))
        with pytest.raises(sseproto.HTTPStatusError):
            list(client.stream_chat({**PAYLOAD, "model": ".hidden"}))
    assert gpt == offline(OPENAI) and text(llama) == " past"
    raw_exchange(server.url, b"GET /pg?api_key=sk-secret-9999 HTTP/1.1\r\nHost: t\r\n"
                             b"Connection: close\r\n\r\n")
    code, err = server.stop()
    assert code == 130
    *lines, last = err.splitlines()
    assert last == "sseproto: interrupted" and len(lines) == 4, err
    assert '"POST /v1/chat/completions HTTP/1.1" 200 ' in lines[0]
    assert lines[0].endswith(" complete") and lines[2].split('" ')[1].startswith("404 ")
    assert '"GET /pg?api_key=[REDACTED] HTTP/1.1" 200' in lines[3]
    assert "sk-secret-9999" not in err and "Traceback" not in err


def test_quiet_serves_without_a_log_and_sigterm_stops_cleanly(serve: type[Serve]) -> None:
    server = serve(str(PG), "--quiet")
    assert raw_exchange(server.url, GET_CLOSE).startswith(b"HTTP/1.1 200 OK")
    assert server.stop(signal.SIGTERM) == (0, "")


def test_several_files_serve_by_model_and_bad_arguments_are_usage_errors(
        tmp_path: Path) -> None:
    single, routes = sources_from_args([str(PG), str(TRANSCRIPTS / "openai-tools.jsonl")], [])
    assert isinstance(single, dict) and sorted(single) == ["openai-tools", "prediction-guard"]
    assert routes == {}
    for args, message in [([], "nothing to serve"),
                          (["--route", "v1=x"], "expected /PATH=FILE"),
                          (["--route", f"/v1={tmp_path}"], "no transcripts in the directory"),
                          ([str(PG), "--max-connections", "0"], "at least 1"),
                          ([str(PG), "--speed", "-1"], "speed must be")]:
        done = subprocess.run([sys.executable, "-m", "sseproto", "serve", *args],
                              capture_output=True, text=True, timeout=30, cwd=ROOT)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_a_transcript_object_is_still_accepted_positionally() -> None:
    body = Transcript(chunks=[(0.0, SEED)])
    with ReplayServer(body) as server:
        assert server.transcript is body
        assert text(stream_once(server.url)) == " past"


# --- Locust ------------------------------------------------------------------------------------


#: Locust is in the `test` extra.  It is never imported in this process: importing it
#: monkey-patches socket, ssl and threading with gevent for everything else.
LOCUST = pytest.mark.skipif(importlib.util.find_spec("locust") is None,
                            reason="needs the locust extra")


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as file:
        return {row["Name"]: row for row in csv.DictReader(file)}


@LOCUST
def test_locust_master_and_two_workers_against_serve(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "locust_distributed.py"),
                           "--workers", "2", "--users", "10", "--time", "4", "--speed", "1",
                           "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=150, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = read_csv(tmp_path / "workers2_stats.csv")
    assert int(rows["ttft"]["Request Count"]) > 0
    assert int(rows["ttft"]["Failure Count"]) == int(rows["stream"]["Failure Count"]) == 0
    # 10 gevent users over 4 s of 0.66 s streams: far more than one stream at a time
    assert int(rows["stream"]["Request Count"]) >= 25, rows["stream"]
    assert 300 <= float(rows["ttft"]["50%"]) < 1000  # the transcript's content comes at 0.31 s
    assert "| 2 |" in done.stdout


def locust_run(url: str, *extra: str,
               locustfile: Path = ROOT / "examples" / "locustfile.py",
               ) -> subprocess.CompletedProcess[str]:
    """``locustfile``, headless, 2 users, against ``url``; Locust's summary on stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile),
         "--headless", "-u", "2", "-r", "2", "--host", url, "--only-summary", "--loglevel",
         "WARNING", *extra], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)


@LOCUST
def test_locust_reports_inter_token_latency_and_stalls() -> None:
    tools = load(TRANSCRIPTS / "openai-tools.jsonl")  # tool-call deltas over 1.2 s
    with ReplayServer(tools, speed=4.0, faults=[parse_fault("stall:1.2@900")]) as server:
        done = locust_run(server.url, "-t", "4s")
    assert done.returncode == 0, done.stderr
    summary: dict[str, list[str]] = {}  # the first table: name -> # reqs, # fails | avg ...
    for line in done.stderr.splitlines():
        if line.startswith("chat "):
            summary.setdefault(line.split()[1], line.split()[2:])
    assert set(summary) >= {"ttft", "stream", "itl", "stall"}, done.stderr
    assert summary["stall"][0] == summary["stream"][0]  # one stall per stream
    assert 1200 <= int(summary["stall"][6]) < 2000, summary["stall"]  # the median stall (ms)


@LOCUST
def test_locust_streams_over_tls_with_its_own_ssl_context(tls_contexts: Any,
                                                          tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    tls_contexts.ca.cert_pem.write_to_path(str(ca))
    locustfile = tmp_path / "tls_locustfile.py"
    locustfile.write_text("import ssl\nfrom sseproto.contrib.locust import ChatStreamUser\n\n\n"
                          "class Chat(ChatStreamUser):\n"
                          f"    ssl_context = ssl.create_default_context(cafile={str(ca)!r})\n")
    with ReplayServer(load(PG), ssl_context=tls_contexts.server, speed=1.0) as server:
        done = locust_run(server.url, "-t", "3s", locustfile=locustfile)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^chat +ttft +[1-9]\d* +0\(0\.00%\)", done.stderr, re.MULTILINE), done.stderr


@LOCUST
@pytest.mark.parametrize(("fault", "reason"), [("cut:500", "cut: "), ("status:429", "HTTP 429")])
def test_locust_counts_cut_and_non_2xx_streams_as_failures(fault: str, reason: str) -> None:
    with ReplayServer(load(TRANSCRIPTS / "openai-tools.jsonl"),
                      faults=[parse_fault(fault)]) as server:
        done = locust_run(server.url, "-t", "2s")
    assert done.returncode == 1, done.stderr  # Locust exits 1 when a request failed
    # Locust's own summary (its CSV files are rewritten once a second: a 2 s run may miss them)
    stream = re.search(r"^chat +stream +(\d+) +(\d+)\(100\.00%\)", done.stderr, re.MULTILINE)
    assert stream is not None and stream[1] == stream[2] and int(stream[1]) > 0, done.stderr
    assert f"chat stream: StreamFailure('{reason}" in done.stderr  # Locust's error report
    assert "Traceback" not in done.stderr
