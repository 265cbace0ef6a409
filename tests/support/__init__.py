"""The test-support layer shared by ``tests/``, ``fuzz/``, ``bench/`` and ``spec/``.

- :mod:`.split`: how a stream is cut into reads (one splitter for everyone);
- :mod:`.outcome`: what a decoder made of a stream, as one comparable value;
- :mod:`.render`: how JSON payloads are framed as SSE (conforming or not);
- :mod:`.vectors`: how the vector generators write (or ``--check``) their files.

Only :mod:`.outcome` imports sseproto: the vector generators type their
expected values by hand and must not run the code they test.
"""
