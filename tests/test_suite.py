"""The client conformance suite: scenarios, server, comparison, CLI, and real clients graded."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from sseproto import cli
from sseproto.suite import Difference, SuiteServer, compare, parse_output, report, run, select
from sseproto.suite._compare import OutputError
from sseproto.suite._generate import build
from sseproto.suite._runner import command_for
from sseproto.suite._scenarios import split_points
from tests.helpers import ROOT

EXAMPLES = ROOT / "examples" / "suite"
SSEPROTO = [sys.executable, "-m", "sseproto"]


def sseproto_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SSEPROTO, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_the_shipped_streams_are_built_from_the_current_spec() -> None:
    shipped = (ROOT / "sseproto" / "suite" / "streams.json").read_bytes()
    assert build(ROOT / "spec") == shipped, (
        "run: python -m sseproto.suite._generate spec sseproto/suite/streams.json")


def test_scenarios_have_unique_ids_descriptions_and_the_four_deliveries() -> None:
    scenarios = select()
    ids = [s.id for s in scenarios]
    assert len(ids) == len(set(ids)) and len(ids) > 1000
    assert all(s.description and s.group for s in scenarios)
    groups = {s.group for s in scenarios}
    assert {"sse/utf8", "sse/line-endings", "chat/openai", "chat/recovery", "capture",
            "fault"} <= groups
    deliveries = {s.delivery for s in scenarios}
    assert {"whole", "bytes", "cuts", "coalesced", "cut-mid-frame", "reset-mid-frame", "stall",
            "gzip", "status-429", "status-500", "wrong-content-type"} <= deliveries
    for scenario in select(["chat/openai-sample-gpt-4o-mini"]):
        assert scenario.body == select(["chat/openai-sample-gpt-4o-mini/whole"])[0].body
    [bytewise] = select(["sse/basic-two-events/bytes"])
    assert all(len(write) == 1 for write in bytewise.writes)


def test_cuts_fall_inside_every_utf8_sequence_and_crlf() -> None:
    body = "a\r\nb é 🙂\r\n".encode()
    assert split_points(body) == [2, 6, 9, 10, 11, 13]
    [scenario] = select(["chat/edge-split-multibyte-utf8/cuts"])
    assert all(piece[-1:] >= b"\x80" or piece.endswith(b"\r") for piece in scenario.writes[:-1])
    assert b"".join(scenario.writes) == scenario.body


def test_command_placeholders() -> None:
    command = ["client", "--url={url}", "{kind}", "{sse:--sse}", "{chat:--chat}"]
    assert command_for(command, "http://h/suite/x", "sse") == [
        "client", "--url=http://h/suite/x", "sse", "--sse"]
    assert command_for(command, "u", "chat") == ["client", "--url=u", "chat", "--chat"]


def test_compare_names_the_first_difference() -> None:
    want: list[dict[str, Any]] = [{"type": "delta", "index": 0, "content": "a"}, {"type": "done"}]
    got = [{"type": "delta", "index": 0, "content": "a", "tool_calls": None}, {"type": "done"}]
    assert compare(want, True, got, 0) is None  # extra fields are ignored
    assert compare(want, True, got[:1], 0) == Difference(
        'event 2: expected {"type":"done"}, received nothing more (1 events)', 1)
    assert "expected no more events" in str(compare(want[:1], True, got, 0))
    assert "client failed (exit status 3)" in str(compare(want, True, got, 3))
    assert "reported success" in str(compare(want, False, got, 0))
    assert compare([], None, [], 1) is None and compare([], None, [], 0) is None


def test_output_lines_must_be_json_objects_and_others_are_ignored() -> None:
    out = b'{"type": "delta", "content": "x"}\n\n{"type": "debug", "note": 1}\n{"type":"done"}\n'
    assert parse_output(out) == [{"type": "delta", "content": "x"}, {"type": "done"}]
    with pytest.raises(OutputError, match="line 2 is not JSON: Traceback"):
        parse_output(b'{"type": "done"}\nTraceback (most recent call last):\n')
    with pytest.raises(OutputError, match='not an object with a "type"'):
        parse_output(b"[1, 2]\n")


def test_the_server_serves_each_scenario_and_the_index() -> None:
    scenarios = select(["sse/basic-two-events", "fault/status-429"])
    with SuiteServer(scenarios) as server:
        status, body = get(server.url, "/suite/index.json")
        index = orjson.loads(body)["scenarios"]
        assert status == 200 and [entry["id"] for entry in index] == [s.id for s in scenarios]
        assert set(index[0]) == {"id", "kind", "group", "description", "expected", "ok"}
        assert get(server.url, "/suite/sse/basic-two-events/bytes") == (200, scenarios[0].body)
        assert get(server.url, "/suite/fault/status-429")[0] == 429
        assert get(server.url, "/suite/no/such/scenario")[0] == 404
        assert [r.path for r in server.requests][-1] == "/suite/no/such/scenario"


def in_process_sseproto(url: str, kind: str) -> tuple[bytes, int]:
    """``sseproto parse --url URL --json`` run in this process (the same code, no start-up)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["parse", "--url", url, "--json", *(["--sse"] if kind == "sse" else [])])
    return out.getvalue().encode(), code


