"""vcrpy cassettes: loaded as transcripts, and ``sseproto convert`` both ways, checked
against the real vcrpy reading and writing the same files."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from sseproto.transcript import load
from tests.tool_helpers import PACKAGE_SAMPLES, RawServer, cli, one_line, response, serving

vcr = pytest.importorskip("vcr")
requests = pytest.importorskip("requests")

TOOLS = PACKAGE_SAMPLES / "openai-tools.jsonl"


def parsed(path: Path | str) -> bytes:
    result = cli("parse", str(path), "--json")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_cassette_vcrpy_recorded_loads_and_converts(tmp_path: Path) -> None:
    cassette = tmp_path / "recorded.yaml"
    with serving(TOOLS) as url, vcr.use_cassette(str(cassette), record_mode="once"):
        answer = requests.post(url + "/v1/chat/completions", json={"stream": True}, timeout=30)
        assert answer.status_code == 200
    assert cassette.read_text().startswith("interactions:")
    assert parsed(cassette) == parsed(TOOLS)  # a cassette is accepted wherever a transcript is
    out = tmp_path / "from-cassette.jsonl"
    result = cli("convert", str(cassette), "-o", str(out))
    assert result.returncode == 0, result.stderr
    transcript = load(out)
    assert transcript.body == load(TOOLS).body and transcript.method == "POST"
    assert transcript.url.endswith("/v1/chat/completions")
    assert orjson.loads(transcript.request_body or b"null") == {"stream": True}
    assert parsed(out) == parsed(TOOLS)


def test_vcrpy_replays_a_cassette_convert_wrote(tmp_path: Path) -> None:
    cassette = tmp_path / "written.yaml"
    result = cli("convert", str(TOOLS), "-o", str(cassette))
    assert result.returncode == 0, result.stderr
    assert b"keeps no arrival times" in result.stderr
    url = load(TOOLS).url
    with vcr.use_cassette(str(cassette), record_mode="none"):
        answer = requests.post(url, json={"stream": True}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/event-stream"
    assert answer.content == load(TOOLS).body
    assert b"[REDACTED]" in cassette.read_bytes()  # the recorded Authorization stays redacted
    back = tmp_path / "back.jsonl"
    assert cli("convert", str(cassette), "-o", str(back)).returncode == 0
    assert parsed(back) == parsed(TOOLS)


def test_a_gzip_response_loads_whichever_form_vcrpy_kept(tmp_path: Path) -> None:
    body = (PACKAGE_SAMPLES / "openai-chat.sse").read_bytes()
    cassette = tmp_path / "gzip.yaml"
    compressed = gzip.compress(body)
    headers = [("Content-Type", "text/event-stream"), ("Content-Encoding", "gzip")]
    with RawServer(lambda _: response(compressed, headers=headers)) as srv, \
            vcr.use_cassette(str(cassette), record_mode="once"):
        assert requests.get(srv.url, timeout=30).content == body
    assert load(cassette).body == body
    assert parsed(cassette) == parsed(PACKAGE_SAMPLES / "openai-chat.sse")
    # A library that hands vcrpy the raw bytes leaves them compressed (!!binary).
    import yaml

    document = yaml.safe_load(cassette.read_text())
    document["interactions"][0]["response"]["body"]["string"] = compressed
    cassette.write_text(yaml.safe_dump(document))
    assert "!!binary" in cassette.read_text()
    assert load(cassette).body == body
    assert load(cassette).headers["content-encoding"] == "gzip"  # for check's lint


def test_cassette_entries(tmp_path: Path) -> None:
    cassette = tmp_path / "two.yaml"
    html = [("Content-Type", "text/html")]
    with RawServer(lambda r: response(b"<html></html>", headers=html) if b"GET /page" in r
                   else response((PACKAGE_SAMPLES / "openai-chat.sse").read_bytes())) as srv, \
            vcr.use_cassette(str(cassette), record_mode="all"):
        requests.get(srv.url + "/page", timeout=30)
        requests.get(srv.url + "/stream", timeout=30)
    assert cli("parse", str(cassette)).returncode == 0  # the event stream, not the page
    first = cli("parse", str(cassette), "--entry", "0")
    assert "not a stream: Content-Type is 'text/html'" in one_line(first, 1)
    assert "the cassette has 2 interactions" in one_line(
        cli("parse", str(cassette), "--entry", "5"), 2)


def test_a_broken_cassette_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("interactions:\n- request: [unclosed\n")
    assert "not a readable vcrpy cassette" in one_line(cli("parse", str(path)), 2)
