"""Running the CLI as a user does: ``python -m sseproto`` in a subprocess, and
``sseproto serve`` in another as the peer."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import ROOT

PACKAGE_SAMPLES = ROOT / "sseproto" / "samples"
_SECRET_ENV = ("SSEPROTO_API_KEY", "PREDICTIONGUARD_API_KEY")


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV and "PROXY" not in k.upper()}
    env.update(extra or {})
    return env


def cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sseproto", *args], input=stdin,
                          capture_output=True, timeout=timeout, check=False,
                          env=environment(env), cwd=ROOT)


def one_line(result: subprocess.CompletedProcess[bytes], code: int) -> str:
    """The single stderr line of a run that exited with ``code``."""
    err = result.stderr.decode()
    assert result.returncode == code, (result.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


def read_terminal(leader: int) -> bytes:
    """Everything a child wrote to a pseudo-terminal, until it closed its end."""
    output = b""
    while True:
        try:
            piece = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not piece:
            break
        output += piece
    return output


@contextmanager
def serving(path: str | Path, *faults: str) -> Iterator[str]:
    """``sseproto serve PATH --fault ...`` on a free loopback port; yields its URL."""
    args = [sys.executable, "-m", "sseproto", "serve", str(path), "--port", "0"]
    for fault in faults:
        args += ["--fault", fault]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=environment(), cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        match = re.search(r"https?://\S+", line)
        assert match, line
        yield match.group(0).rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


class RawServer:
    """A loopback server answering each request with ``respond(request_bytes)``, raw.

    ``respond`` returns the whole response (status line, headers, body) as
    bytes, or an iterator of pieces written one by one (``None`` pieces
    pause 50 ms).  ``requests`` keeps each request's bytes.
    """

    def __init__(self, respond: Callable[[bytes], bytes | Iterable[bytes | None]]) -> None:
        self.respond = respond
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
        self.sock.close()
        self.thread.join(timeout=10)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = _read_request(conn)
                self.requests.append(request)
                answer = self.respond(request)
                try:
                    for piece in [answer] if isinstance(answer, bytes) else answer:
                        if piece is None:
                            time.sleep(0.05)
                        else:
                            conn.sendall(piece)
                except OSError:
                    pass


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    while match and len(body) < int(match.group(1)):
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body


def response(body: bytes, *, status: str = "200 OK",
             headers: Sequence[tuple[str, str]] = (("Content-Type", "text/event-stream"),),
             ) -> bytes:
    """A close-delimited HTTP/1.1 response."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
