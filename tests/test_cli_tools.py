"""The record / replay / check / serve commands, run as a user would (python -m sseproto)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from sseproto import ChatStreamDecoder, Final
from sseproto.cli import main
from sseproto.server import ReceivedRequest, ReplayServer, Route
from sseproto.transcript import REDACTED, Transcript, load
from tests.helpers import ROOT
from tests.streams import SEED, closed_port, stream

SAMPLES = ROOT / "spec" / "samples"
TRANSCRIPTS = ROOT / "spec" / "transcripts"
COMMANDS = ["parse", "replay", "check", "record", "serve"]
ENV_KEY = "sk-env-3c9f1d2e7a5b"
HEADER_KEY = "sekrit"
GENERATED = next(event.generated_text for event in ChatStreamDecoder().feed(SEED)
                 if isinstance(event, Final))
SEED_TEXT = " past\n" + GENERATED + "\n"
SEED_NOTICE = (b"sseproto: notice: the server's generated_text differs from the joined deltas;"
               b" it was printed after them (--json shows both)\n")


def cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("SSEPROTO_API_KEY", "PREDICTIONGUARD_API_KEY")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "sseproto", *args], input=stdin,
                          capture_output=True, timeout=30, check=False, env=environment,
                          cwd=ROOT)


def one_line_error(result: subprocess.CompletedProcess[bytes], code: int = 2) -> str:
    err = result.stderr.decode()
    assert result.returncode == code, (result.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


# --- record -> replay -> parse -> check, end to end -----------------------------------


def test_record_replay_parse_check(tmp_path: Path, sse_server: Any) -> None:
    out = tmp_path / "pg.jsonl"
    body = {"model": "Hermes-2-Pro-Llama-3-8B", "stream": True,
            "messages": [{"role": "user", "content": "tell me a joke"}]}
    srv = sse_server(stream(SEED), speed=1)
    result = cli("record", srv.url + "/chat/completions", "--json", orjson.dumps(body).decode(),
                 "-o", str(out), "--header", f"X-Api-Key: {HEADER_KEY}",
                 env={"SSEPROTO_API_KEY": ENV_KEY})
    request = srv.requests[0]
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert result.stderr.decode() == (f"sseproto: saved {len(load(out).chunks)} chunks,"
                                      f" {len(SEED)} bytes, status 200 to {out}\n")
    # What went out: the key from the environment, the extra header, the JSON body.
    assert request.method == "POST" and request.path == "/chat/completions"
    assert request.headers["authorization"] == f"Bearer {ENV_KEY}"
    assert request.headers["x-api-key"] == HEADER_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json == body

    # What was saved: no secret, the whole body, the chunking and timing.
    data = out.read_bytes()
    for secret in (ENV_KEY, HEADER_KEY):
        assert secret.encode() not in data
        assert base64.b64encode(secret.encode()) not in data
    head = orjson.loads(data.splitlines()[0])
    assert head["request"]["headers"]["authorization"] == REDACTED
    assert head["request"]["headers"]["x-api-key"] == REDACTED
    assert head["request"]["url"] == srv.url + "/chat/completions"
    assert head["response"]["status"] == 200
    transcript = load(out)
    assert transcript.body == SEED
    assert len(transcript.chunks) > 10  # one per chunk the server wrote (or a few together)
    offsets = [offset for offset, _ in transcript.chunks]
    assert offsets == sorted(offsets) and offsets[-1] > 0

    # replay: the same text, however the bytes are cut.
    outputs = {split: cli("replay", str(out), "--split", split, "--seed", "3")
               for split in ("recorded", "whole", "bytes", "random")}
    for split, replayed in outputs.items():
        assert replayed.returncode == 0 and replayed.stderr == SEED_NOTICE, split
        assert replayed.stdout.decode() == SEED_TEXT, split

    parsed = cli("parse", str(out), "--json")
    assert parsed.returncode == 0, parsed.stderr
    events = [orjson.loads(line) for line in parsed.stdout.splitlines()]
    assert [event["type"] for event in events] == ["delta", "delta", "final", "done"]
    assert events[0]["content"] == " past"
    assert events[2]["generated_text"] == GENERATED and events[2]["finish_reason"] == "stop"

    checked = cli("check", str(out))
    assert checked.returncode == 1
    assert checked.stderr.startswith(f"sseproto: {out} does not conform: NOT CONFORMING".encode())
    report = checked.stdout.decode()
    for code in ("missing-blank-line", "pretty-printed-frames", "dropped-line"):
        assert code in report
    assert "NOT CONFORMING" in report


def test_recorded_secret_echoes_are_scrubbed(tmp_path: Path) -> None:
    """A server that echoes the key, a byte at a time and in base64, leaks nothing."""

    def echo(request: ReceivedRequest) -> Route:
        auth = request.headers["authorization"]
        echoed = (f": you sent {auth} and {request.headers['x-api-key']}\n"
                  f": b64 {base64.b64encode(auth.encode()).decode()}\n").encode()
        return Route(Transcript(chunks=[*stream(echoed, sizes=(1, 2, 3)).chunks,
                                        *stream(SEED).chunks]))

    out = tmp_path / "echo.jsonl"
    with ReplayServer(None, router=echo) as srv:
        result = cli("record", srv.url, "--data", "{}", "-o", str(out),
                     "--header", f"X-Api-Key: {HEADER_KEY}", env={"SSEPROTO_API_KEY": ENV_KEY})
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    for secret in (ENV_KEY, HEADER_KEY, f"Bearer {ENV_KEY}"):
        assert secret.encode() not in data
        assert base64.b64encode(secret.encode()) not in data
    transcript = load(out)
    assert ENV_KEY.encode() not in transcript.body
    assert transcript.body.startswith(b": you sent [REDACTED] and [REDACTED]\n")
    assert transcript.body.endswith(SEED)
    replayed = cli("replay", str(out))
    assert replayed.stdout.decode() == SEED_TEXT


def test_record_with_data_file_and_method(tmp_path: Path, sse_server: Any) -> None:
    payload = tmp_path / "body.json"
    payload.write_bytes(b'{"prompt": "hi"}')
    out = tmp_path / "t.jsonl"
    srv = sse_server(stream(SEED), speed=1)
    result = cli("record", srv.url + "/v1/x", "--data", f"@{payload}", "--method", "PUT",
                 "--header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "-o", str(out),
                 env={"SSEPROTO_API_KEY": ENV_KEY})
    request = srv.requests[0]
    assert result.returncode == 0, result.stderr
    assert request.method == "PUT" and request.body == b'{"prompt": "hi"}'
    # An explicit Authorization header wins over the environment.
    assert request.headers["authorization"] == "Basic dXNlcjpwYXNzd29yZA=="
    data = out.read_bytes()
    assert b"dXNlcjpwYXNzd29yZA" not in data and ENV_KEY.encode() not in data


def test_record_without_a_body_is_a_get(tmp_path: Path, sse_server: Any) -> None:
    out = tmp_path / "t.jsonl"
    srv = sse_server(stream(SEED), speed=1)
    result = cli("record", srv.url + "/events", "-o", str(out))
    request = srv.requests[0]
    assert result.returncode == 0, result.stderr
    assert request.method == "GET" and request.body == b""
    assert "authorization" not in request.headers
    assert load(out).body == SEED


def test_record_connection_refused_is_one_line_exit_1(tmp_path: Path) -> None:
    result = cli("record", f"http://127.0.0.1:{closed_port()}/", "-o", str(tmp_path / "x"))
    assert "ConnectError" in one_line_error(result, 1)
    assert not (tmp_path / "x").exists()


def test_record_to_an_unwritable_file_is_a_user_error(tmp_path: Path, sse_server: Any) -> None:
    srv = sse_server(stream(SEED))
    result = cli("record", srv.url, "-o", str(tmp_path / "no" / "dir" / "t.jsonl"))
    assert "cannot write" in one_line_error(result)


# --- replay and parse -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["prediction-guard", "openai-tools", "vllm-error-midway"])
def test_replay_is_the_same_for_every_split(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(TRANSCRIPTS / f"{name}.jsonl")
    outputs = []
    for split in ("recorded", "whole", "bytes", "random"):
        for seed in ("3", "11"):
            code = main(["replay", path, "--split", split, "--seed", seed, "--json"])
            assert code == (1 if name == "vllm-error-midway" else 0)
            outputs.append(capsys.readouterr().out)
    assert len(set(outputs)) == 1
    types = [orjson.loads(line)["type"] for line in outputs[0].splitlines()]
    assert types[-1] == ("error" if name == "vllm-error-midway" else "done")


def test_replay_sse_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(SAMPLES / "openai-chat.sse"), "--sse", "--split", "bytes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 18 and lines[-1] == "[message] [DONE]"


def test_parse_reads_a_raw_http_response_from_stdin() -> None:
    body = (SAMPLES / "openai-chat.sse").read_bytes()
    capture = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    result = cli("parse", "-", stdin=capture)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == (
        "Hello! Server-Sent Events stream one token at a time — 好 🙂\n")


def test_parse_a_har_file(tmp_path: Path) -> None:
    har = tmp_path / "capture.har"
    har.write_bytes(orjson.dumps({"log": {"entries": [{"request": {"method": "POST"},
                                  "response": {"status": 200, "content": {
                                      "mimeType": "text/event-stream",
                                      "text": base64.b64encode(SEED).decode(),
                                      "encoding": "base64"}}}]}}))
    result = cli("parse", str(har))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == SEED_TEXT


# --- check ----------------------------------------------------------------------------


def test_check_exit_codes() -> None:
    good = cli("check", str(SAMPLES / "openai-chat.sse"))
    assert good.returncode == 0 and good.stderr == b""
    assert good.stdout.decode().splitlines()[-1] == "verdict: CONFORMING (0 errors, 0 warnings)"
    bad = cli("check", str(SAMPLES / "prediction-guard.sse"))
    assert bad.returncode == 1 and bad.stderr.count(b"\n") == 1
    assert b"does not conform: NOT CONFORMING (4 errors, 1 warning)" in bad.stderr
    assert "NOT CONFORMING" in bad.stdout.decode()
    from_stdin = cli("check", "-", stdin=SEED)
    assert from_stdin.returncode == 1 and from_stdin.stdout.startswith(b"source: -\n")


@pytest.mark.parametrize(("sample", "conforming"), [("openai-chat.sse", True),
                                                    ("prediction-guard.sse", False)])
def test_check_json(sample: str, conforming: bool) -> None:
    result = cli("check", str(SAMPLES / sample), "--json")
    assert result.returncode == (0 if conforming else 1)
    report = orjson.loads(result.stdout)
    assert report["conforming"] is conforming
    assert report["source"] == str(SAMPLES / sample)
    assert set(report) >= {"verdict", "dialect", "done", "counts", "repairs", "findings",
                           "first_error"}
    if not conforming:
        found = {finding["code"] for finding in report["findings"]}
        assert {"missing-blank-line", "pretty-printed-frames", "dropped-line"} <= found


def test_check_a_transcript_with_an_error_status(tmp_path: Path) -> None:
    path = tmp_path / "429.jsonl"
    Transcript(chunks=[(0.0, b'{"error": {"message": "slow down"}}')], status=429,
               reason="Too Many Requests",
               headers={"content-type": "application/json"}).save(path)
    result = cli("check", str(path), "--json")
    assert result.returncode == 1
    found = {finding["code"] for finding in orjson.loads(result.stdout)["findings"]}
    assert {"status", "content-type"} <= found


# --- help and user errors ---------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0 and result.stderr == b""
    help_text = result.stdout.decode()
    assert "examples:" in help_text
    assert f"  sseproto {command} " in help_text


def test_top_level_help_and_version() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout.decode()
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith(b"sseproto ")


BAD_LINE = (b'{"sseproto":"transcript","version":1,"request":{},"response":{}}\n'
            b'{"t":0,"text":"data: [DONE]\\n\\n"}\n{"t":0.1,"text":"cut\n')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "/no/such/file"], "cannot read /no/such/file"),
        (["replay", "/no/such/file"], "cannot read /no/such/file"),
        (["check", "/no/such/file"], "cannot read /no/such/file"),
        (["serve", "/no/such/file"], "cannot read /no/such/file"),
        (["check", "spec/samples", "--html", "x.html"], "--html writes the report of one"),
        (["serve", "spec/samples/openai-chat.sse", "--fault", "nope"], "bad fault 'nope'"),
        (["serve", "spec/samples/openai-chat.sse", "--fault", "cut:-3"], "bad fault"),
        (["serve", "spec/samples/openai-chat.sse", "--tls"], "--tls needs --cert"),
        (["serve", "spec/samples/openai-chat.sse", "--tls", "--cert", "/no/cert",
          "--key", "/no/key"], "cannot load the certificate"),
        (["serve", "spec/samples/openai-chat.sse", "--port", "99999"], "cannot listen"),
        (["serve", "spec/samples/openai-chat.sse", "--port", "x"], "invalid int value"),
        (["record", "http://127.0.0.1:9/", "--json", "{bad", "-o", "/tmp/never"],
         "--json is not valid JSON"),
        (["record", "http://127.0.0.1:9/", "--json", "{}", "--data", "{}", "-o", "x"],
         "not allowed with argument"),
        (["record", "http://127.0.0.1:9/", "--data", "@/no/such/body", "-o", "/tmp/never"],
         "cannot read /no/such/body"),
        (["record", "http://127.0.0.1:9/", "--header", "no colon", "-o", "/tmp/never"],
         "--header must look like"),
        (["record", "ftp://example.com/", "-o", "/tmp/never"], "not an http:// or https://"),
        (["record", "http://127.0.0.1:9/"], "-o/--output"),
        (["parse", "spec/samples/openai-chat.sse", "--dialect", "zz"], "unknown dialect 'zz'"),
        (["replay", "spec/samples/openai-chat.sse", "--dialect", "zz"], "unknown dialect"),
        (["check", "spec/samples/openai-chat.sse", "--dialect", "zz"], "unknown dialect"),
        (["replay", "spec/samples/openai-chat.sse", "--split", "halves"], "invalid choice"),
        (["parse", "-"], "line 3: "),  # a malformed transcript line, on stdin
        (["check", "-"], "line 3: "),
        (["serve", "-"], "line 3: "),
        ([], "the following arguments are required"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = cli(*args, stdin=BAD_LINE)
    err = one_line_error(result)
    assert err.startswith("sseproto: error: ")
    assert message in err, err


@pytest.mark.parametrize("command", ["parse", "replay", "check", "serve"])
def test_a_malformed_transcript_file_names_the_line(command: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_LINE)
    err = one_line_error(cli(command, str(path)))
    assert "line 3: not JSON" in err


@pytest.mark.parametrize("content", [b'{"log": {"entries": {"a": 1}}}',
                                     b'{"log": {"entries": [{"response": {"status": "x",'
                                     b' "content": {"text": ""}}}]}}',
                                     b'{"log": {"entries": []}}'])
def test_a_malformed_har_file_is_a_user_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    assert "HAR" in one_line_error(cli("parse", str(path)))
