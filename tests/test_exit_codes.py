"""Exit codes a shell script can trust, for every command, from subprocesses.

0 success; 1 the stream failed or did not conform; 2 a usage error; 130
interrupted.  Every failure is one line on stderr and never a traceback.
(``record`` has its own file: tests/test_record_cli.py.)
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from sseproto.transcript import Transcript, load
from tests.tool_helpers import PACKAGE_SAMPLES, cli, environment, one_line

TOOLS = PACKAGE_SAMPLES / "openai-tools.jsonl"
ERROR = PACKAGE_SAMPLES / "vllm-error-midway.jsonl"
CHAT = (PACKAGE_SAMPLES / "openai-chat.sse").read_bytes()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Inputs a user meets: empty, binary, cut, a recorded 429, a future version, HAR files."""
    folder = tmp_path_factory.mktemp("inputs")
    made = {
        "empty": b"",
        "binary": bytes(range(256)) * 8,
        "cut": CHAT[: CHAT.index(b"data: [DONE]")],
        "long-line": b"data: " + b"x" * 3_000_000 + b"\n\n",
        "future": orjson.dumps({"sseproto": "transcript", "version": 2}) + b"\n",
        "pretty-json": orjson.dumps({"model": "m", "choices": [{"message": {"content": "hi"}}]},
                                    option=orjson.OPT_INDENT_2),
        "status429": Transcript(chunks=[(0.1, b'{"error": {"message": "slow down"}}')], status=429,
                          reason="Too Many Requests",
                          headers={"content-type": "application/json"}).dumps(),
        "har": orjson.dumps({"log": {"entries": [har_entry("text/html", b"<html></html>"),
                                                 har_entry("text/event-stream", CHAT)]}}),
        "har-html": orjson.dumps({"log": {"entries": [har_entry("text/html", b"<p>hi</p>")]}}),
    }
    paths = {}
    for name, data in made.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


def har_entry(mime: str, body: bytes) -> dict[str, object]:
    return {"request": {"method": "GET", "url": "https://x.test/"},
            "response": {"status": 200, "headers": [{"name": "Content-Type", "value": mime}],
                         "content": {"mimeType": mime, "encoding": "base64",
                                     "text": base64.b64encode(body).decode()}}}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["parse", "{empty}"], 1, "no events at all"),
        (["parse", "{binary}"], 1, ""),
        (["parse", "{cut}"], 1, "ended before its end marker"),
        (["parse", "{status429}"], 1, "HTTP 429 Too Many Requests"),
        (["parse", str(ERROR)], 1, "CUDA out of memory"),
        (["parse", "{pretty-json}"], 1, "not a stream: it is a whole chat completion"),
        (["parse", "{har-html}"], 1, "not a stream: Content-Type is 'text/html'"),
        (["parse", "{long-line}"], 1, "--max-line-size"),
        (["parse", "{future}"], 2, "unknown transcript version 2"),
        (["parse", "/no/such/file"], 2, "cannot read /no/such/file"),
        (["parse", "{har}", "--entry", "7"], 2, "the HAR file has 2 entries"),
        (["parse", "{cut}", "--max-line-size", "0"], 2, "not a positive size"),
        (["parse", "{cut}", "--bogus"], 2, "unrecognized arguments"),
        (["replay", str(ERROR)], 1, "CUDA out of memory"),
        (["replay", "{cut}", "--split", "bytes"], 1, "ended before its end marker"),
        (["replay", "{future}"], 2, "unknown transcript version"),
        (["replay", str(TOOLS), "--split", "nope"], 2, "invalid choice"),
        (["check", "{cut}"], 1, ""),
        (["check", "{future}"], 2, "unknown transcript version"),
        (["check", "/no/such/file"], 2, "cannot read"),
        (["check", str(TOOLS), "--jobs", "0"], 2, "--jobs must be at least 1"),
        (["serve", "{future}"], 2, "unknown transcript version"),
        (["serve", str(TOOLS), "--fault", "zap:1"], 2, ""),
        (["convert", "/no/such/file", "-o", "x.jsonl"], 2, "cannot read"),
        (["convert", str(TOOLS), "-o", "/no/such/dir/x.jsonl"], 2, "cannot write"),
    ],
)
def test_failures(files: dict[str, str], args: list[str], code: int, message: str) -> None:
    result = cli(*[arg.format(**files) for arg in args])
    assert message in one_line(result, code)


