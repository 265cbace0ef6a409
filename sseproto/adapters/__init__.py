"""Adapters: decode the responses of other HTTP libraries with sseproto.

One submodule per library, each importing its library only when imported
itself (none of them is a dependency of sseproto)::

    from sseproto.adapters import httpx as sx      # or: aiohttp, requests
    with httpx.stream("POST", url, json=payload) as response:
        for ev in sx.iter_chat(response):
            ...

- :mod:`sseproto.adapters.httpx`: ``iter_chat``, ``iter_sse`` (``httpx.Client``)
  and ``aiter_chat``, ``aiter_sse`` (``httpx.AsyncClient``).
- :mod:`sseproto.adapters.aiohttp`: ``aiter_chat``, ``aiter_sse``.
- :mod:`sseproto.adapters.requests`: ``iter_chat``, ``iter_sse`` (open the
  response with ``stream=True``).

Each function first checks the response as :class:`sseproto.Client` does: a
non-2xx status raises :class:`sseproto.HTTPStatusError` (built from at most
64 KiB of the body), a 2xx response whose Content-Type is set and is not
``text/event-stream`` raises :class:`sseproto.UnexpectedContentType`.
``iter_chat``/``aiter_chat`` stop after a :class:`sseproto.StreamError`, and
raise :class:`sseproto.IncompleteStream` (after yielding every event) when the
body ends before ``[DONE]`` and before any ``finish_reason``.  The library
decompresses the body (gzip, deflate) and reports its own transport errors
(a refused connection, a timeout, a body cut before its framing said) as its
own exceptions: they propagate unchanged.  The caller owns the response and
closes it (a ``with`` block), also when iteration stops early.
"""
