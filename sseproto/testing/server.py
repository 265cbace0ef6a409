"""Serve a stream on loopback for a test, with faults, and see what the client sent.

Needs nothing beyond sseproto (no hypothesis): the pytest plugin's
``sse_server`` fixture is built on :func:`serve`.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Protocol, Union, runtime_checkable

from ..server import Fault, ReceivedRequest, ReplayServer, parse_fault
from ..transcript import Transcript, load, loads

__all__ = ["ServedStream", "Source", "replay_server", "serve", "to_transcript"]


@runtime_checkable
class Servable(Protocol):
    """Anything that knows what to serve, such as a suite scenario."""

    @property
    def faults(self) -> tuple[Fault, ...]: ...

    def transcript(self) -> Transcript: ...


#: What :func:`serve` accepts: a transcript, a path to any file
#: :func:`sseproto.transcript.load` reads, raw bytes (a body, a transcript or
#: an HTTP response), a list of chunks (one write each), or a suite scenario.
Source = Union[Transcript, str, "os.PathLike[str]", bytes, Sequence[bytes], Servable]


def to_transcript(source: Source) -> Transcript:
    """The transcript ``source`` stands for (see :data:`Source`)."""
    if isinstance(source, Transcript):
        return source
    if isinstance(source, Servable):
        return source.transcript()
    if isinstance(source, bytes | bytearray):
        return loads(bytes(source))
    if isinstance(source, str | os.PathLike):
        return load(os.fspath(source))
    chunks = list(source)
    if not all(isinstance(chunk, bytes | bytearray) for chunk in chunks):
        raise TypeError("a list source must hold bytes: one write per item")
    return Transcript(chunks=[(0.0, bytes(chunk)) for chunk in chunks])


class ServedStream:
    """A running replay server: :attr:`url`, :attr:`requests`, :meth:`close`.

    Every request, whatever its path, gets the stream.  ``requests`` lists
    what the server received (method, path, case-insensitive headers, body,
    ``.json``), oldest first.
    """

    def __init__(self, server: ReplayServer) -> None:
        self._server = server

    @property
    def url(self) -> str:
        """The base URL, such as ``http://127.0.0.1:41234`` (no trailing slash)."""
        return self._server.url

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self._server.requests

    def close(self) -> None:
        self._server.stop()

    def __enter__(self) -> ServedStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ServedStream {self.url} requests={len(self.requests)}>"


def serve(source: Source, *, faults: Iterable[str | Fault] = (), speed: float = 0.0,
          ssl_context: ssl.SSLContext | None = None) -> ServedStream:
    """Start serving ``source`` on 127.0.0.1 (a free port); close it when done.

    ``faults`` use the command line's syntax (``"cut:200"``, ``"bytewise"``,
    ...); ``speed`` scales the recorded timing (0: no waits).

    >>> with serve([b"data: {}\\n\\n", b"data: [DONE]\\n\\n"], faults=["bytewise"]) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """
    extra = tuple(fault if isinstance(fault, Fault) else parse_fault(fault) for fault in faults)
    own = source.faults if isinstance(source, Servable) else ()
    server = ReplayServer(to_transcript(source), speed=speed, ssl_context=ssl_context,
                          faults=own + extra)
    server.start()
    return ServedStream(server)


@contextlib.contextmanager
def replay_server(source: Source, *, faults: Iterable[str | Fault] = (), speed: float = 0.0,
                  ssl_context: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``source`` for the duration of a ``with`` block; yield its URL.

    The same as :func:`serve`, for callers that need only the URL.

    >>> with replay_server(b"data: [DONE]\\n\\n") as url:   # doctest: +SKIP
    ...     events = list(sseproto.Client(url + "/v1").stream_chat({}))
    """
    with serve(source, faults=faults, speed=speed, ssl_context=ssl_context) as served:
        yield served.url
