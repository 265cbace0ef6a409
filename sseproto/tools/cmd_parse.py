"""``parse`` and ``replay``: decode a capture, a live URL or a bundled sample, and print it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from importlib import resources
from typing import IO, Any

from .._chat import ChatStreamDecoder
from .._errors import Error, LocalProtocolError
from .._http import parse_url
from .._sse import SSEDecoder
from ..check import not_a_stream
from ..transcript import STREAM_TYPES, Transcript
from .options import (
    StreamFailed,
    UsageError,
    chat_decoder,
    command,
    decoding_options,
    describe,
    json_body,
    make_ssl_context,
    read_input,
    request_headers,
    request_options,
)
from .output import notice, print_chat, print_sse
from .splits import reads

__all__ = ["add_parse", "add_replay", "run_parse", "run_replay"]


def add_parse(commands: Any) -> None:
    parse = command(commands, "parse", "decode a captured stream (or a live URL) and print its"
                    " events",
                    "  sseproto parse --sample prediction-guard\n"
                    "  sseproto parse capture.jsonl --json\n"
                    "  sseproto parse --url http://127.0.0.1:8000/v1/stream --json\n"
                    "  curl -sN ... | sseproto parse - --sse")
    decoding_options(parse, file_required=False)
    parse.add_argument("--url", help="GET this URL with sseproto's Client and decode the"
                       " response (POST with --data)")
    parse.add_argument("--data", metavar="JSON|@FILE",
                       help="with --url: POST this JSON body instead of a GET")
    parse.add_argument("--sample", nargs="?", const="", metavar="NAME",
                       help="decode a sample bundled with sseproto; without NAME, list them")
    request_options(parse)


def run_parse(args: argparse.Namespace, out: IO[str]) -> int:
    sources = [name for name, given in (("FILE", args.file is not None),
                                        ("--url", args.url is not None),
                                        ("--sample", args.sample is not None)) if given]
    if len(sources) != 1:
        raise UsageError("give exactly one of FILE, --url URL or --sample NAME"
                         + (f" (got {' and '.join(sources)})" if sources else ""))
    if args.data is not None and args.url is None:
        raise UsageError("--data goes with --url")
    if args.url is not None:
        return _parse_url(args, out)
    if args.sample == "":
        return _list_samples(out)
    if args.sample is not None:
        args.file = _sample_path(args.sample)
    return _decode(args, read_input(args), iter_reads=_recorded_reads, out=out)


def _recorded_reads(transcript: Transcript) -> Iterator[bytes]:
    return reads(transcript, "recorded")


def _decode(args: argparse.Namespace, transcript: Transcript,
            iter_reads: Callable[[Transcript], Iterator[bytes]], out: IO[str]) -> int:
    """Decode ``transcript`` read by read and print it; the exit code says how it ended."""
    _check_response(transcript)
    if args.sse:
        decoder = SSEDecoder(max_line_size=args.max_line_size)
        count = print_sse(_fed(decoder, iter_reads(transcript)), args.json, out)
        if not count:
            raise StreamFailed("no events at all: the input holds no SSE event")
        return 0
    chat = chat_decoder(args)
    try:
        failure = print_chat(_fed(chat, iter_reads(transcript)), args.json, out).failure()
    except Error as exc:
        raise StreamFailed(not_a_stream(transcript.body) or describe(exc)) from None
    if failure is not None:
        raise StreamFailed(not_a_stream(transcript.body) or failure)
    return 0


def _fed(decoder: SSEDecoder | ChatStreamDecoder, reads: Iterator[bytes]) -> Iterator[Any]:
    """Every event ``decoder`` makes of ``reads``, then of its end."""
    for data in reads:
        yield from decoder.feed(data)
    yield from decoder.close()


def _check_response(transcript: Transcript) -> None:
    """A recorded response that is not a 2xx event stream failed, whatever its body holds."""
    if transcript.source == "raw":
        return
    if not 200 <= transcript.status < 300:
        body = transcript.body.decode("utf-8", "replace").strip()
        raise StreamFailed(f"the recorded response is HTTP {transcript.status}"
                           f" {transcript.reason}".rstrip() + (f": {body[:200]}" if body else ""))
    if transcript.content_type not in (*STREAM_TYPES, ""):
        raise StreamFailed(f"the recorded response is not a stream: Content-Type is"
                           f" {transcript.headers.get('content-type')!r}")


def _list_samples(out: IO[str]) -> int:
    for path in _samples():
        kind = "transcript" if path.name.endswith(".jsonl") else "raw body"
        out.write(f"{path.name:28} {kind}\n")
    return 0


def _samples() -> list[Any]:
    folder = resources.files("sseproto") / "samples"
    return sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)


def _sample_path(name: str) -> str:
    """The bundled sample called ``name`` (a file name, or its stem: the transcript first)."""
    matches = [p for p in _samples() if p.name == name]
    matches = matches or sorted((p for p in _samples() if p.name.split(".")[0] == name),
                                key=lambda p: not p.name.endswith(".jsonl"))
    if not matches:
        names = ", ".join(sorted({p.name.split(".")[0] for p in _samples()}))
        raise UsageError(f"no sample called {name!r}; the samples are: {names}")
    return str(matches[0])


def _parse_url(args: argparse.Namespace, out: IO[str]) -> int:
    from .fetch import url_chat_events, url_sse_events

    try:
        parse_url(args.url)
    except LocalProtocolError as exc:
        raise UsageError(str(exc)) from None
    body = None if args.data is None else json_body(args.data, "--data")
    headers, context = request_headers(args), make_ssl_context(args)
    if args.sse:
        events = url_sse_events(args.url, body=body, headers=headers, timeout=args.timeout,
                                ssl_context=context, max_line_size=args.max_line_size)
        if not print_sse(events, args.json, out):
            raise StreamFailed("no events at all: the response holds no SSE event")
        return 0
    chat_decoder(args)  # a bad --dialect is a usage error before any request
    chat_events = url_chat_events(args.url, dialect=args.dialect, body=body, headers=headers,
                                  timeout=args.timeout, ssl_context=context,
                                  max_line_size=args.max_line_size)
    failure = print_chat(chat_events, args.json, out).failure()
    if failure is not None:
        raise StreamFailed(failure)
    return 0


def add_replay(commands: Any) -> None:
    replay = command(commands, "replay", "re-feed a transcript through the decoder, offline",
                     "  sseproto replay capture.jsonl --split bytes\n"
                     "  sseproto replay capture.jsonl --split random --seed 7 --json\n"
                     "  sseproto replay capture.jsonl --split all")
    decoding_options(replay)
    replay.add_argument("--split", choices=["whole", "bytes", "random", "recorded", "all"],
                        default="recorded", help="how to cut the body into reads (default: as"
                        " recorded; all: every way, and fail if any gives other events)")
    replay.add_argument("--seed", type=int, default=0, help="seed for --split random")


def run_replay(args: argparse.Namespace, out: IO[str]) -> int:
    from .splits import split_differences

    transcript = read_input(args)
    if args.split != "all":
        return _decode(args, transcript, lambda t: reads(t, args.split, args.seed), out)
    _check_response(transcript)
    difference = split_differences(transcript, lambda: _decoder_for(args), args.seed)
    if difference is not None:
        raise StreamFailed(difference)
    notice("every split (whole, bytes, random, recorded) gives the same events")
    return _decode(args, transcript, _recorded_reads, out)


def _decoder_for(args: argparse.Namespace) -> SSEDecoder | ChatStreamDecoder:
    if args.sse:
        return SSEDecoder(max_line_size=args.max_line_size)
    return chat_decoder(args)
