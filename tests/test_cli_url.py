"""``parse --url`` (sseproto's Client as the client under test) and ``parse --sample``."""

from __future__ import annotations

import orjson
import pytest

from tests.tool_helpers import PACKAGE_SAMPLES, cli, one_line, serving

TOOLS = PACKAGE_SAMPLES / "openai-tools.jsonl"


def events(stdout: bytes) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_parse_url_prints_the_chat_events_as_parse_json_does() -> None:
    offline = cli("parse", str(TOOLS), "--json")
    with serving(TOOLS) as url:
        live = cli("parse", "--url", url + "/v1/chat/completions", "--json")
        posted = cli("parse", "--url", url + "/v1/chat/completions", "--json",
                     "--data", '{"model": "m", "stream": true}')
    assert offline.returncode == live.returncode == posted.returncode == 0, live.stderr
    assert live.stdout == offline.stdout == posted.stdout
    assert live.stderr == b""
    assert [e["type"] for e in events(live.stdout)][-2:] == ["final", "done"]


def test_parse_url_sse_prints_raw_events() -> None:
    with serving(TOOLS) as url:
        result = cli("parse", "--url", url + "/x?y=1", "--sse", "--json")
    assert result.returncode == 0, result.stderr
    lines = events(result.stdout)
    assert lines[-1] == {"type": "event", "event": "message", "data": "[DONE]", "id": None}
    assert all(set(line) == {"type", "event", "data", "id"} for line in lines)


@pytest.mark.parametrize(
    ("fault", "message"),
    [("cut:300", "IncompleteStream"), ("status:429", "HTTP 429"),
     ("reset:300", "TransportError"), ("status:500", "HTTP 500")],
)
@pytest.mark.parametrize("mode", [[], ["--sse"]])
def test_parse_url_failures_exit_1_with_one_line(fault: str, message: str,
                                                  mode: list[str]) -> None:
    with serving(TOOLS, fault) as url:
        result = cli("parse", "--url", url + "/v1/chat/completions", "--json", *mode)
    assert message in one_line(result, 1)
    offline = cli("parse", str(TOOLS), "--json", *mode).stdout
    assert offline.startswith(result.stdout)  # what arrived before the failure was printed


def test_parse_url_in_stream_error_exits_1() -> None:
    with serving(PACKAGE_SAMPLES / "vllm-error-midway.jsonl") as url:
        result = cli("parse", "--url", url + "/", "--json")
    assert "CUDA out of memory" in one_line(result, 1)
    assert events(result.stdout)[-1]["type"] == "error"


def test_parse_url_refused_connection_exits_1() -> None:
    with serving(TOOLS) as url:
        pass  # the server is gone: its port refuses
    assert "ConnectError" in one_line(cli("parse", "--url", url + "/"), 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--url", "ftp://x/"], "not an http"),
     (["--url", "http://127.0.0.1:9/", "--data", "{nope"], "--data is not valid JSON"),
     (["--data", "{}", "-"], "--data goes with --url"),
     (["--url", "http://127.0.0.1:9/", "--dialect", "zz"], "unknown dialect"),
     (["--url", "http://127.0.0.1:9/", "--cacert", "/no/such.pem"], "cannot load --cacert"),
     (["-", "--sample", "x"], "give exactly one of FILE, --url URL or --sample NAME")],
)
def test_parse_url_usage_errors_exit_2(args: list[str], message: str) -> None:
    assert message in one_line(cli("parse", *args), 2)


def test_sample_lists_and_decodes_the_bundled_samples() -> None:
    listing = cli("parse", "--sample")
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.decode().splitlines()]
    assert names == sorted(p.name for p in PACKAGE_SAMPLES.iterdir() if p.is_file())
    result = cli("parse", "--sample", "prediction-guard")
    assert result.returncode == 0 and result.stdout.startswith(b" past\nThanks, I try")
    assert b"notice: the server's generated_text differs" in result.stderr
    by_file = cli("parse", "--sample", "openai-chat.sse")
    assert by_file.returncode == 0 and by_file.stdout.startswith(b"Hello!")
    assert "no sample called 'nope'" in one_line(cli("parse", "--sample", "nope"), 2)


@pytest.mark.parametrize("mode", [[], ["--sse"]])
def test_parse_url_wrong_content_type_exits_1(mode: list[str]) -> None:
    from tests.tool_helpers import RawServer, response

    body = b'{"choices": [{"message": {"content": "hi"}}]}'
    with RawServer(lambda _: response(body, headers=[("Content-Type", "application/json")])
                   ) as srv:
        result = cli("parse", "--url", srv.url + "/v1/chat/completions", *mode)
    assert "expected a text/event-stream response" in one_line(result, 1)
    assert result.stdout in (b"", b"\n")
