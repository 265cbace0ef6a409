"""``sseproto record`` from the outside: faults, limits, Ctrl-C, TLS, redaction."""

from __future__ import annotations

import base64
import gzip
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
import trustme

from sseproto.transcript import REDACTED, Redactor, Transcript, load, record, redact
from tests.tool_helpers import (
    PACKAGE_SAMPLES,
    RawServer,
    cli,
    environment,
    one_line,
    read_terminal,
    response,
    serving,
)

TOOLS = PACKAGE_SAMPLES / "openai-tools.jsonl"
CHAT = (PACKAGE_SAMPLES / "openai-chat.sse").read_bytes()
KEY = "sk-live-4f9a1c2e8b7d6a5f"


def recorded(tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None
             ) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    out = tmp_path / "capture.jsonl"
    return cli("record", url, "-o", str(out), *args, env=env), out


def test_a_clean_recording_exits_0_and_replays(tmp_path: Path) -> None:
    with serving(TOOLS) as url:
        result, out = recorded(tmp_path, url + "/v1/chat/completions", "--json", "{}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode().startswith("sseproto: saved ")
    assert load(out).body == load(TOOLS).body
    assert cli("parse", str(out)).returncode == 0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("cut:500", "the stream ended early"), ("reset:500", "the stream ended early"),
     ("status:429", "HTTP 429"), ("status:500", "HTTP 500"),
     ("stall:5@500", "the stream ended early")],
)
def test_every_fault_saves_what_arrived_and_exits_1(tmp_path: Path, fault: str,
                                                     reason: str) -> None:
    with serving(TOOLS, fault) as url:
        result, out = recorded(tmp_path, url + "/", "--timeout", "1")
    line = one_line(result, 1)
    assert reason in line and f"to {out}" in line
    saved = load(out)
    if fault.startswith("status"):
        assert saved.status == int(fault[-3:]) and b"injected status" in saved.body
    else:
        assert 0 < len(saved.body) <= 500 and load(TOOLS).body.startswith(saved.body)


@pytest.mark.parametrize("fault", ["bytewise", "delay:0.2"])
def test_benign_faults_record_the_whole_stream(tmp_path: Path, fault: str) -> None:
    with serving(TOOLS, fault) as url:
        result, out = recorded(tmp_path, url + "/")
    assert result.returncode == 0, result.stderr
    assert load(out).body == load(TOOLS).body


def test_a_non_stream_answer_exits_1(tmp_path: Path) -> None:
    body = b'{"choices": [{"message": {"content": "hi"}}]}'
    with RawServer(lambda _: response(body, headers=[("Content-Type", "application/json")])
                   ) as srv:
        result, out = recorded(tmp_path, srv.url)
    assert "not a stream: Content-Type is 'application/json'" in one_line(result, 1)
    assert load(out).body == body


def test_an_in_stream_error_exits_1(tmp_path: Path) -> None:
    with serving(PACKAGE_SAMPLES / "vllm-error-midway.jsonl") as url:
        result, _ = recorded(tmp_path, url)
    assert "CUDA out of memory" in one_line(result, 1)


