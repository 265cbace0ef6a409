"""``check``: timing, buffered delivery, header lint, integrity, offsets, plurals, colour,
the HTML report and many files at once."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest

from sseproto.check import Report, check
from sseproto.tools.batch import check_bytes
from sseproto.tools.report_html import render_html
from sseproto.tools.timing import sparkline
from sseproto.transcript import Transcript, loads
from tests.tool_helpers import PACKAGE_SAMPLES, cli, environment, read_terminal

STREAM = {"content-type": "text/event-stream", "cache-control": "no-cache"}


def frame(content: str | None = None, finish: str | None = None,
          tool_calls: list[dict[str, object]] | None = None) -> bytes:
    delta: dict[str, object] = {} if content is None else {"content": content}
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return b"data: " + orjson.dumps({"choices": [{"index": 0, "delta": delta,
                                                  "finish_reason": finish}]}) + b"\n\n"


WORDS = [f" w{i}" for i in range(20)]
END = frame(None, "stop") + b"data: [DONE]\n\n"


def timed(times: list[float], *, headers: dict[str, str] | None = None,
          end: bytes = END) -> Transcript:
    """One word per chunk at the given times; the end marker rides on the last chunk."""
    chunks = [(t, frame(w)) for t, w in zip(times, WORDS, strict=False)]
    chunks[-1] = (chunks[-1][0], chunks[-1][1] + end)
    return Transcript(chunks=chunks, headers=headers or STREAM)


def codes(report: Report) -> dict[str, str]:
    return {f.code: f.severity for f in report.findings}


# --- timing ------------------------------------------------------------------------


def test_steady_stream_timing() -> None:
    report = check(timed([0.2 + 0.05 * i for i in range(20)]))
    assert report.conforming and codes(report) == {}, report.text()
    t = report.timing.as_dict()
    assert t["ttfb"] == pytest.approx(0.2) and t["first_content"] == pytest.approx(0.2)
    assert t["total"] == pytest.approx(1.15) and t["chunks"] == 20
    assert t["gap_p50"] == pytest.approx(0.05) and t["gap_max"] == pytest.approx(0.05)
    # 20 words of 3 or 4 characters over 0.95 s
    assert t["content_rate"] == pytest.approx(sum(map(len, WORDS)) / 0.95)
    text = report.text()
    assert "timing: first byte 0.200 s, first content 0.200 s, total 1.150 s, 20 chunks" in text
    assert "gaps: p50 0.050 s, p95 0.050 s, max 0.050 s; content rate 73.7 characters/s" in text


def test_a_buffered_burst_is_named() -> None:
    report = check(timed([4.0] + [4.0 + 0.001 * i for i in range(1, 20)]))
    found = next(f for f in report.findings if f.code == "buffered-delivery")
    assert found.severity == "warning" and "after 4.00 s of silence" in found.message
    assert "Content-Encoding" in found.message and "X-Accel-Buffering" in found.message


def test_a_fast_stream_after_a_silent_prefill_is_not_a_burst() -> None:
    """A reasoning model thinks for 20 s, then streams a token every 10 ms: not buffered."""
    body = [frame(f" t{i}") for i in range(150)]
    chunks = [(20.0 + 0.01 * i, data) for i, data in enumerate(body)]
    chunks[-1] = (chunks[-1][0], chunks[-1][1] + END)
    report = check(Transcript(chunks=chunks, headers=STREAM))
    assert "buffered-delivery" not in codes(report), report.text()
    # The same content packed 30 events to a read by a proxy buffer is.
    packed = [(21.0 + 0.001 * i, b"".join(body[i * 30 : (i + 1) * 30])) for i in range(5)]
    packed[-1] = (packed[-1][0], packed[-1][1] + END)
    assert "buffered-delivery" in codes(check(Transcript(chunks=packed, headers=STREAM)))


def test_everything_in_one_chunk_is_a_burst() -> None:
    body = b"".join(frame(w) for w in WORDS) + END
    report = check(Transcript(chunks=[(2.5, body)], headers=STREAM))
    assert "buffered-delivery" in codes(report)
    assert report.timing.gap_p50 is None and report.timing.chunks == 1


def test_a_stall_is_timing_not_buffering() -> None:
    times = [0.1 + 0.05 * i for i in range(10)] + [5.0 + 0.05 * i for i in range(10)]
    report = check(timed(times))
    assert "buffered-delivery" not in codes(report)
    assert report.timing.gap_max == pytest.approx(5.0 - 0.55)
    assert report.timing.gap_p95 == pytest.approx(5.0 - 0.55)
    assert report.timing.gap_p50 == pytest.approx(0.05)


def test_inputs_without_timing_say_so() -> None:
    report = check(loads((PACKAGE_SAMPLES / "openai-chat.sse").read_bytes()))
    assert set(report.timing.as_dict().values()) == {None, 1}
    assert "timing: none recorded (1 chunk;" in report.text()


def test_sparkline_scales_to_the_largest_gap() -> None:
    assert sparkline([0.1, 0.1, 1.0]) == "▁▁█"
    assert len(sparkline([0.01] * 1000)) == 59  # grouped to at most 60 columns
    assert sparkline([]) == ""


# --- header lint -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code", "severity"),
    [({**STREAM, "content-encoding": "gzip"}, "content-encoding", "warning"),
     ({**STREAM, "content-length": "1234"}, "content-length", "warning"),
     ({"content-type": "text/event-stream"}, "no-cache-control", "info"),
     ({**STREAM, "content-type": "application/json"}, "content-type", "error"),
     ({**STREAM, "content-type": "text/html; charset=utf-8"}, "content-type", "error")],
)
def test_header_lint(headers: dict[str, str], code: str, severity: str) -> None:
    report = check(timed([0.1 * i for i in range(1, 21)], headers=headers))
    assert codes(report) == {code: severity}


def test_a_good_head_has_no_lint() -> None:
    headers = {**STREAM, "cache-control": "no-cache, no-transform", "x-accel-buffering": "no"}
    assert codes(check(timed([0.1 * i for i in range(1, 21)], headers=headers))) == {}


# --- integrity ---------------------------------------------------------------------


def call(index: int, **fields: object) -> dict[str, object]:
    return {"index": index, **fields}


@pytest.mark.parametrize(
    ("body", "code", "severity"),
    [(frame("a") + frame("b"), "truncated", "error"),
     (frame("a") + frame(None, "stop"), "truncated", "error"),
     (frame(None, tool_calls=[call(0, id="c1", function={"name": "f", "arguments": '{"a":'})])
      + END, "invalid-tool-arguments", "error"),
     (frame(None, tool_calls=[call(0, function={"name": "f", "arguments": "{}"})])
      + END, "incomplete-tool-call", "warning"),
     (frame(None, tool_calls=[call(0, id="c1", function={"arguments": "{}"})])
      + END, "incomplete-tool-call", "warning"),
     (frame("a") + b'data: {"error": {"message": "overloaded", "type": "server"}}\n\n',
      "stream-error", "error"),
     (frame("a") + END[:-1], "unterminated-last-block", "warning"),
     (b"", "empty", "error")],
)
def test_integrity_findings(body: bytes, code: str, severity: str) -> None:
    report = check(Transcript(chunks=[(0.1, body)] if body else [], headers=STREAM))
    assert codes(report).get(code) == severity, report.text()
    assert report.conforming is (severity != "error")


def test_truncated_points_at_the_end() -> None:
    body = frame("a") + frame("b")
    found = next(f for f in check(loads(body)).findings if f.code == "truncated")
    assert found.offsets == (len(body),)


def test_json_that_is_not_a_stream_says_so() -> None:
    document = orjson.dumps({"choices": [{"message": {"content": "hi"}}]},
                            option=orjson.OPT_INDENT_2)
    report = check(loads(document))
    assert any("whole chat completion" in f.message for f in report.findings), report.text()
    result = cli("parse", "-", stdin=document)
    assert result.returncode == 1 and b"not a stream" in result.stderr


# --- repeated findings, plurals, JSON and colour ------------------------------------


def test_every_offset_of_a_repeated_finding_first_five_and_a_count() -> None:
    lines = b"".join(b"bogus line %d\n" % i for i in range(12))
    body = frame("a") + lines + b"\n" + END
    found = next(f for f in check(loads(body)).findings if f.code == "dropped-line")
    starts = [body.index(b"bogus line %d\n" % i) for i in range(12)]
    assert found.offsets == tuple(starts[:5]) and found.count == 12
    assert found.where() == "at bytes " + ", ".join(map(str, starts[:5])) + " and 7 more"


def test_plurals_read_as_english() -> None:
    text = check(loads(frame("a") + b'data: {"error": {"message": "x"}}\n\n')).text()
    assert "events: 1 delta, 1 stream error;" in text
    assert "(1 error, 0 warnings)" in text
    assert "events: none;" in check(loads(b": nothing\n\n")).text()


def test_json_counts_agree_with_the_verdict() -> None:
    body = frame("a") + b"bogus\n\n" + b'data: {"error": {"message": "x"}}\n\n'
    result = cli("check", "-", "--json", stdin=body)
    document = orjson.loads(result.stdout)
    errors = sum(f["severity"] == "error" for f in document["findings"])
    assert document["findings_by_severity"]["error"] == errors
    assert f"({errors} errors," in document["verdict"] and result.returncode == 1
    assert document["counts"] == {"deltas": 1, "stream_errors": 1}
    assert set(document["timing"]) == {"ttfb", "first_content", "total", "chunks", "gap_p50",
                                       "gap_p95", "gap_max", "content_rate"}


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal; return what it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "sseproto", *args], stdout=follower,
                               stderr=subprocess.DEVNULL, env=environment(env))
    os.close(follower)
    output = read_terminal(leader)
    process.wait(timeout=30)
    os.close(leader)
    return output.decode()


def test_colour_and_sparkline_on_a_terminal_only(tmp_path: Path) -> None:
    path = tmp_path / "steady.jsonl"
    timed([0.2 + 0.05 * i for i in range(19)] + [2.0]).save(path)
    coloured = run_on_a_terminal(["check", str(path)], {})
    assert "\x1b[32mCONFORMING" in coloured and "gaps: ▁" in coloured
    plain = run_on_a_terminal(["check", str(path)], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "gaps: ▁" in plain
    piped = cli("check", str(path)).stdout.decode()
    assert "\x1b[" not in piped and "▁" not in piped


# --- the HTML report ---------------------------------------------------------------


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def stalled() -> Transcript:
    times = [0.3 + 0.05 * i for i in range(10)] + [3.0 + 0.05 * i for i in range(10)]
    return timed(times, headers={"content-type": "text/event-stream",
                                 "content-encoding": "gzip"}, end=b"bogus\n\n")


def test_the_html_report_is_self_contained_with_an_svg_timeline() -> None:
    transcript = stalled()
    page = Page()
    page.feed(render_html(check(transcript, source="stalled.jsonl"), transcript))
    assert page.external == [] and "script" not in page.tags
    assert page.tags.count("svg") == 1 and "path" in page.tags and "rect" in page.tags
    text = "".join(page.text)
    assert "NOT CONFORMING" in text and "time to first byte" in text
    assert "content-encoding" in text and "truncated" in text and "dropped-line" in text
    body = transcript.body
    assert f"byte {body.index(b'bogus')}" in text  # the offset and its bytes
    assert "bogus" in text


def test_check_html_writes_the_report(tmp_path: Path) -> None:
    path, report = tmp_path / "stalled.jsonl", tmp_path / "report.html"
    stalled().save(path)
    result = cli("check", str(path), "--html", str(report))
    assert result.returncode == 1 and report.read_text().startswith("<!doctype html>")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    path, page, png = tmp_path / "s.jsonl", tmp_path / "report.html", tmp_path / "report.png"
    stalled().save(path)
    cli("check", str(path), "--html", str(page))
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        f"--screenshot={png}", "--window-size=1200,1400", page.as_uri()],
                       capture_output=True, timeout=120, check=False)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page, not a blank


# --- many files --------------------------------------------------------------------


def test_check_a_directory_with_jobs(tmp_path: Path) -> None:
    for name in ("openai-tools.jsonl", "openai-chat.sse"):
        shutil.copy(PACKAGE_SAMPLES / name, tmp_path / name)
    good = cli("check", str(tmp_path), "--jobs", "2")
    assert good.returncode == 0, good.stdout
    table = good.stdout.decode().splitlines()
    assert table[0].split()[:3] == ["file", "verdict", "dialect"]
    assert len(table) == 4 and table[-1] == "2 files: 2 conforming, 0 not conforming,"\
        " 0 unreadable"
    shutil.copy(PACKAGE_SAMPLES / "vllm-error-midway.jsonl", tmp_path / "error.jsonl")
    bad = cli("check", str(tmp_path), "--jobs", "2", "--json")
    document = orjson.loads(bad.stdout)
    assert bad.returncode == 1 and document["not_conforming"] == 1 and document["files"] == 3
    (tmp_path / "future.jsonl").write_text('{"sseproto": "transcript", "version": 2}\n')
    unreadable = cli("check", str(tmp_path), "--jobs", "2")
    assert unreadable.returncode == 2 and b"UNREADABLE" in unreadable.stdout


def test_the_per_file_check_is_a_pure_function_of_the_bytes() -> None:
    data = (PACKAGE_SAMPLES / "prediction-guard.jsonl").read_bytes()
    first = check_bytes(data, source="x").as_dict()
    assert check_bytes(data, source="x").as_dict() == first
