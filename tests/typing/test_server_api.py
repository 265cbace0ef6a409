"""The replay server's static types, checked by ``mypy --strict tests/typing``.

Run by pytest too: a server on loopback answers one request routed by path,
by model and by a router, so the types hold at run time as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_type

import sseproto
from sseproto.server import (
    Fault,
    Headers,
    ReceivedRequest,
    ReplayServer,
    Route,
    Router,
    parse_fault,
)
from sseproto.transcript import Transcript

BODY = b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n'


def test_server_types() -> None:
    transcript = Transcript(chunks=[(0.0, BODY)])
    fault = parse_fault("bytewise")
    assert_type(fault, Fault)

    def router(request: ReceivedRequest) -> Route | None:
        return Route(transcript, (fault,)) if request.path == "/routed" else None

    chosen: Router = router
    with ReplayServer(None, routes={"/v1/chat/completions": {"m": transcript}}, router=chosen,
                      max_connections=10, speed=0.0) as server:
        assert_type(server.url, str)
        with sseproto.Client(server.url + "/v1") as client:
            events = list(client.stream_chat({"model": "m"}))
        requests = server.requests
        assert_type(requests, list[ReceivedRequest])
    request = requests[0]
    assert_type(request.method, str)
    assert_type(request.path, str)
    assert_type(request.headers, Headers)
    assert_type(request.body, bytes)
    assert_type(request.json, Any)
    headers: Mapping[str, str] = request.headers
    assert headers["CONTENT-TYPE"] == "application/json"
    assert request.method == "POST" and request.json["model"] == "m"
    assert isinstance(events[-1], sseproto.Done)
