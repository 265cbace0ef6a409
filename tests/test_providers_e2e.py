"""Gemini and Bedrock end to end: real captures as transcripts, served over loopback.

Each capture (spec/captures) is recorded as a transcript in small chunks (a
Bedrock body is binary, so its chunks are stored as ``b64``), served by the
replay server and read by :class:`sseproto.Client` and by the httpx adapter;
the events must be those of the body decoded offline, whole.  The command
line is tried from the outside too: ``sseproto serve`` in a subprocess,
``check`` and ``parse`` on the transcript file.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import sseproto
from sseproto import ChatStreamDecoder, Done, Final
from sseproto.adapters import httpx as sx
from sseproto.server import ReplayServer, parse_fault
from sseproto.transcript import Transcript, load
from tests.helpers import ROOT

CAPTURES = ROOT / "spec" / "captures"
PAYLOAD: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": "Count to 3"}]}]}
CASES = {
    "bedrock": ("bedrock-nova-tool-use.eventstream", "application/vnd.amazon.eventstream"),
    "bedrock-text": ("bedrock-nova-count.eventstream", "application/vnd.amazon.eventstream"),
    "gemini": ("gemini-count.sse", "text/event-stream"),
}


def offline(body: bytes) -> list[sseproto.ChatEvent]:
    chat = ChatStreamDecoder()
    return chat.feed(body) + chat.close()


@pytest.fixture(params=sorted(CASES))
def recorded(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, bytes]:
    """The capture as a transcript file, in 37-byte chunks 10 ms apart."""
    name, content_type = CASES[request.param]
    body = (CAPTURES / name).read_bytes()
    chunks = [(i / 37 * 0.01, body[i : i + 37]) for i in range(0, len(body), 37)]
    transcript = Transcript(chunks=chunks, url="https://provider.example/v1/stream",
                            headers={"content-type": content_type})
    path = tmp_path / f"{request.param}.jsonl"
    transcript.save(path)
    return path, body


def test_binary_chunks_are_stored_as_base64(recorded: tuple[Path, bytes]) -> None:
    path, body = recorded
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()[1:]]
    if body[:1] == b"\x00":
        assert all("b64" in line for line in lines[:3])
    assert load(path).body == body


@pytest.mark.parametrize("faults", [(), ("bytewise",)], ids=["recorded", "bytewise"])
def test_client_against_the_replay_server(recorded: tuple[Path, bytes],
                                          faults: tuple[str, ...]) -> None:
    path, body = recorded
    expected = offline(body)
    assert isinstance(expected[-1], Done) and isinstance(expected[-2], Final)
    with ReplayServer(load(path), faults=[parse_fault(f) for f in faults]) as server, \
            sseproto.Client(server.url, timeout=10) as client:
        got = list(client.stream_chat(PAYLOAD, "/model/m/converse-stream"))
    assert got == expected


def test_async_client_against_the_replay_server(recorded: tuple[Path, bytes]) -> None:
    path, body = recorded

    async def main(url: str) -> list[sseproto.ChatEvent]:
        async with sseproto.AsyncClient(url, timeout=10) as client:
            return [event async for event in client.stream_chat(PAYLOAD)]

    with ReplayServer(load(path), faults=[parse_fault("bytewise")]) as server:
        got = asyncio.run(asyncio.wait_for(main(server.url), 30))
    assert got == offline(body)


def test_httpx_adapter_against_the_replay_server(recorded: tuple[Path, bytes]) -> None:
    path, body = recorded
    with ReplayServer(load(path)) as server, \
            httpx.Client(timeout=10, trust_env=False) as client, \
            client.stream("POST", server.url + "/model/m/converse-stream",
                          json=PAYLOAD) as response:
        got = list(sx.iter_chat(response))
    assert got == offline(body)


@pytest.fixture
def served(recorded: tuple[Path, bytes]) -> Iterator[tuple[str, bytes]]:
    """``sseproto serve FILE`` in a subprocess: its URL and the body it serves."""
    path, body = recorded
    with subprocess.Popen([sys.executable, "-m", "sseproto", "serve", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            url = next((word for word in line.split() if word.startswith("http://")), "")
            assert url.startswith("http://127.0.0.1:"), line
            yield url, body
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_client_against_sseproto_serve(served: tuple[str, bytes]) -> None:
    url, body = served
    with sseproto.Client(url, timeout=10) as client:
        got = list(client.stream_chat(PAYLOAD))
    assert got == offline(body)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sseproto", *args], capture_output=True,
                          text=True, timeout=60)


def test_check_and_parse_from_the_command_line(recorded: tuple[Path, bytes]) -> None:
    path, body = recorded
    report = run_cli("check", str(path))
    assert report.returncode == 0, report.stdout + report.stderr
    assert "ended normally" in report.stdout and "CONFORMING" in report.stdout
    parsed = run_cli("parse", "--json", str(path))
    assert parsed.returncode == 0, parsed.stderr
    kinds = [orjson.loads(line)["type"] for line in parsed.stdout.splitlines()]
    assert kinds[-2:] == ["final", "done"]
    raw = path.with_suffix(".bin")
    raw.write_bytes(body)  # the bare body works as well as the transcript
    assert run_cli("parse", str(raw)).returncode == 0
