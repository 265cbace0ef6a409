"""The pytest plugin, as an SDK author meets it: a project that never imports sseproto."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# A client under test, as a project of its own would have it: standard library only.
CLIENT = '''
import json
import urllib.error
import urllib.request


def stream(url):
    """POST a chat request; return (events in the parse --json form, stream ok)."""
    request = urllib.request.Request(url + "/v1/chat/completions", method="POST",
                                     data=json.dumps({"model": "m", "stream": True}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer sk-test-123"})
    try:
        response = urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError:
        return [], False
    body = response.read().decode()
    events, text, finish, usage = [], "", None, None
    for block in body.split("\\n\\n"):
        data = block.removeprefix("data: ")
        if data == "[DONE]":
            events.append({"type": "final", "index": 0, "generated_text": text,
                           "finish_reason": finish, "usage": usage})
            return events + [{"type": "done"}], True
        if data:
            chunk = json.loads(data)
            usage = chunk.get("usage") or usage
            for choice in chunk["choices"]:
                content = choice["delta"].get("content")
                events.append({"type": "delta", "index": 0, "content": content})
                text += content or ""
                finish = choice.get("finish_reason") or finish
    return events, False
'''

TESTS = '''
import pytest

from client import stream

BODY = [b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n',
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\\n\\n',
        b"data: [DONE]\\n\\n"]


def test_the_fixture_serves_chunks_and_records_requests(sse_server):
    server = sse_server(BODY, faults=["bytewise"])
    events, ok = stream(server.url)
    assert ok and events[0] == {"type": "delta", "index": 0, "content": "Hi"}
    [request] = server.requests
    assert request.method == "POST" and request.path == "/v1/chat/completions"
    assert request.headers["AUTHORIZATION"] == "Bearer sk-test-123"
    assert request.json == {"model": "m", "stream": True}


def test_faults_apply(sse_server):
    assert stream(sse_server(BODY, faults=["status:429"]).url) == ([], False)


def test_a_transcript_path(sse_server, tmp_path):
    path = tmp_path / "body.sse"
    path.write_bytes(b"".join(BODY))
    assert stream(sse_server(str(path)).url)[1]


@pytest.mark.sse_suite("chat/openai-sample-gpt-4o-mini/*", "chat/openai-finish-length/*")
def test_the_suite(sse_scenario, sse_server):
    events, ok = stream(sse_server(sse_scenario).url)
    sse_scenario.check(events, ok=ok)


@pytest.mark.sse_suite("fault/status-429", "chat/keepalive-comment-lines/whole")
def test_the_suite_reports_differences(sse_scenario, sse_server):
    events, ok = stream(sse_server(sse_scenario).url)
    sse_scenario.check(events, ok=ok)
'''


def test_the_plugin_in_a_project_that_never_imports_sseproto(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(client=CLIENT, test_client=TESTS)
    assert "sseproto" not in CLIENT + TESTS
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3 + 4 + 3 + 1, failed=1)
    result.stdout.fnmatch_lines([
        "*test_the_suite?chat/openai-sample-gpt-4o-mini/bytes? PASSED*",
        "*test_the_suite?chat/openai-sample-gpt-4o-mini/cuts? PASSED*",
        "*test_the_suite_reports_differences?chat/keepalive-comment-lines/whole? FAILED*",
        "*test_the_suite_reports_differences?fault/status-429? PASSED*",
    ])
    # json.loads(': OPENROUTER PROCESSING') raised in the client: the test failed there.
    assert "JSONDecodeError" in result.stdout.str()


def test_a_marker_matching_nothing_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.sse_suite("no/such/*")
def test_x(sse_scenario):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no sseproto suite scenario matches ('no/such/*',)*"])


def test_check_names_the_first_difference(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.sse_suite("chat/openai-finish-length/whole")
def test_x(sse_scenario):
    sse_scenario.check([{"type": "delta", "index": 0, "content": "wrong"}], ok=True)
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*chat/openai-finish-length/whole*event 1: expected*'
                                 'received {"type":"delta","index":0,"content":"wrong"}*'])
