"""The replay server's router and its coalesce and gzip deliveries, on loopback."""

from __future__ import annotations

import gzip
import http.client
import socket
import time

import orjson

import sseproto
from sseproto.server import ReceivedRequest, ReplayServer, Route, parse_fault
from sseproto.transcript import Transcript

BODY = (b'data: {"choices":[{"index":0,"delta":{"content":"H\xc3\xa9"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
WRITES = [BODY[:20], BODY[20:70], BODY[70:]]


def transcript(writes: list[bytes] = WRITES) -> Transcript:
    return Transcript(chunks=[(0.0, data) for data in writes])


def get(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_new_faults_parse_and_print() -> None:
    for text in ("coalesce", "gzip"):
        assert str(parse_fault(text)) == text


def test_coalesce_sends_head_body_and_end_in_one_write() -> None:
    with ReplayServer(transcript(), faults=[parse_fault("coalesce")]) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.2)  # were there several writes, they would all have arrived by now
            first = sock.recv(1 << 20)
    assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b"0\r\n\r\n")
    assert BODY[:20] in first and BODY[70:] in first


def test_gzip_compresses_the_body_and_a_client_decodes_it() -> None:
    with ReplayServer(transcript(), faults=[parse_fault("gzip")]) as server:
        status, headers, raw = get(server.url, "/v1/chat/completions")
        with sseproto.Client(server.url + "/v1") as client:
            events = list(client.stream_chat({"model": "m"}))
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == BODY
    assert [e.content for e in events if isinstance(e, sseproto.Delta)] == ["Hé", None]
    assert isinstance(events[-1], sseproto.Done)


def test_the_router_picks_a_route_per_request_and_404s_the_rest() -> None:
    other = Transcript(chunks=[(0.0, b"data: other\n\n")])

    def router(request: ReceivedRequest) -> Route | None:
        return {"/a": Route(transcript()), "/b": Route(other, (parse_fault("gzip"),))}.get(
            request.path)

    with ReplayServer(None, router=router) as server:
        assert get(server.url, "/a")[2] == BODY
        raw = get(server.url, "/b")[2]
        assert gzip.decompress(raw) == b"data: other\n\n"
        status, _, raw = get(server.url, "/nothing")
        assert status == 404 and orjson.loads(raw)["error"]["type"] == "not_found"
        assert [r.path for r in server.requests] == ["/a", "/b", "/nothing"]
    with ReplayServer(transcript(), router=lambda request: None) as server:
        assert get(server.url, "/anything")[2] == BODY  # no route: the default transcript
