"""Conformance of popular Python SSE decoders on sseproto's SSE test vectors.

Every vector in spec/vectors/sse/*.json is fed to each decoder whole and one
byte per read; the dispatched events are compared with the vector as
(event, data, id).  Retry is not compared.  A peer's missing event type only
counts as "message" where the peer returns or documents that (httpx-sse and
sseclient-py do; openai returns None, which counts as a difference).  An
exception is a failure.  Then spec/samples/prediction-guard.sse goes through
each peer with a naive chat consumer, and through sseproto.ChatStreamDecoder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sseproto  # noqa: E402

Decode = Callable[[list[bytes]], list[Any]]
TOPICS = {  # vector file -> behaviour it pins down
    "basic": "basic events, multi-line data, empty input",
    "bom": "leading BOM stripped once, later BOMs kept",
    "comments": "comment lines ignored",
    "dispatch": "dispatch: empty data, type reset, no dispatch at EOF",
    "eventsource-parser": "cases from eventsource-parser (JS)",
    "fields": "field parsing: one space stripped, case, unknown",
    "id": "last event ID: persists, resets, NUL ignored",
    "line-endings": "CR / LF / CRLF only; U+2028, NEL, FF are not line ends",
    "peer-bugs": "known Python peer bugs",
    "retry": "retry lines do not dispatch (value not compared)",
    "utf8": "invalid UTF-8 becomes U+FFFD, no exception",
    "wpt": "web-platform-tests EventSource format cases",
}


def dec_openai(chunks: list[bytes]) -> list[Any]:
    from openai._streaming import SSEDecoder

    return list(SSEDecoder().iter_bytes(iter(chunks)))


def dec_httpx_sse(chunks: list[bytes]) -> list[Any]:
    # What EventSource.iter_sse does on a response (as in bench/run.py).
    from httpx._decoders import TextDecoder
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text_dec, line_dec, dec = TextDecoder("utf-8"), SSELineDecoder(), SSEDecoder()
    lines: list[str] = []
    for chunk in chunks:
        text = text_dec.decode(chunk)
        if text:
            lines += line_dec.decode(text)
    text = text_dec.flush()
    if text:
        lines += line_dec.decode(text)
    lines += line_dec.flush()
    events = (dec.decode(line.rstrip("\n")) for line in lines)
    return [sse for sse in events if sse is not None]


def dec_sseclient(chunks: list[bytes]) -> list[Any]:
    import sseclient

    return list(sseclient.SSEClient(iter(chunks)).events())


def dec_sseproto(chunks: list[bytes]) -> list[Any]:
    dec, out = sseproto.SSEDecoder(), []
    for chunk in chunks:
        out += dec.feed(chunk)
    return out + dec.close()


PEERS: dict[str, tuple[Decode, str]] = {  # name -> (decoder, distribution)
    "openai": (dec_openai, "openai"),
    "httpx-sse": (dec_httpx_sse, "httpx-sse"),
    "sseclient-py": (dec_sseclient, "sseclient-py"),
    "sseproto": (dec_sseproto, "sseproto"),
}


def expected(peer: str, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    # httpx-sse documents id "" as its default: absent and reset look the same.
    none_id = "" if peer == "httpx-sse" else None
    return [(e["event"], e["data"], none_id if e["id"] is None else e["id"]) for e in events]


def run(fn: Decode, chunks: list[bytes]) -> list[tuple[Any, ...]] | str:
    try:
        return [(ev.event, ev.data, ev.id) for ev in fn(chunks)]
    except Exception as exc:
        return f"raised {type(exc).__name__}: {str(exc)[:80]}"


def short(v: Any, n: int = 90) -> str:
    s = v if isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."


def diff(exp: list[Any], got: list[Any] | str) -> str:
    """The first differing event of a failing run."""
    if isinstance(got, str):
        return f"expected {short(exp, 60)}, got {got}"
    pairs = enumerate(zip(exp, got, strict=False))
    i = next((i for i, (a, b) in pairs if a != b), min(len(exp), len(got)))
    e, g = (exp[i] if i < len(exp) else "-"), (got[i] if i < len(got) else "-")
    head = f"{len(exp)} events expected, {len(got)} got; event {i}"
    return f"{head}: expected {short(e, 50)}, got {short(g, 50)}"


def check(vectors: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """peer -> topic -> one record per vector."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for peer, (fn, _) in PEERS.items():
        out[peer] = {}
        for topic, vecs in vectors.items():
            out[peer][topic] = []
            for v in vecs:
                data, exp = bytes.fromhex(v["input_hex"]), expected(peer, v["events"])
                whole, byte = run(fn, [data]), run(fn, [data[i : i + 1] for i in range(len(data))])
                rec = {"name": v["name"], "exp": exp, "whole": whole, "byte": byte}
                rec["ok"] = whole == exp and byte == exp
                rec["raised"] = isinstance(whole, str) or isinstance(byte, str)
                norm = [g if isinstance(g, str) else [(e or "message", *x) for e, *x in g]
                        for g in (whole, byte)]  # fmt: skip
                rec["lenient"] = norm == [exp, exp]  # a None event type read as "message"
                out[peer][topic].append(rec)
    return out


