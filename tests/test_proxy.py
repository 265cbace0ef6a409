"""HTTPS_PROXY / HTTP_PROXY through a real loopback HTTP CONNECT proxy."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest

import sseproto
from sseproto.drivers._proxy import parse_proxy, proxy_for
from sseproto.server import ReplayServer
from sseproto.transcript import Transcript
from tests.helpers import ROOT
from tests.streams import TLSContexts

PG_STREAM = (ROOT / "spec" / "samples" / "prediction-guard.sse").read_bytes()


def pg_server(tls: ssl.SSLContext | None = None) -> ReplayServer:
    """The replay server, streaming the Prediction Guard sample over plain TCP or TLS."""
    transcript = Transcript(chunks=[(0.0, PG_STREAM[:100]), (0.0, PG_STREAM[100:])],
                            headers={"content-type": "text/event-stream"})
    return ReplayServer(transcript, ssl_context=tls)


def port_of(server: ReplayServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


class ConnectProxy:
    """A minimal CONNECT proxy on 127.0.0.1 that pipes bytes both ways.

    ``auth``: the ``Proxy-Authorization`` value it requires (407 otherwise);
    ``tls``: a server context, to speak TLS to its clients (an https:// proxy).
    """

    def __init__(self, auth: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.auth, self.tls = auth, tls
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
            if self.tls is not None:
                try:
                    client = self.tls.wrap_socket(client, server_side=True)
                except (ssl.SSLError, OSError):
                    client.close()
                    continue
            self.open.append(client)
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        method, target = head.split(b" ")[0], head.split(b" ")[1].decode()
        if self.auth is not None and f"Proxy-Authorization: {self.auth}\r\n".encode() not in head:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                           b"Content-Length: 0\r\n\r\n")
            client.close()
            return
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
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
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
    with pg_server(tls_contexts.server) as srv:
        url = srv.url.replace("http://", "https://") + "/v1"
        port = port_of(srv)
        with sseproto.Client(url, ssl_context=tls_contexts.client, timeout=5) as client:
            kinds = [type(ev).__name__ for ev in client.stream_chat({"model": "m"})]
        assert kinds == ["Delta", "Delta", "Final", "Done"]

        async def run() -> list[str]:
            async with sseproto.AsyncClient(url, ssl_context=tls_contexts.client,
                                            timeout=5) as client:
                return [type(ev).__name__ async for ev in client.stream_chat({"model": "m"})]

        assert asyncio.run(run()) == kinds
    assert proxy.targets == [f"127.0.0.1:{port}"] * 2


def test_credentials_in_the_proxy_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """``user:password@`` (percent-decoded) goes in Proxy-Authorization; without it: 407."""
    expected = "Basic " + base64.b64encode(b"alice:p@ss word").decode()
    proxy = ConnectProxy(auth=expected)
    try:
        with pg_server() as srv:
            port = port_of(srv)
            monkeypatch.setenv("http_proxy", f"http://alice:p%40ss%20word@127.0.0.1:{proxy.port}")
            with sseproto.Client(srv.url + "/v1", timeout=5) as client:
                assert len(list(client.stream_chat({"model": "m"}))) == 4

            async def run() -> int:
                async with sseproto.AsyncClient(srv.url + "/v1", timeout=5) as client:
                    return len([ev async for ev in client.stream_chat({"model": "m"})])

            assert asyncio.run(run()) == 4
            monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
            with pytest.raises(sseproto.ConnectError, match="407") as info, \
                    sseproto.Client(srv.url, timeout=5) as client:
                list(client.stream_chat({"model": "m"}))
            assert "user:password@" in str(info.value)
    finally:
        proxy.close()
    assert proxy.targets == [f"127.0.0.1:{port}"] * 2
    assert "p@ss" not in repr(parse_proxy("http://alice:p%40ss@h:1"))


def test_an_https_proxy_gets_tls(monkeypatch: pytest.MonkeyPatch,
                                 tls_contexts: TLSContexts) -> None:
    proxy = ConnectProxy(tls=tls_contexts.server)
    try:
        monkeypatch.setenv("http_proxy", f"https://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("https_proxy", f"https://127.0.0.1:{proxy.port}")
        with pg_server() as srv, \
                sseproto.Client(srv.url, ssl_context=tls_contexts.client, timeout=5) as client:
            assert len(list(client.stream_chat({"model": "m"}))) == 4
        with pg_server(tls_contexts.server) as srv:
            url = srv.url.replace("http://", "https://")

            async def run() -> int:
                async with sseproto.AsyncClient(url, ssl_context=tls_contexts.client,
                                                timeout=5) as client:
                    return len([ev async for ev in client.stream_chat({"model": "m"})])

            assert asyncio.run(run()) == 4  # TLS inside the proxy's TLS
            with sseproto.Client(url, ssl_context=tls_contexts.client, timeout=5) as client:
                assert len(list(client.stream_chat({"model": "m"}))) == 4
                assert len(list(client.stream_chat({"model": "m"}))) == 4  # kept alive
    finally:
        proxy.close()
    assert len(proxy.targets) == 3


P = "http://proxy:3128"


@pytest.mark.parametrize(("env", "scheme", "host", "port", "proxied"), [
    ({"HTTPS_PROXY": P}, "https", "api.example.com", 443, True),
    ({"https_proxy": P}, "https", "api.example.com", 443, True),
    ({"http_proxy": P}, "http", "api.example.com", 80, True),
    ({"HTTP_PROXY": P}, "http", "api.example.com", 80, True),
    ({"HTTP_PROXY": P, "REQUEST_METHOD": "GET"}, "http", "api.example.com", 80, False),
    ({"http_proxy": P, "REQUEST_METHOD": "GET"}, "http", "api.example.com", 80, True),
    ({"HTTPS_PROXY": P, "REQUEST_METHOD": "GET"}, "https", "api.example.com", 443, True),
    ({"HTTP_PROXY": P}, "https", "api.example.com", 443, False),
    ({"ALL_PROXY": P}, "https", "api.example.com", 443, True),
    ({"HTTPS_PROXY": P, "NO_PROXY": "*"}, "https", "a.b", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https", "api.example.com", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https", "api.example.com", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https", "example.com", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https", "badexample.com", 443, True),
    ({"HTTPS_PROXY": P, "NO_PROXY": "EXAMPLE.com"}, "https", "Api.Example.COM", 443, False),
    ({"HTTPS_PROXY": P, "no_proxy": "other.org, example.com"}, "https", "x.example.com", 443,
     False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:8443"}, "https", "example.com", 443, True),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:8443"}, "https", "example.com", 8443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "https", "10.1.2.3", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "https", "11.1.2.3", 443, True),
    ({"HTTPS_PROXY": P, "NO_PROXY": "192.168.1.5"}, "https", "192.168.1.5", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "[::1]"}, "https", "::1", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "::1"}, "https", "::1", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "[::1]:8080"}, "https", "::1", 443, True),
    ({"HTTPS_PROXY": P, "NO_PROXY": "fd00::/8"}, "https", "fd12::5", 443, False),
    ({"HTTPS_PROXY": P, "NO_PROXY": "localhost"}, "https", "127.0.0.1", 443, True),
])
def test_proxy_environment_as_curl_reads_it(env: dict[str, str], scheme: str, host: str,
                                            port: int, proxied: bool) -> None:
    proxy = proxy_for(scheme, host, port, env)
    assert (proxy is not None) == proxied
    if proxy is not None:
        assert (proxy.host, proxy.port, proxy.scheme) == ("proxy", 3128, "http")
