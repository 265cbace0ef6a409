"""AWS Bedrock event streams: sseproto against botocore, beside the shared SSE baseline.

The same tokens are streamed twice: as a Bedrock ``ConverseStream`` body
(binary event-stream messages with Bedrock's three headers and ``p``
padding) and as the OpenAI SSE stream ``bench/run.py`` uses.  Every
contender does a client's whole job: frame, check both CRCs where it can,
parse each JSON payload and take the text of each delta (counting events and
characters).  The denominator is the split+orjson loop of
``../shared/bench/baseline.py`` on the SSE form of the same tokens, so the
ratios say what the binary framing costs against the fastest clean SSE read.

Contenders on the event stream:

- ``ChatStreamDecoder`` (``auto``): framing, CRCs, the bedrock dialect, events;
- ``EventStreamFramer + orjson``: sseproto's framing alone;
- ``botocore buffer + orjson``: botocore's ``EventStreamBuffer`` (the parser
  boto3 uses), payloads parsed with orjson;
- ``boto3 events``: botocore's ``EventStream`` with the Bedrock service
  model, what a boto3 ``converse_stream`` loop runs.

    python bench/eventstream.py [--events N] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from run import (
    TIMER,
    Result,
    Runner,
    Workload,
    chunk_objs,
    gen_tokens,
    load_baseline,
    print_table,
    run_rounds,
    split_fixed,
    split_random,
    sse_stream,
    versions,
)

import sseproto
from sseproto.framing.eventstream import EventStreamFramer, encode_message

HEADERS = {":content-type": "application/json", ":message-type": "event"}
PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def converse_stream(rng: random.Random, tokens: list[str]) -> bytes:
    """A ConverseStream body as Bedrock sends it, ``p`` padding of random length included."""

    def event(kind: str, payload: dict[str, Any]) -> bytes:
        payload["p"] = PAD[: rng.randint(1, len(PAD))]
        return encode_message({":event-type": kind, **HEADERS}, orjson.dumps(payload))

    parts = [event("messageStart", {"role": "assistant"})]
    parts += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": t}})
              for t in tokens]
    parts += [event("contentBlockStop", {"contentBlockIndex": 0}),
              event("messageStop", {"stopReason": "end_turn"}),
              event("metadata", {"usage": {"inputTokens": 9, "outputTokens": len(tokens)},
                                 "metrics": {"latencyMs": 400}})]
    return b"".join(parts)


def _texts(payloads: Iterator[dict[str, Any]]) -> Result:
    n = chars = 0
    for payload in payloads:
        delta = payload.get("delta")
        if delta is not None:
            n += 1
            chars += len(delta.get("text") or "")
    return n, chars


def run_chat(chunks: list[bytes]) -> Result:
    dec = sseproto.ChatStreamDecoder()
    n = chars = 0
    for chunk in chunks:
        for ev in dec.feed(chunk):
            if type(ev) is sseproto.Delta:
                n += 1
                chars += len(ev.content or "")
    dec.close()
    return n, chars


def run_framer(chunks: list[bytes]) -> Result:
    framer = EventStreamFramer()
    loads = orjson.loads
    return _texts(loads(message.payload) for chunk in chunks for message in framer.feed(chunk))


def run_botocore_buffer(chunks: list[bytes]) -> Result:
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    loads = orjson.loads

    def payloads() -> Iterator[dict[str, Any]]:
        for chunk in chunks:
            buffer.add_data(chunk)
            for message in buffer:
                yield loads(message.payload)

    return _texts(payloads())


class _Body:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def stream(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        pass


def run_boto3(chunks: list[bytes]) -> Result:
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.shape_for("ConverseStreamOutput")
    n = chars = 0
    for event in EventStream(_Body(chunks), shape, EventStreamJSONParser(), "ConverseStream"):
        block = event.get("contentBlockDelta")
        if block is not None:
            n += 1
            chars += len(block["delta"].get("text") or "")
    return n, chars


def peer(runner: Runner) -> Runner | str:
    try:
        import botocore.eventstream  # noqa: F401
    except ImportError as exc:
        return f"not available ({exc})"
    return runner


def workloads(events: int, seed: int) -> list[Workload]:
    rng = random.Random(seed)
    tokens = gen_tokens(rng, events)
    sse = sse_stream(chunk_objs(rng, tokens))
    binary = converse_stream(rng, tokens)
    expected = (len(tokens), sum(len(t) for t in tokens))
    baseline = load_baseline()(b"\n\n")
    wls = []
    for reads, split in (("4096-byte reads", lambda d: split_fixed(d, 4096)),
                         ("random 1-64-byte reads", lambda d: split_random(d, seed, 1, 64))):
        sse_chunks, chunks = split(sse), split(binary)

        def base(_: list[bytes], sse_chunks: list[bytes] = sse_chunks) -> Result:
            # The SSE form has one more event (the role chunk) and one empty final chunk.
            n, chars = baseline(iter(sse_chunks))
            return n - 2, chars

        contenders: dict[str, Runner | str] = {
            "baseline (SSE form)": base,
            "ChatStreamDecoder": run_chat,
            "EventStreamFramer + orjson": run_framer,
            "botocore buffer + orjson": peer(run_botocore_buffer),
            "boto3 events": peer(run_boto3),
        }
        wls.append(Workload(f"ConverseStream, {reads}", len(binary), chunks, expected,
                            contenders))
    return wls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="2,000 events, 3 rounds")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--timer", choices=list(TIMER), default="cpu",
                    help="cpu: this process's CPU time (default); wall: wall-clock time")
    args = ap.parse_args(argv)
    events, rounds = (2_000, 3) if args.quick else (args.events, args.rounds)
    print("# AWS event-stream decoding (Bedrock ConverseStream)")
    print("  " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"  {events} text deltas, {rounds} interleaved rounds, {args.timer} time")
    wls = workloads(events, args.seed)
    run_rounds(wls, rounds, TIMER[args.timer])
    print_table(wls, "ConverseStream bodies (the baseline reads the SSE form of the same tokens)")
    for wl in wls:
        rates = ", ".join(f"{name} {wl.nbytes / m / 1e6:.0f} MB/s"
                          for name in wl.contenders if (m := wl.median(name)))
        print(f"  {wl.name}: {rates}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