def seed_consumer(fn: Decode, chunks: list[bytes], content: str) -> tuple[str, bool]:
    """A naive chat consumer: json.loads every data, join choices[0].delta.content."""
    text, gen, n, data = "", False, 0, None
    try:
        for ev in fn(chunks):
            n, data = n + 1, ev.data
            if data == "[DONE]":
                break
            choice = json.loads(data)["choices"][0]
            text += choice["delta"].get("content") or ""
            gen = gen or choice.get("generated_text") is not None
    except Exception as exc:
        got = f"{n} event(s), then {type(exc).__name__}: {short(str(exc), 50)}"
        return f"{got} on data={short(data, 30)!r}; text {text!r}, generated_text: {gen}", False
    return f"{n} event(s), text {text!r}, generated_text reached: {gen}", text == content and gen


def seed_sseproto(chunks: list[bytes], content: str, full: str) -> tuple[str, bool]:
    dec, evs = sseproto.ChatStreamDecoder(dialect="auto"), []
    for chunk in chunks:
        evs += dec.feed(chunk)
    evs += dec.close()
    text = "".join(e.content or "" for e in evs if isinstance(e, sseproto.Delta))
    finals = [e.generated_text for e in evs if isinstance(e, sseproto.Final)]
    errors = [e for e in evs if isinstance(e, sseproto.StreamError)]
    done = any(isinstance(e, sseproto.Done) for e in evs)
    gen = f"the full text ({len(full)} chars)" if finals == [full] else short(finals, 60)
    msg = f"Delta text {text!r}, Final.generated_text = {gen}, Done: {done}, errors: {errors}"
    return msg, text == content and finals == [full] and done and not errors


def seed(path: Path) -> dict[str, tuple[str, bool]]:
    data = path.read_bytes()
    parts = data.decode()[len("data: ") :].split("\ndata: ")
    choices = [json.loads(p)["choices"][0] for p in parts if p.strip() != "[DONE]"]
    content = "".join(c["delta"].get("content") or "" for c in choices)
    full = next(c["generated_text"] for c in choices if c["generated_text"])
    out = {}
    for peer, (fn, _) in PEERS.items():
        runs = [
            seed_sseproto(chunks, content, full) if peer == "sseproto"
            else seed_consumer(fn, chunks, content)
            for chunks in ([data], [data[i : i + 1] for i in range(len(data))])
        ]  # fmt: skip
        same = runs[0] == runs[1]
        out[peer] = runs[0] if same else (f"whole: {runs[0][0]} | bytewise: {runs[1][0]}", False)
    return out