@pytest.mark.parametrize(
    "args",
    [["parse", str(TOOLS)], ["parse", "{har}"], ["replay", str(TOOLS), "--split", "all"],
     ["check", str(TOOLS)], ["parse", "--sample"], ["--version"], ["parse", "--help"],
     ["parse", "{long-line}", "--sse", "--max-line-size", "4M"]],
)
def test_successes(files: dict[str, str], args: list[str]) -> None:
    result = cli(*[arg.format(**files) for arg in args])
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr


def test_a_har_file_gives_its_event_stream_entry(files: dict[str, str]) -> None:
    default = cli("parse", files["har"], "--json")
    assert default.returncode == 0 and b'"done"' in default.stdout
    assert "Content-Type is 'text/html'" in one_line(cli("parse", files["har"], "--entry",
                                                          "0"), 1)


def test_notices_go_to_stderr_not_into_the_decoded_text() -> None:
    result = cli("parse", "--sample", "prediction-guard")
    assert result.returncode == 0
    assert b"notice" not in result.stdout and b"differs" not in result.stdout
    assert result.stderr.startswith(b"sseproto: notice: the server's generated_text differs")


def test_convert_round_trip_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "copy.jsonl"
    result = cli("convert", str(TOOLS), "-o", str(out))
    assert result.returncode == 0 and load(out).body == load(TOOLS).body
    assert result.stderr.decode().startswith("sseproto: wrote transcript ")


def test_replay_split_all_compares_every_strategy() -> None:
    result = cli("replay", str(PACKAGE_SAMPLES / "prediction-guard.jsonl"), "--split", "all",
                 "--json")
    assert result.returncode == 0, result.stderr
    assert b"every split (whole, bytes, random, recorded) gives the same events" in result.stderr
    failing = cli("replay", str(ERROR), "--split", "all")
    assert failing.returncode == 1  # the same events every way, but the stream failed
    assert b"CUDA out of memory" in failing.stderr


def test_split_differences_names_the_first_difference() -> None:
    from sseproto import SSEDecoder
    from sseproto.tools.splits import split_differences

    class SplitSensitive(SSEDecoder):
        def feed(self, data: bytes) -> list:  # type: ignore[type-arg]
            return super().feed(data)[:1]  # loses events when a read completes several

    transcript = load(TOOLS)
    assert split_differences(transcript, SSEDecoder) is None
    difference = split_differences(transcript, SplitSensitive)
    assert difference is not None and "gives other events than --split whole" in difference


def interrupted(args: list[str], *, stdin: int | None = None) -> subprocess.CompletedProcess[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "sseproto", *args], stdin=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=environment())
    time.sleep(1.5)  # started and waiting (for input, or for clients)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_ctrl_c_exits_130() -> None:
    read, write = os.pipe()  # standard input that never ends
    try:
        parse = interrupted(["parse", "-"], stdin=read)
    finally:
        os.close(read)
        os.close(write)
    assert one_line(parse, 130) == "sseproto: interrupted\n"
    serve = interrupted(["serve", str(TOOLS)])
    assert serve.returncode == 130 and b"Traceback" not in serve.stderr


def test_ctrl_c_stops_check_jobs_without_a_traceback(tmp_path: Path) -> None:
    frames = b"".join(b'data: {"choices":[{"index":0,"delta":{"content":"tok %d"}}]}\n\n' % i
                      for i in range(10_000))
    source = tmp_path / "one.jsonl"
    Transcript(chunks=[(0.01 * i, frames[i * 600 : (i + 1) * 600])
                       for i in range(len(frames) // 600 + 1)]).save(source)
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):  # about a minute of work: it is still running when Ctrl-C comes
        (folder / f"{i}.jsonl").symlink_to(source)
    result = interrupted(["check", str(folder), "--jobs", "2"])
    assert one_line(result, 130) == "sseproto: interrupted\n"