def test_sseproto_parse_url_passes_every_scenario() -> None:
    results = run(in_process_sseproto, select(), jobs=1)  # redirect_stdout: one at a time
    failures = [f"{r.scenario.id}: {r.difference}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)
    assert len(results) == len(select())


# A sample across every group and kind of delivery, for the real command line.
SAMPLE = ["sse/basic-two-events/*", "sse/utf8-valid-*/cuts", "sse/esp-crlf-stream/*",
          "chat/openai-sample-gpt-4o-mini/*", "chat/keepalive-comment-lines/bytes",
          "chat/error-object-mid-stream/whole", "capture/prediction-guard/*", "fault/*"]


def test_suite_run_from_the_command_line_with_every_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    only = [arg for pattern in SAMPLE for arg in ("--only", pattern)]
    result = sseproto_cli("suite", "run", *only, "--html", str(report), "--jobs", "6", "--",
                          "sseproto", "parse", "--url", "{url}", "--json", "{sse:--sse}")
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(select(SAMPLE))
    assert result.stdout.startswith(f"sseproto suite: {count} scenarios, {count} passed, 0 failed")
    page = report.read_text("utf-8")
    assert page.count('class="cell pass"') == count and "http" not in page.replace(
        "http://", "").split("<body>")[0]  # no external resource in the head
    as_json = sseproto_cli("suite", "run", "--json", "--only", "fault/status-*", "--", "sseproto",
                           "parse", "--url", "{url}", "--json")
    document = orjson.loads(as_json.stdout)
    assert as_json.returncode == 0 and document["passed"] == 2 == document["total"]
    assert document["scenarios"][0]["exit_code"] == 1  # a 429 is a failed stream


def naive(patterns: list[str]) -> dict[str, bool]:
    command = [sys.executable, str(EXAMPLES / "naive_client.py"), "{url}", "{kind}"]
    return {r.scenario.id: r.passed for r in run(command, select(patterns), jobs=6)}


def test_the_naive_client_fails_the_classic_bugs(tmp_path: Path) -> None:
    passes = ["sse/basic-single-event/whole", "sse/basic-two-events/bytes",
              "sse/basic-ten-events/coalesced", "sse/peer-retry-only-block-no-dispatch/whole",
              "chat/openai-role-first-empty-content/whole", "chat/openai-finish-length/bytes",
              "fault/openai-chat/cut-mid-frame", "fault/openai-chat/reset-mid-frame"]
    fails = {
        "sse/esp-crlf-stream/whole": "split on \\n\\n only: CRLF streams never split",
        "sse/peer-data-no-space/whole": "'data:x' without the space",
        "sse/id-without-data-then-event/whole": "the last event id is not kept",
        "chat/openai-sample-gpt-4o-mini/cuts": "each read decoded alone: UTF-8 split",
        "chat/edge-split-multibyte-utf8/bytes": "the same, one byte per write",
        "chat/openai-usage-chunk-empty-choices/whole": "choices[0] of the usage chunk",
        "chat/keepalive-comment-lines/whole": "': OPENROUTER PROCESSING' fed to json.loads",
        "chat/error-object-mid-stream/whole": "the in-stream error is not reported",
        "chat/ollama-chat-basic/whole": "NDJSON has no blank lines",
        "fault/openai-chat/gzip": "gzip not decoded",
        "fault/status-429": "the status is never checked",
        "fault/status-500": "the status is never checked",
        "fault/wrong-content-type": "the Content-Type is never checked",
    }
    outcome = naive(passes + list(fails))
    assert [name for name in passes if not outcome[name]] == []
    assert [name for name in fails if outcome[name]] == []


def test_the_node_client_on_eventsource_parser(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    project = tmp_path / "node"
    shutil.copytree(EXAMPLES / "node", project, ignore=shutil.ignore_patterns("node_modules"))
    install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=project,
                             capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        pytest.skip(f"npm ci failed (no registry?): {install.stderr.strip()[-200:]}")
    command = ["node", str(project / "client.mjs"), "{url}", "{kind}"]
    expected = {"sse/basic-two-events/bytes": True, "sse/utf8-valid-emoji/cuts": True,
                "chat/openai-sample-gpt-4o-mini/cuts": True, "fault/openai-chat/gzip": True,
                "fault/status-429": True,
                # eventsource-parser waits for an LF after a final CR: the event is lost.
                "sse/eol-cr/whole": False,
                # an id-only block updates no id it can report: the next event has none.
                "sse/id-without-data-then-event/whole": False,
                # JSON.parse of each event's data: the pretty-printed frames break it.
                "capture/prediction-guard/whole": False}
    results = run(command, select(list(expected)), jobs=4)
    assert {r.scenario.id: r.passed for r in results} == expected


def test_suite_list_and_usage_errors() -> None:
    listing = sseproto_cli("suite", "list", "--only", "fault/*")
    assert listing.returncode == 0
    assert listing.stdout.splitlines()[-1] == f"{len(select(['fault/*']))} scenarios in 1 groups:" \
        f" fault {len(select(['fault/*']))}"
    index = orjson.loads(sseproto_cli("suite", "list", "--json", "--only", "capture").stdout)
    assert {entry["group"] for entry in index["scenarios"]} == {"capture"}
    for args, message in (
            (["run", "--", "sseproto", "parse"], "put {url} in it"),
            (["run"], "needs a client command"),
            (["run", "--", "no-such-client-xyz", "{url}"], "no such command"),
            (["list", "--only", "nothing/*"], "no scenario matches nothing/*"),
            (["run", "--html", "/nonexistent-dir/r.html", "--", "sseproto", "{url}"],
             "cannot write")):
        result = sseproto_cli("suite", *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_suite_serve_from_the_command_line() -> None:
    with subprocess.Popen([*SSEPROTO, "suite", "serve", "--only", "chat/openai-sample*"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "serving 4 scenarios at http://127.0.0.1:" in line
            url = line.split(" at ")[1].split("/suite/")[0]
            status, body = get(url, "/suite/index.json")
            assert status == 200 and len(orjson.loads(body)["scenarios"]) == 4
            assert get(url, "/suite/chat/openai-sample-gpt-4o-mini/coalesced")[0] == 200
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_reports_mark_the_first_difference() -> None:
    def wrong(url: str, kind: str) -> tuple[bytes, int]:
        return b'{"type": "delta", "index": 0, "content": "Hi", "extra": 1}\n', 0

    results = run(wrong, select(["chat/openai-finish-length/whole", "fault/status-429"]), jobs=1)
    page = report.html_page(results, "wrong-client {url}")
    assert page.count('class="cell fail"') == 2 and 'href="#s-fault_status-429"' in page
    assert '<mark>&quot;content&quot;:&quot;Hi&quot;</mark>' in page  # the differing field
    assert "<mark>&quot;extra" not in page  # not graded: never marked
    assert "<script" not in page and "src=" not in page  # self-contained, no script
    text = report.text(results, "wrong-client {url}")
    assert text.startswith("sseproto suite: 2 scenarios, 0 passed, 2 failed")
    assert "fault/status-429: event 1: expected no more events" in text
    document = report.as_json(results, "wrong-client {url}")
    assert document["groups"] == {"chat/openai": {"passed": 0, "failed": 1},
                                  "fault": {"passed": 0, "failed": 1}}
    assert document["scenarios"][0]["difference_index"] == 0


def test_an_interrupted_run_stops_every_client() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "{url}"]
    with subprocess.Popen([*SSEPROTO, "suite", "run", "--only", "fault", "--", *sleeper],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=ROOT) as process:
        time.sleep(2)  # four sleepers started
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=20)[1]
    assert process.returncode == 130 and err == "sseproto: interrupted\n"
    sleeping = [path for path in Path("/proc").glob("[0-9]*/cmdline")
                if b"time.sleep(60)" in _read(path)]
    assert sleeping == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile
        return b""
