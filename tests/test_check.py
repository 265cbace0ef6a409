"""The conformance checker: findings, repairs, counts and the verdict."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from sseproto.check import Finding, Report, check
from sseproto.testing import chat_streams, malformed_chat_streams
from sseproto.transcript import Transcript, load, loads
from tests.helpers import ROOT
from tests.streams import OPENAI, SEED

TRANSCRIPTS = ROOT / "spec" / "transcripts"


def codes(report: Report) -> dict[str, str]:
    return {finding.code: finding.severity for finding in report.findings}


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    return orjson.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def sse(*frames: bytes, end: bytes = b"\n\n") -> bytes:
    return b"".join(b"data: " + frame + end for frame in frames)


GOOD = sse(chunk("a"), chunk("b"), chunk(None, "stop"), b"[DONE]")


def test_the_seed_is_not_conforming_and_every_repair_is_named() -> None:
    report = check(loads(SEED))
    assert not report.conforming
    assert report.verdict.startswith("NOT CONFORMING")
    found = codes(report)
    for code in ("missing-blank-line", "pretty-printed-frames", "dropped-line", "not-json"):
        assert found[code] == "error", code
    assert found["generated-text-differs"] == "warning"
    assert report.repairs["missing_blank_line"] == 2
    assert report.repairs["pretty_printed_frames"] == 2
    assert report.repairs["unprefixed_lines"] > 20
    assert report.dialect == "openai" and report.done
    assert report.counts == {"deltas": 2, "finals": 1, "done": 1}
    assert report.first_error is None
    dropped = next(f for f in report.findings if f.code == "dropped-line")
    assert dropped.offset == SEED.index(b'\n"id"') + 1  # the first un-prefixed JSON line
    assert dropped.count == report.repairs["unprefixed_lines"]


def test_a_conforming_openai_stream() -> None:
    report = check(loads(OPENAI))
    assert report.conforming and report.findings == []
    assert report.verdict == "CONFORMING (0 errors, 0 warnings)"
    assert report.counts == {"deltas": 16, "finals": 1, "done": 1}
    assert report.dialect == "openai" and report.done and report.repairs == {}


@pytest.mark.parametrize(
    ("name", "conforming", "counts"),
    [
        ("prediction-guard", False, {"deltas": 2, "finals": 1, "done": 1}),
        ("openai-tools", True, {"deltas": 11, "finals": 1, "done": 1}),
        ("vllm-error-midway", False, {"deltas": 6, "stream_errors": 1}),
    ],
)
def test_sample_transcripts(name: str, conforming: bool, counts: dict[str, int]) -> None:
    report = check(load(TRANSCRIPTS / f"{name}.jsonl"))
    assert report.source == "transcript"
    assert report.conforming is conforming
    assert report.counts == counts
    if name == "vllm-error-midway":
        # no truncated noise: the error is why it ended
        assert codes(report) == {"stream-error": "error", "no-cache-control": "info"}
        assert not report.done and "CUDA out of memory" in report.findings[-1].message


def test_the_check_does_not_depend_on_the_chunking() -> None:
    whole = check(loads(SEED)).as_dict()
    split = Transcript(chunks=[(i / 100, SEED[i : i + 7]) for i in range(0, len(SEED), 7)],
                       source="raw")
    chunked = check(split).as_dict()
    assert chunked["timing"]["chunks"] == len(split.chunks)
    assert {**chunked, "timing": whole["timing"]} == {**whole, "source": "raw"}


def test_response_head_findings() -> None:
    transcript = Transcript(chunks=[(0.0, GOOD)], status=500,
                            headers={"content-type": "application/json"})
    found = codes(check(transcript))
    assert found["status"] == "error" and found["content-type"] == "error"
    # A bare body has no head to check.
    assert "content-type" not in codes(check(loads(GOOD)))
    ndjson = Transcript(chunks=[(0.0, b'{"message":{"content":"a"},"done":true}\n')],
                        headers={"content-type": "application/x-ndjson"})
    assert check(ndjson).conforming


def test_empty_body() -> None:
    report = check(Transcript())
    assert codes(report) == {"empty": "error", "no-cache-control": "info"}
    assert not report.conforming


@pytest.mark.parametrize(
    ("body", "code", "severity"),
    [
        (b"\xef\xbb\xbf" + GOOD, "bom", "warning"),
        (GOOD.replace(b"\n\n", b"\r\n\r\n", 1), "mixed-line-endings", "warning"),
        (b"retry: 1s\n" + GOOD, "bad-retry", "warning"),
        (b"id: a\x00b\n" + GOOD, "nul-in-id", "warning"),
        (b"event: ping\n\n" + GOOD, "block-without-data", "info"),
        (GOOD + b'data: {"late": 1}\n\n', "after-done", "error"),
        (sse(chunk("a"), chunk(None, "stop")), "truncated", "error"),
        (sse(chunk("a")), "truncated", "error"),
        (GOOD[:-2], "unterminated-last-block", "warning"),
        (GOOD[:-1], "unterminated-last-block", "warning"),
        (sse(chunk("a")) + b'data: {"choi', "dropped-partial-frame", "error"),
        (sse(chunk("a"), chunk("b"), end=b"\n") + b"data: [DONE]\n\n",
         "missing-blank-line", "error"),
        (b"data: {\n\n" + b'"choices": []}\n\n' + GOOD, "blank-line-in-json", "error"),
        (GOOD.replace(b'"a"', b'"a\xff"'), "invalid-utf8", "error"),
        (sse(b"not json") + GOOD, "not-json", "error"),
        (sse(b"not json") + GOOD, "skipped-malformed", "error"),
        (b'event: error\ndata: {"error": {"message": "boom", "type": "x"}}\n\n',
         "stream-error", "error"),
        (sse(orjson.dumps({"choices": [{"index": 0, "delta": {"content": "a"},
                                        "generated_text": "b", "finish_reason": "stop"}]}),
             b"[DONE]"), "generated-text-differs", "warning"),
    ],
)
def test_findings(body: bytes, code: str, severity: str) -> None:
    report = check(loads(body))
    found = codes(report)
    assert found.get(code) == severity, report.text()
    assert report.conforming is not any(s == "error" for s in found.values())


def test_a_bom_alone_keeps_the_stream_conforming() -> None:
    report = check(loads(b"\xef\xbb\xbf" + OPENAI))
    assert report.conforming, report.text()
    assert codes(report) == {"bom": "warning"}


def test_offsets_point_at_the_problem() -> None:
    body = GOOD.replace(b'"b"', b'"b\xff"')
    report = check(loads(b"retry: x\n" + body))
    by_code = {f.code: f for f in report.findings}
    assert by_code["bad-retry"].offset == 0
    assert by_code["invalid-utf8"].offset == len(b"retry: x\n") + body.index(b"\xff")
    late = GOOD + b'data: {"late": 1}\n\n'
    after = next(f for f in check(loads(late)).findings if f.code == "after-done")
    assert after.offset is not None and after.offset > late.index(b"[DONE]")


def test_an_undecodable_stream_is_reported_not_raised() -> None:
    report = check(loads(b"data: nope\n\n"))
    assert not report.conforming
    assert report.first_error is not None and "byte 0" in report.first_error
    assert report.counts == {} and not report.done


def test_report_forms() -> None:
    report = check(loads(SEED), source="seed.sse")
    document = orjson.loads(orjson.dumps(report.as_dict()))
    assert document["source"] == "seed.sse" and document["conforming"] is False
    assert document["verdict"] == report.verdict
    assert {"code", "severity", "message", "offset", "offsets", "count"} <= set(
        document["findings"][0])
    text = report.text()
    assert text.splitlines()[0] == "source: seed.sse"
    assert text.splitlines()[-1] == f"verdict: {report.verdict}"
    assert "repairs: missing_blank_line 2" in text and "ERROR   dropped-line: lines that" in text
    assert "(at bytes 8, " in text
    assert Finding("x", "info", "m").as_dict() == {"code": "x", "severity": "info",
                                                   "message": "m", "offset": None,
                                                   "offsets": [], "count": 1}


def test_an_explicit_dialect() -> None:
    report = check(loads(OPENAI), dialect="openai")
    assert report.conforming and report.dialect == "openai"


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(case=chat_streams())
def test_the_verdict_follows_the_wire_form(case: object) -> None:
    from sseproto.testing import ChatStreamCase

    assert isinstance(case, ChatStreamCase)
    report = check(loads(case.data))
    valid_sse = case.form in ("conforming", "conforming-crlf", "split-data-lines")
    assert report.conforming is valid_sse, (case.form, report.text())
    assert report.done


@SETTINGS
@given(data=malformed_chat_streams())
def test_check_never_raises(data: bytes) -> None:
    report = check(loads(data))
    orjson.dumps(report.as_dict())
    assert report.text().endswith(report.verdict)
