"""The tools' static types (``mypy --strict tests/typing``): transcripts, the checker and
its timing, and the CLI's entry point."""

from __future__ import annotations

from typing import assert_type

from sseproto.check import Finding, Report, check
from sseproto.cli import main
from sseproto.tools.report_html import render_html
from sseproto.tools.timing import Timing
from sseproto.transcript import Redactor, Transcript, loads, redact

BODY = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n'


def test_check_and_its_parts() -> None:
    transcript = loads(BODY)
    assert_type(transcript, Transcript)
    assert_type(transcript.size, int)
    report = check(transcript, dialect="auto", source="x")
    assert_type(report, Report)
    assert_type(report.conforming, bool)
    assert_type(report.timing, Timing)
    assert_type(report.timing.ttfb, float | None)
    assert_type(report.timing.chunks, int)
    assert_type(report.findings, list[Finding])
    for finding in report.findings:
        assert_type(finding.offsets, tuple[int, ...])
        assert_type(finding.offset, int | None)
    assert_type(report.text(colour=False, terminal=False), str)
    assert_type(render_html(report, transcript), str)
    assert report.conforming and report.timing.ttfb is None


def test_redaction_and_the_cli() -> None:
    clean = redact(loads(BODY), ["secret-value"], redactor=Redactor.with_names(["X-Mine"]))
    assert_type(clean, Transcript)
    assert_type(main(["parse", "--sample"]), int)
