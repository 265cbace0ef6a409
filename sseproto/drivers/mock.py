"""A transport that replays canned bytes and records what was sent: for users' tests.

>>> from sseproto import Client
>>> body = b'data: {"choices":[{"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\n'
>>> reply = (b"HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\n"
...          b"Content-Length: %d\\r\\n\\r\\n" % len(body)) + body
>>> mock = MockTransport([reply[:20], reply[20:]])
>>> with Client("http://api.test/v1", transport=mock) as client:
...     [type(ev).__name__ for ev in client.stream_chat({"model": "m"})]
['Delta', 'Final']
>>> mock.sent[0].split(b"\\r\\n")[0]
b'POST /v1/chat/completions HTTP/1.1'
"""

from __future__ import annotations

from collections.abc import Iterable

from .._errors import TransportError

__all__ = ["AsyncMockTransport", "MockTransport"]


class MockTransport:
    """Replays ``chunks`` as received bytes, then end of stream; records sends in ``sent``."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = list(chunks)
        self.sent: list[bytes] = []
        self.connects: list[tuple[str, int]] = []
        self.closed = False

    def connect(self, host: str, port: int, timeout: float | None) -> None:
        self.connects.append((host, port))
        self.closed = False

    def send(self, data: bytes) -> None:
        if self.closed:
            raise TransportError("send on a closed MockTransport")
        self.sent.append(data)

    def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        if not self._chunks:
            return b""
        chunk = self._chunks.pop(0)
        if len(chunk) > max_bytes:
            self._chunks.insert(0, chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        return chunk

    def close(self) -> None:
        self.closed = True


class AsyncMockTransport:
    """The asyncio twin of :class:`MockTransport`."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._mock = MockTransport(chunks)
        self.sent = self._mock.sent

    async def connect(self, host: str, port: int, timeout: float | None) -> None:
        self._mock.connect(host, port, timeout)

    async def send(self, data: bytes) -> None:
        self._mock.send(data)

    async def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        return self._mock.receive(max_bytes)

    async def close(self) -> None:
        self._mock.close()
