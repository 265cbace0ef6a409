"""Serving the scenarios, and running a client command once per scenario.

The command is a list of arguments in which ``{url}`` becomes the
scenario's URL and ``{kind}`` its kind (``sse`` or ``chat``); an argument
``{sse:TEXT}`` becomes ``TEXT`` for raw SSE scenarios and disappears for
chat ones (``{chat:TEXT}`` the reverse), so one command line can serve
both: ``sseproto parse --url {url} --json {sse:--sse}``.  The command also
finds the kind and the scenario id in the environment variables
``SSEPROTO_SUITE_KIND`` and ``SSEPROTO_SUITE_ID``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from ..server import ReceivedRequest, ReplayServer, Route
from ..transcript import Transcript
from ._compare import Difference, OutputError, compare, parse_output
from ._scenarios import Scenario

__all__ = ["ClientFunction", "Result", "SuiteServer", "command_for", "run"]

_CONDITIONAL = re.compile(r"\{(sse|chat):(.*)\}", re.DOTALL)
_STDERR_KEPT = 2000


class SuiteServer:
    """Serves each scenario at ``/suite/<id>`` and the list at ``/suite/index.json``."""

    def __init__(self, scenarios: Iterable[Scenario], *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.scenarios = {scenario.id: scenario for scenario in scenarios}
        index = orjson.dumps({"scenarios": [s.index_entry() for s in self.scenarios.values()]})
        self._index = Route(Transcript(chunks=[(0.0, index)],
                                       headers={"content-type": "application/json"}))
        self._server = ReplayServer(None, host=host, port=port, router=self._route)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self._server.requests

    def url_for(self, scenario: Scenario) -> str:
        return f"{self.url}/suite/{scenario.id}"

    def _route(self, request: ReceivedRequest) -> Route | None:
        path = unquote(urlsplit(request.path).path)
        if path == "/suite/index.json":
            return self._index
        scenario = self.scenarios.get(path.removeprefix("/suite/"))
        return None if scenario is None else Route(scenario.transcript(), scenario.faults)

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> SuiteServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@dataclass(frozen=True)
class Result:
    """How one scenario went: passed, or the first difference."""

    scenario: Scenario
    difference: Difference | None
    received: tuple[dict[str, Any], ...] = ()
    exit_code: int | None = None  # None: timed out
    stderr: str = field(default="", repr=False)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.difference is None

    def as_dict(self) -> dict[str, Any]:
        scenario = self.scenario
        return {"id": scenario.id, "group": scenario.group, "kind": scenario.kind,
                "delivery": scenario.delivery, "description": scenario.description,
                "passed": self.passed,
                "difference": None if self.difference is None else str(self.difference),
                "difference_index": None if self.difference is None else self.difference.index,
                "expected": list(scenario.expected), "expected_ok": scenario.ok,
                "received": list(self.received), "exit_code": self.exit_code,
                "stderr": self.stderr, "seconds": round(self.seconds, 3)}


def command_for(command: Sequence[str], url: str, kind: str) -> list[str]:
    """``command`` with its placeholders filled in for one scenario."""
    argv: list[str] = []
    for arg in command:
        conditional = _CONDITIONAL.fullmatch(arg)
        if conditional is not None:
            if conditional.group(1) == kind:
                argv.append(conditional.group(2))
            continue
        argv.append(arg.replace("{url}", url).replace("{kind}", kind))
    return argv


class _Processes:
    """The client processes running now, so that an interrupted run kills them all.

    Each runs in a session of its own (its children too), killed as a group.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def start(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._stopped:
                return None
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env, start_new_session=True)
            self._running.add(process)
            return process

    def done(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(process)

    def kill_all(self) -> None:
        with self._lock:
            self._stopped = True
            for process in self._running:
                _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _execute(processes: _Processes, argv: list[str], env: dict[str, str],
             timeout: float) -> tuple[int | None, bytes, bytes]:
    """Run ``argv``; on timeout, kill its process group.  (exit code or None, out, err)"""
    process = processes.start(argv, env)
    if process is None:
        return None, b"", b"the run was interrupted"
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        out, err = process.communicate()
        return None, out, err
    finally:
        processes.done(process)
    return process.returncode, out, err


#: A client called in this process: ``client(url, kind) -> (stdout bytes, exit code)``.
ClientFunction = Callable[[str, str], tuple[bytes, int]]


def _call(client: ClientFunction, url: str, kind: str) -> tuple[int | None, bytes, bytes]:
    try:
        out, code = client(url, kind)
    except Exception as exc:  # the client under test failed: that is its exit status
        return 1, b"", f"{type(exc).__name__}: {exc}".encode()
    return code, out, b""


def _run_one(client: Sequence[str] | ClientFunction, server: SuiteServer, scenario: Scenario,
             timeout: float, processes: _Processes) -> Result:
    url = server.url_for(scenario)
    started = time.monotonic()
    if callable(client):
        code, out, err = _call(client, url, scenario.kind)
    else:
        env = {**os.environ, "SSEPROTO_SUITE_KIND": scenario.kind,
               "SSEPROTO_SUITE_ID": scenario.id}
        code, out, err = _execute(processes, command_for(client, url, scenario.kind), env,
                                  timeout)
    seconds = time.monotonic() - started
    stderr = err.decode("utf-8", "replace")[-_STDERR_KEPT:]
    try:
        received = parse_output(out)
    except OutputError as exc:
        return Result(scenario, Difference(str(exc)), (), code, stderr, seconds)
    if code is None:
        difference: Difference | None = Difference(
            f"timed out after {timeout:g} s ({len(received)} events printed)")
    else:
        difference = compare(scenario.expected, scenario.ok, received, code)
    return Result(scenario, difference, tuple(received), code, stderr, seconds)


def run(client: Sequence[str] | ClientFunction, scenarios: Sequence[Scenario], *,
        timeout: float = 15.0, jobs: int = 4,
        on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Run ``client`` once per scenario (``jobs`` at a time) against a fresh server.

    ``client`` is a command (a list of arguments with placeholders), or a
    :data:`ClientFunction` called in this process (``timeout`` does not
    apply to it).  Returns the results in the order of ``scenarios``.
    ``FileNotFoundError`` or ``PermissionError`` when the command cannot be
    started.
    """
    processes = _Processes()
    results: list[Result] = []
    with SuiteServer(scenarios) as server, ThreadPoolExecutor(max(jobs, 1)) as pool:
        futures = [pool.submit(_run_one, client, server, scenario, timeout, processes)
                   for scenario in scenarios]
        try:
            for future in futures:
                results.append(future.result())
                if on_result is not None:
                    on_result(results[-1])
        except BaseException:  # Ctrl-C, or a command that cannot start: stop every client
            processes.kill_all()
            for future in futures:
                future.cancel()
            raise
    return results
