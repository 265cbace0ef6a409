"""The CLI, run as a user would: python -m sseproto."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from sseproto.cli import main
from tests.helpers import ROOT

SAMPLES = ROOT / "spec" / "samples"


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sseproto", *args], input=stdin,
                          capture_output=True, timeout=60, check=False)


def test_parse_prints_the_text_of_the_bundled_sample() -> None:
    result = cli("parse", str(SAMPLES / "openai-chat.sse"))
    assert result.returncode == 0, result.stderr
    text = "Hello! Server-Sent Events stream one token at a time — 好 🙂\n"
    assert result.stdout.decode() == text
    assert result.stderr == b""


def test_parse_json_from_stdin() -> None:
    result = cli("parse", "-", "--json", stdin=(SAMPLES / "prediction-guard.sse").read_bytes())
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["delta", "delta", "final", "done"]
    assert lines[2]["generated_text"].startswith("Thanks, I try")


def test_parse_sse_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(SAMPLES / "openai-chat.sse"), "--sse", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert orjson.loads(lines[-1]) == {"type": "event", "event": "message", "data": "[DONE]",
                                       "id": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "/no/such/file"], "cannot read /no/such/file"),
        (["parse"], "give exactly one of FILE, --url URL or --sample NAME"),
        (["replay"], "the following arguments are required"),
        (["bogus"], "invalid choice"),
        (["parse", "-", "--dialect", "zz"], "unknown dialect"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_undecodable_stream_exits_1_with_one_line() -> None:
    result = cli("parse", "-", stdin=b"data: nope\n\n")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "RemoteProtocolError" in err and "byte 0" in err


def test_incomplete_stream_is_reported_on_stderr() -> None:
    result = cli("parse", "-", stdin=b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n')
    assert result.returncode == 1 and result.stdout == b"a\n"
    assert result.stderr == (b"sseproto: the stream ended before its end marker: it was cut"
                             b" short\n")


def test_help_has_an_example() -> None:
    result = cli("parse", "--help")
    assert result.returncode == 0 and b"example" in result.stdout