def report(res: dict[str, Any], seeds: dict[str, tuple[str, bool]], total: int) -> None:
    vers = {p: metadata.version(d) for p, (_, d) in PEERS.items()}
    print("# SSE peers vs. spec/vectors/sse: " + ", ".join(f"{p} {v}" for p, v in vers.items()))
    head = f"{'peer':<14}{'passed whole':>14}{'passed bytewise':>17}{'failed':>8}{'raised':>8}"
    print(f"\n{head}   (of {total} vectors)")
    for peer, topics in res.items():
        recs = [r for rs in topics.values() for r in rs]
        w, b = sum(r["whole"] == r["exp"] for r in recs), sum(r["byte"] == r["exp"] for r in recs)
        bad, exc = sum(not r["ok"] for r in recs), sum(r["raised"] for r in recs)
        print(f"{peer:<14}{w:>14}{b:>17}{bad:>8}{exc:>8}")
    for peer, topics in res.items():
        recs = [r for rs in topics.values() for r in rs]
        note = f" ({sum(not r['lenient'] for r in recs)} if None were read as event type 'message')"
        print(f"\n## {peer}: {sum(not r['ok'] for r in recs)} failing vectors", end="")
        print(note if peer == "openai" else "")
        for topic, rs in topics.items():
            bad = [r for r in rs if not r["ok"]]
            if not bad:
                continue
            print(f"{topic}.json: {len(bad)} failure(s): {', '.join(r['name'] for r in bad)}")
            other = [r for r in bad if not r["lenient"]][:1]  # openai: a failure beyond None
            for r in bad[:1] + (other if other and other[0] is not bad[0] else []):
                mode = "whole" if r["whole"] != r["exp"] else "byte"
                print(f"    e.g. {r['name']} ({mode}): {diff(r['exp'], r[mode])}")
    print("\n## seed stream spec/samples/prediction-guard.sse")
    print("(peers: naive consumer joining choices[0].delta.content; sseproto: ChatStreamDecoder)")
    for peer, (text, good) in seeds.items():
        print(f"{peer:<14}{'OK ' if good else 'BAD'} {text}")


def markdown(res: dict[str, Any], seeds: dict[str, tuple[str, bool]]) -> None:
    peers = list(res)
    print("| behaviour (vector topic) | " + " | ".join(peers) + " | reproduce |")
    print("| --- |" + " --- |" * len(peers) + " --- |")
    rows = [(TOPICS.get(t, t), t) for t in res[peers[0]]] + [("**all SSE vectors**", "*")]
    for label, topic in rows:
        cells = []
        for peer in peers:
            rs = [r for t, x in res[peer].items() if topic in (t, "*") for r in x]
            good, lenient = sum(r["ok"] for r in rs), sum(r["lenient"] for r in rs)
            cell = f"{'✓' if good == len(rs) else '✗'} {good}/{len(rs)}"
            cells.append(cell + (f" ({lenient})" if peer == "openai" and good < len(rs) else ""))
        print(f"| {label} | " + " | ".join(cells) + f" | `spec/vectors/sse/{topic}.json` |")
    cells = ["✓" if seeds[p][1] else "✗" for p in peers]
    print("| Prediction Guard chat stream, naive `json.loads(data)` | " + " | ".join(cells)
          + " | `spec/samples/prediction-guard.sse` |")  # fmt: skip
    print("\nn/m: vectors passed, fed whole and one byte per read, out of m; events compared as")
    print("(event, data, id). openai (k): passed if its `None` event type counted as `message`.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for the README")
    args = ap.parse_args(argv)
    vectors: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "spec/vectors/sse").glob("*.json")):
        # parse_int=str: a retry has 5000 digits (retry is not compared)
        vectors[path.stem] = json.loads(path.read_text(), parse_int=str)
    res = check(vectors)
    seeds = seed(ROOT / "spec/samples/prediction-guard.sse")
    if args.markdown:
        markdown(res, seeds)
    else:
        report(res, seeds, sum(map(len, vectors.values())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