def bomb_response(megabytes: int) -> list[bytes | None]:
    """A gzip body of ``megabytes`` MiB of blank lines: about 1,000 times smaller on the wire."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\n" * (1 << 20)
    compressed = b"".join(squeeze.compress(block) for _ in range(megabytes)) + squeeze.flush()
    head = response(b"", headers=[("Content-Type", "text/event-stream"),
                                  ("Content-Encoding", "gzip")])
    return [head, compressed]


def test_a_gzip_bomb_is_cut_at_max_bytes_with_bounded_memory(tmp_path: Path) -> None:
    """1 GiB of inflated blank lines from 1 MiB on the wire: the default --max-bytes (64 MiB)
    cuts it, the file holds 64 MiB, and the peak RSS stays bounded."""
    out = tmp_path / "bomb.jsonl"
    pieces = bomb_response(1024)
    wire = sum(len(p) for p in pieces if p)
    code = ("import resource, sys; from sseproto.cli import main; rc = main(sys.argv[1:]);"
            " print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr);"
            " sys.exit(rc)")
    with RawServer(lambda _: pieces) as srv:
        result = subprocess.run([sys.executable, "-c", code, "record", srv.url, "-o", str(out)],
                                capture_output=True, timeout=120, env=environment(),
                                check=False)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1, lines
    assert "reached max_bytes (67108864 bytes" in lines[0] and "Traceback" not in lines[0]
    rss_mib = int(lines[-1]) / 1024
    print(f"gzip bomb: {wire / 1024:.0f} KiB on the wire, 1024 MiB inflated; record kept"
          f" 64 MiB, peak RSS {rss_mib:.0f} MiB")
    # About 90 MiB measured alone; 179 and 313 MiB inside full runs of the suite (how the
    # reads fall varies, and with it the chunks kept): bounded either way, at a small
    # multiple of --max-bytes, against the 3 GB an unbounded recording reached.
    assert rss_mib < 512, rss_mib
    assert load(out).size == 64 << 20


def test_max_bytes_cuts_and_saves(tmp_path: Path) -> None:
    with serving(TOOLS) as url:
        result, out = recorded(tmp_path, url, "--max-bytes", "1K")
    assert "reached max_bytes (1024 bytes" in one_line(result, 1)
    assert load(out).body == load(TOOLS).body[:1024]


def test_ctrl_c_saves_what_arrived_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "interrupted.jsonl"
    with serving(TOOLS, "stall:30@700") as url:
        process = subprocess.Popen([sys.executable, "-m", "sseproto", "record", url, "-o",
                                    str(out)], stderr=subprocess.PIPE, env=environment())
        deadline = time.monotonic() + 20
        time.sleep(1.0)  # the first 700 bytes arrive, then the server stalls
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
    assert process.returncode == 130, err
    assert err.decode().startswith("sseproto: interrupted: saved ") and b"Traceback" not in err
    assert load(out).body == load(TOOLS).body[:700]


def test_output_is_checked_before_the_request(tmp_path: Path) -> None:
    with RawServer(lambda _: response(CHAT)) as srv:
        result = cli("record", srv.url, "-o", str(tmp_path / "no" / "such" / "dir.jsonl"))
        assert srv.requests == []
    assert "cannot write" in one_line(result, 2)
    with RawServer(lambda _: response(CHAT)) as srv:
        result = cli("record", srv.url, "-o", str(tmp_path))
        assert srv.requests == []
    assert "cannot write" in one_line(result, 2)


def test_a_refused_connection_leaves_no_file(tmp_path: Path) -> None:
    with RawServer(lambda _: b"") as srv:
        url = srv.url
    result, out = recorded(tmp_path, url)
    assert "ConnectError" in one_line(result, 1)
    assert not out.exists()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    return {name: str(path) for name, path in paths.items()}


def test_cacert_and_insecure(tmp_path: Path, tls_files: dict[str, str]) -> None:
    args = [sys.executable, "-m", "sseproto", "serve", str(TOOLS), "--port", "0", "--tls",
            "--cert", tls_files["cert"], "--key", tls_files["key"]]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, env=environment())
    try:
        assert server.stdout is not None
        url = server.stdout.readline().decode().split(" on ")[-1].strip()
        assert url.startswith("https://")
        untrusted, _ = recorded(tmp_path, url)
        assert "TLSError" in one_line(untrusted, 1)
        trusted, out = recorded(tmp_path, url, "--cacert", tls_files["ca"])
        assert trusted.returncode == 0, trusted.stderr
        assert load(out).body == load(TOOLS).body
        insecure, _ = recorded(tmp_path, url, "--insecure")
        assert insecure.returncode == 0, insecure.stderr
        both, _ = recorded(tmp_path, url, "--insecure", "--cacert", tls_files["ca"])
        assert "contradict" in one_line(both, 2)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


# --- redaction ---------------------------------------------------------------------

BASIC = base64.b64encode(b"alice:pa55word-xyz").decode()
SECRETS = {
    "bearer": KEY,
    "x-token": "tok-9c8b7a6f5e4d",
    "custom": "cust-77aa88bb99cc",
    "client_secret": "cs-0011223344aabb",
    "mine": "param-5566778899",
    "cookie": "sess-a1b2c3d4e5 f6",
    "basic": BASIC,
    "password": "pa55word-xyz",
}
USERINFO = "ui-secret-123456"


def echo_everything(request: bytes) -> bytes:
    """An SSE stream that echoes every secret back: raw, URL-encoded, base64 padded and not."""
    values = [v.encode() for v in SECRETS.values()]
    echoes = []
    for value in values:
        b64 = base64.b64encode(value)
        echoes += [value, quote(value.decode(), safe="").encode(), b64, b64.rstrip(b"="),
                   base64.urlsafe_b64encode(b"x" + value).rstrip(b"=")]
    body = b"".join(b": echo " + e + b"\n" for e in echoes)
    body += b": head " + request.replace(b"\r\n", b" | ") + b"\n"
    return response(body + CHAT)


def test_every_secret_is_redacted_from_the_file_and_the_transcript(tmp_path: Path) -> None:
    with RawServer(echo_everything) as srv:
        netloc = srv.url.split("//", 1)[1]
        url = (f"http://{netloc}/v1/chat?"
               f"client_secret={SECRETS['client_secret']}&mine={SECRETS['mine']}&model=m")
        result, out = recorded(
            tmp_path, url, "--json", "{}", "--header", f"X-Token: {SECRETS['x-token']}",
            "--header", f"X-Custom: {SECRETS['custom']}", "--header",
            f"Cookie: session={quote(SECRETS['cookie'])}; theme=dark", "--header",
            f"Proxy-Authorization: Basic {BASIC}", "--redact-header", "X-Custom",
            "--redact-param", "mine", env={"SSEPROTO_API_KEY": KEY})
        sent = srv.requests[0]
    assert result.returncode == 0, result.stderr
    for name, value in SECRETS.items():
        if name != "password":  # inside the Basic credential
            assert value.encode() in sent or quote(value).encode() in sent, name
    data = out.read_bytes()
    for name, value in SECRETS.items():
        for form in (value.encode(), quote(value, safe="").encode(),
                     base64.b64encode(value.encode()).rstrip(b"=")):
            assert form not in data, (name, form)
    head = orjson.loads(data.splitlines()[0])
    headers = head["request"]["headers"]
    assert headers["authorization"] == headers["x-token"] == headers["x-custom"] == REDACTED
    assert headers["cookie"] == headers["proxy-authorization"] == REDACTED
    assert head["request"]["url"].startswith(f"http://{netloc}/v1/chat?client_secret=")
    assert "mine=[REDACTED]" in head["request"]["url"] and "model=m" in head["request"]["url"]
    assert cli("parse", str(out)).returncode == 0  # the body still decodes


def test_the_transcript_record_returns_holds_no_secret() -> None:
    with RawServer(lambda _: response(b": " + KEY.encode() + b"\n" + CHAT)) as srv:
        transcript = record(srv.url + "/?api_key=" + KEY, headers={
            "Authorization": f"Bearer {KEY}", "X-Token": SECRETS["x-token"]},
            body=b'{"key": "' + KEY.encode() + b'"}',
            redactor=Redactor.with_names(["X-Other"]))
    for text in (repr(transcript), transcript.dumps().decode(), str(transcript.body),
                 str(transcript.request_body), transcript.url, str(transcript.request_headers)):
        assert KEY not in text and SECRETS["x-token"] not in text


def test_redact_scrubs_a_secret_split_across_chunks() -> None:
    body = b": " + KEY.encode() + b"\n" + CHAT
    chunks = [(i / 100, body[i : i + 3]) for i in range(0, len(body), 3)]
    clean = redact(Transcript(chunks=chunks, request_headers={"authorization": f"Bearer {KEY}"}))
    assert KEY.encode() not in clean.body and clean.body.startswith(b": [REDACTED]\n")
    assert clean.body.endswith(CHAT)


def test_progress_is_redrawn_at_most_ten_times_a_second() -> None:
    import io

    from sseproto.tools.recording import Progress

    out = io.StringIO()
    progress = Progress(out)
    started = time.monotonic()
    for i in range(200_000):
        progress.on_chunk(b"data: x\n\n") if i % 100 == 0 else None
        progress(i, i)
    elapsed = time.monotonic() - started
    progress.finish()
    assert progress.redraws <= elapsed * 10 + 2
    assert "events" in out.getvalue() and "/s" in out.getvalue()
    assert out.getvalue().endswith(" s\n")


def test_gzip_recordings_keep_the_wire_headers_for_check(tmp_path: Path) -> None:
    body = gzip.compress(CHAT)
    with RawServer(lambda _: response(body, headers=[
            ("Content-Type", "text/event-stream"), ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body)))])) as srv:
        result, out = recorded(tmp_path, srv.url)
    assert result.returncode == 0, result.stderr
    assert load(out).body == CHAT
    report = cli("check", str(out), "--json")
    codes = {f["code"] for f in orjson.loads(report.stdout)["findings"]}
    assert {"content-encoding", "content-length", "no-cache-control"} <= codes
    assert os.path.getsize(out) > 0


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: the progress line, redrawn at most 10 times a second."""
    import pty

    out = tmp_path / "progress.jsonl"
    with serving(TOOLS, "bytewise") as url:
        leader, follower = pty.openpty()
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "sseproto", "record", url, "-o",
                                    str(out)], stderr=follower, env=environment())
        os.close(follower)
        shown = read_terminal(leader)
        process.wait(timeout=60)
        elapsed = time.monotonic() - started
        os.close(leader)
    assert process.returncode == 0, shown
    redraws = shown.count(b"\r\x1b[K")
    assert 1 <= redraws <= elapsed * 10 + 2, (redraws, elapsed)
    last = shown.decode().split("\r\x1b[K")[-1]
    assert "3.4 KiB, 13 events" in last and "/s," in last, last
    assert load(out).body == load(TOOLS).body


def test_query_names_that_hold_secrets() -> None:
    from sseproto.transcript import redact_url

    url = ("https://x.test/c?sv=1&sig=abc&design=blue&client_secret=s&apiKey=k&pwd=p"
           "&access_token=t&X-Amz-Signature=z&auth=a&model=m")
    clean = redact_url(url)
    for kept in ("sv=1", "design=blue", "model=m"):
        assert kept in clean
    for name in ("sig", "client_secret", "apiKey", "pwd", "access_token", "X-Amz-Signature",
                 "auth"):
        assert f"{name}=[REDACTED]" in clean, name
    assert redact_url("https://user:pass@x.test/") == "https://x.test/"


def test_credentials_in_the_url_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    with RawServer(lambda _: response(CHAT)) as srv:
        netloc = srv.url.split("//", 1)[1]
        result, out = recorded(tmp_path, f"http://bob:{USERINFO}@{netloc}/")
        assert srv.requests == []
    line = one_line(result, 2)
    assert "credentials" in line and USERINFO not in line and not out.exists()
