"""HTTPS_PROXY / HTTP_PROXY through a real loopback HTTP CONNECT proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

import sseproto
from sseproto.drivers._proxy import proxy_for
from sseproto.server import ReplayServer
from tests.helpers import ROOT
from tests.streams import TLSContexts, stream

SEED = (ROOT / "spec" / "samples" / "prediction-guard.sse").read_bytes()


class ConnectProxy:
    """A minimal CONNECT proxy on 127.0.0.1 that pipes bytes both ways."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.targets: list[str] = []
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(5)
            self.open.append(client)
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        method, target = head.split(b" ")[0], head.split(b" ")[1].decode()
        if method != b"CONNECT" or ":" not in target:
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        self.targets.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.open.append(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        for sock in self.open:
            sock.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectProxy]:
    server = ConnectProxy()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    yield server
    server.close()


def test_tls_through_the_proxy_sync_and_async(proxy: ConnectProxy,
                                              tls_contexts: TLSContexts) -> None:
    with ReplayServer(stream(SEED), ssl_context=tls_contexts.server, speed=1) as srv:
        url, where = srv.url + "/v1", srv.url.removeprefix("https://")
        with sseproto.Client(url, ssl_context=tls_contexts.client, timeout=5) as client:
            kinds = [type(ev).__name__ for ev in client.stream_chat({"model": "m"})]
        assert kinds == ["Delta", "Delta", "Final", "Done"]

        async def run() -> list[str]:
            async with sseproto.AsyncClient(url, ssl_context=tls_contexts.client,
                                            timeout=5) as client:
                return [type(ev).__name__ async for ev in client.stream_chat({"model": "m"})]

        assert asyncio.run(run()) == kinds
    assert proxy.targets == [where] * 2


def test_no_proxy_and_parsing(monkeypatch: pytest.MonkeyPatch, proxy: ConnectProxy) -> None:
    assert proxy_for("https", "api.example.com") == ("127.0.0.1", proxy.port)
    monkeypatch.setenv("NO_PROXY", "example.com")
    assert proxy_for("https", "api.example.com") is None
    assert proxy_for("https", "example.org") == ("127.0.0.1", proxy.port)
