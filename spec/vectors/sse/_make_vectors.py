#!/usr/bin/env python3
"""Generate the SSE conformance vectors in this directory.

Every vector is built from a readable Python bytes literal; the expected
events / last_event_id / retry are typed BY HAND from the rules in
spec/sse.md (WHATWG HTML 9.2.5 / 9.2.6 + Encoding "UTF-8 decode").
No decoder is run to produce expectations.

Run:  python3 spec/vectors/sse/_make_vectors.py [--check]
It rewrites the *.json files next to this script (JSON, indent=1,
ensure_ascii=True so invisible characters such as U+FEFF stay visible), or
with --check exits 1 when one differs from what it would write.

Note: one retry vector holds a 5000-digit integer.  Python readers must call
sys.set_int_max_str_digits(0) before json.load(), or int parsing fails.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.support.vectors import write_vectors

sys.set_int_max_str_digits(0)

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {}  # file stem -> list of vectors


def ev(data, event="message", id=None, retry=None):
    """One expected event (all four keys always present)."""
    return {"event": event, "data": data, "id": id, "retry": retry}


def vec(file, name, description, source, raw, events, last_event_id=None, retry=None):
    assert isinstance(raw, bytes)
    FILES.setdefault(file, []).append({
        "name": name,
        "description": description,
        "source": source,
        "input_hex": raw.hex(),
        "events": events,
        "last_event_id": last_event_id,
        "retry": retry,
    })


S_PARSE = "WHATWG 9.2.5"
S_INTERP = "WHATWG 9.2.6"
S_UTF8 = "WHATWG 9.2.5 + Encoding 'UTF-8 decode'"
FFFD = "\ufffd"

# =====================================================================
# basic.json
# =====================================================================
F = "basic"
vec(F, "basic-single-event", "A single data line followed by a blank line dispatches one message event.",
    S_INTERP, b"data: hello\n\n", [ev("hello")])
vec(F, "basic-two-events", "Two blocks each terminated by a blank line dispatch two events in order.",
    S_INTERP, b"data: a\n\ndata: b\n\n", [ev("a"), ev("b")])
vec(F, "basic-multiline-data", "Several data lines in one block are joined with LF.",
    S_INTERP, b"data: a\ndata: b\ndata: c\n\n", [ev("a\nb\nc")])
vec(F, "basic-named-event", "An event field sets the dispatched event type.",
    S_INTERP, b"event: update\ndata: x\n\n", [ev("x", event="update")])
vec(F, "basic-all-fields", "id, event, retry and data in one block all show up on the dispatched event.",
    S_INTERP, b"id: 42\nevent: tick\nretry: 1000\ndata: payload\n\n",
    [ev("payload", event="tick", id="42", retry=1000)], last_event_id="42", retry=1000)
vec(F, "basic-empty-input", "An empty byte stream produces nothing.",
    S_PARSE, b"", [])
vec(F, "basic-only-blank-lines", "A stream of blank lines (any line ending) dispatches nothing.",
    S_INTERP, b"\n\n\n\r\n\r", [])
vec(F, "basic-leading-blank-lines", "Blank lines before the first field are harmless.",
    S_INTERP, b"\n\n\ndata: a\n\n", [ev("a")])
vec(F, "basic-extra-blank-lines-between-events", "Extra blank lines between blocks do not create extra events.",
    S_INTERP, b"data: a\n\n\n\ndata: b\n\n", [ev("a"), ev("b")])
vec(F, "basic-json-payload", "A JSON document in a data field is passed through untouched (spaces, colons, quotes).",
    S_INTERP, b'data: {"a": 1, "b": [1, 2], "c": "x:y"}\n\n', [ev('{"a": 1, "b": [1, 2], "c": "x:y"}')])
vec(F, "basic-llm-stream-with-done", "A typical LLM streaming response: JSON chunks then a [DONE] sentinel.",
    S_INTERP, b'data: {"delta":"Hel"}\n\ndata: {"delta":"lo"}\n\ndata: [DONE]\n\n',
    [ev('{"delta":"Hel"}'), ev('{"delta":"lo"}'), ev("[DONE]")])
vec(F, "basic-long-line-70000", "A 70,000-byte data value is delivered intact (fits default limits).",
    S_INTERP, b"data: " + b"x" * 70000 + b"\n\n", [ev("x" * 70000)])
vec(F, "basic-ten-events", "Ten consecutive one-line events.",
    S_INTERP,
    b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n"
    b"data: 5\n\ndata: 6\n\ndata: 7\n\ndata: 8\n\ndata: 9\n\n",
    [ev("0"), ev("1"), ev("2"), ev("3"), ev("4"), ev("5"), ev("6"), ev("7"), ev("8"), ev("9")])

# =====================================================================
# fields.json  (line -> field name / value)
# =====================================================================
F = "fields"
vec(F, "field-no-space-after-colon", "No space after the colon: the value is everything after the colon.",
    S_INTERP, b"data:a\n\n", [ev("a")])
vec(F, "field-two-spaces-after-colon", "Only one leading U+0020 is removed; a second space stays.",
    S_INTERP, b"data:  a\n\n", [ev(" a")])
vec(F, "field-three-spaces-after-colon", "Only one of three leading spaces is removed.",
    S_INTERP, b"data:   a\n\n", [ev("  a")])
vec(F, "field-tab-after-colon-kept", "A leading TAB is not stripped (only U+0020 is).",
    S_INTERP, b"data:\ta\n\n", [ev("\ta")])
vec(F, "field-tab-then-space-kept", "TAB then space after the colon: nothing is stripped.",
    S_INTERP, b"data:\t a\n\n", [ev("\t a")])
vec(F, "field-space-then-tab", "Space then TAB: only the space is removed.",
    S_INTERP, b"data: \ta\n\n", [ev("\ta")])
vec(F, "field-nbsp-not-stripped", "U+00A0 NO-BREAK SPACE after the colon is not stripped.",
    S_INTERP, b"data:\xc2\xa0a\n\n", [ev("\u00a0a")])
vec(F, "field-trailing-whitespace-kept", "Trailing spaces and tabs in a value are kept.",
    S_INTERP, b"data: a \t \n\n", [ev("a \t ")])
vec(F, "field-colon-in-value", "Only the first colon separates name and value.",
    S_INTERP, b"data: a:b:c\n\n", [ev("a:b:c")])
vec(F, "field-value-starts-with-colon", "A value may itself start with a colon.",
    S_INTERP, b"data::x\n\n", [ev(":x")])
vec(F, "field-value-colon-space", "Value ': x' after removing one space.",
    S_INTERP, b"data: : x\n\n", [ev(": x")])
vec(F, "field-name-case-sensitive-data", "'Data' and 'DATA' are unknown fields; only 'data' counts.",
    S_INTERP, b"Data: x\nDATA: y\ndata: z\n\n", [ev("z")])
vec(F, "field-name-case-sensitive-event", "'Event' is ignored, so the type stays 'message'.",
    S_INTERP, b"Event: foo\ndata: x\n\n", [ev("x")])
vec(F, "field-name-case-sensitive-id", "'ID' and 'Id' are ignored; no id is ever set.",
    S_INTERP, b"ID: 1\nId: 2\ndata: x\n\n", [ev("x")])
vec(F, "field-name-case-sensitive-retry", "'RETRY' and 'Retry' are ignored.",
    S_INTERP, b"RETRY: 5\nRetry: 6\ndata: x\n\n", [ev("x")])
vec(F, "field-unknown-ignored", "Unknown fields, with or without colon, are ignored.",
    S_INTERP, b"foo: bar\ndata: x\nbaz\n\n", [ev("x")])
vec(F, "field-name-leading-space-ignored", "' data' (leading space) is a different, unknown field name.",
    S_INTERP, b" data: x\ndata: y\n\n", [ev("y")])
vec(F, "field-name-trailing-space-ignored", "'data ' (space before colon) is an unknown field name.",
    S_INTERP, b"data : x\ndata: y\n\n", [ev("y")])
vec(F, "field-no-colon-event-is-empty", "'event' without colon sets the type buffer to empty, i.e. 'message'.",
    S_INTERP, b"event\ndata: x\n\n", [ev("x")])
vec(F, "field-no-colon-unknown", "A line without colon whose whole text is not a known field is ignored.",
    S_INTERP, b"hello world\ndata: x\n\n", [ev("x")])
vec(F, "field-event-empty-value-is-message", "'event:' with empty value gives type 'message'.",
    S_INTERP, b"event:\ndata: x\n\n", [ev("x")])
vec(F, "field-event-single-space-is-message", "'event: ' has value '' after removing the space, so 'message'.",
    S_INTERP, b"event: \ndata: x\n\n", [ev("x")])
vec(F, "field-event-two-spaces-is-space", "'event:  ' leaves the value ' ' which is a non-empty type.",
    S_INTERP, b"event:  \ndata: x\n\n", [ev("x", event=" ")])
vec(F, "field-event-case-preserved", "The event type value keeps its case.",
    S_INTERP, b"event: MixedCase\ndata: x\n\n", [ev("x", event="MixedCase")])
vec(F, "field-event-last-wins", "A later event field in the same block replaces an earlier one.",
    S_INTERP, b"event: a\nevent: b\ndata: x\n\n", [ev("x", event="b")])
vec(F, "field-event-with-colon", "The event value may contain colons.",
    S_INTERP, b"event: a:b\ndata: x\n\n", [ev("x", event="a:b")])
vec(F, "field-data-lookalike-names", "'datax', 'data_' and 'dat' are not 'data'.",
    S_INTERP, b"datax: 1\ndata_: 2\ndat: 3\ndata: 4\n\n", [ev("4")])
vec(F, "field-data-with-nul", "U+0000 inside data is kept.",
    S_INTERP, b"data: a\x00b\n\n", [ev("a\x00b")])
vec(F, "field-data-control-chars-kept", "C0 controls and DEL in data are kept verbatim.",
    S_INTERP, b"data: \x01\x07\x1b[0m\x7f\n\n", [ev("\x01\x07\x1b[0m\x7f")])
vec(F, "field-name-with-nul-ignored", "'data\\0' is an unknown field name.",
    S_INTERP, b"data\x00: x\ndata: y\n\n", [ev("y")])
vec(F, "field-name-non-ascii-ignored", "A non-ASCII field name is unknown.",
    S_INTERP, b"d\xc3\xa4ta: x\ndata: y\n\n", [ev("y")])

# =====================================================================
# line-endings.json
# =====================================================================
F = "line-endings"
vec(F, "eol-lf", "LF ends lines.",
    S_PARSE, b"data: a\ndata: b\n\n", [ev("a\nb")])
vec(F, "eol-crlf", "CRLF ends lines and leaves no CR in values.",
    S_PARSE, b"data: a\r\ndata: b\r\n\r\n", [ev("a\nb")])
vec(F, "eol-cr", "A lone CR ends lines; CR CR is a line plus a blank line.",
    S_PARSE, b"data: a\rdata: b\r\r", [ev("a\nb")])
vec(F, "eol-mixed-in-one-block", "CR, LF and CRLF can be mixed inside one block.",
    S_PARSE, b"data: a\rdata: b\ndata: c\r\n\n", [ev("a\nb\nc")])
vec(F, "eol-cr-cr-dispatches-each", "CR CR after each data line dispatches each block.",
    S_PARSE, b"data: a\r\rdata: b\r\r", [ev("a"), ev("b")])
vec(F, "eol-lf-cr-is-two-line-ends", "LF followed by CR is two line ends, so the CR makes a blank line.",
    S_PARSE, b"data: a\n\rdata: b\n\n", [ev("a"), ev("b")])
vec(F, "eol-lf-then-crlf-blank-line", "LF-terminated line followed by a CRLF blank line dispatches.",
    S_PARSE, b"data: a\n\r\ndata: b\n\n", [ev("a"), ev("b")])
vec(F, "eol-crlf-then-lf-blank-line", "CRLF-terminated line followed by an LF blank line dispatches.",
    S_PARSE, b"data: a\r\n\ndata: b\r\n\r\n", [ev("a"), ev("b")])
vec(F, "eol-cr-then-crlf", "CR ends the data line, the following CRLF is one blank line: exactly one event.",
    S_PARSE, b"data: a\r\r\n", [ev("a")])
vec(F, "eol-crlf-then-cr-at-eof", "A final lone CR after a CRLF line is a complete blank line and dispatches.",
    S_PARSE, b"data: a\r\n\r", [ev("a")])
vec(F, "eol-repeated-crlf-one-event", "Several CRLF blank lines after a block give one event only.",
    S_PARSE, b"data: a\r\n\r\n\r\n\r\n", [ev("a")])
vec(F, "eol-crlf-all-fields-same-block", "CRLF used for every line of a block with id/event/data.",
    S_PARSE, b"id: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\n\r\n",
    [ev("a\nb", event="e", id="1")], last_event_id="1")
vec(F, "eol-cr-only-stream-with-id", "A CR-only stream with an id that persists.",
    S_PARSE, b"id: 1\rdata: a\r\rdata: b\r\r", [ev("a", id="1"), ev("b", id="1")], last_event_id="1")
vec(F, "eol-u2028-not-line-end", "U+2028 LINE SEPARATOR inside a value is data, not a line end.",
    S_PARSE, b"data: a\xe2\x80\xa8b\n\n", [ev("a\u2028b")])
vec(F, "eol-u2029-not-line-end", "U+2029 PARAGRAPH SEPARATOR inside a value is data.",
    S_PARSE, b"data: a\xe2\x80\xa9b\n\n", [ev("a\u2029b")])
vec(F, "eol-nel-not-line-end", "U+0085 NEXT LINE inside a value is data.",
    S_PARSE, b"data: a\xc2\x85b\n\n", [ev("a\u0085b")])
vec(F, "eol-line-ending-in-u2028", "A value ending in U+2028 keeps it.",
    S_PARSE, b"data: a\xe2\x80\xa8\n\n", [ev("a\u2028")])
vec(F, "eol-u2028-does-not-split-fields", "Text after U+2028 U+2028 is still part of the same line/value.",
    S_PARSE, b"data: a\xe2\x80\xa8\xe2\x80\xa8data: b\n\n", [ev("a\u2028\u2028data: b")])
vec(F, "eol-nel-does-not-split-fields", "Text after U+0085 is still part of the same line/value.",
    S_PARSE, b"data: a\xc2\x85data: b\n\n", [ev("a\u0085data: b")])
vec(F, "eol-u2029-in-field-name", "A field name ending in U+2029 is unknown (the U+2029 does not end the line).",
    S_PARSE, b"data\xe2\x80\xa9\ndata: x\n\n", [ev("x")])
vec(F, "eol-vt-ff-fs-gs-rs-not-line-ends", "VT, FF, FS, GS and RS are not line ends (unlike str.splitlines).",
    S_PARSE, b"data: a\x0bb\x0cc\x1cd\x1de\x1ef\n\n", [ev("a\x0bb\x0cc\x1cd\x1de\x1ef")])

# =====================================================================
# bom.json
# =====================================================================
F = "bom"
vec(F, "bom-leading-stripped", "One leading UTF-8 BOM is removed before parsing.",
    S_UTF8, b"\xef\xbb\xbfdata: a\n\n", [ev("a")])
vec(F, "bom-double-second-is-data", "A second BOM is U+FEFF in the first line, making the field '\\uFEFFdata' which is ignored.",
    S_UTF8, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n", [])
vec(F, "bom-double-then-valid-event", "After a double BOM the first block is lost but the next one works.",
    S_UTF8, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n", [ev("y")])
vec(F, "bom-not-at-start-is-data", "A BOM at the start of a later line is U+FEFF and spoils that field name.",
    S_UTF8, b"data: a\n\n\xef\xbb\xbfdata: b\n\n", [ev("a")])
vec(F, "bom-in-data-value", "U+FEFF inside a data value is kept.",
    S_UTF8, b"data: \xef\xbb\xbfa\n\n", [ev("\ufeffa")])
vec(F, "bom-stripped-then-bom-in-value", "Leading BOM stripped; a BOM inside the value kept.",
    S_UTF8, b"\xef\xbb\xbfdata: \xef\xbb\xbf\n\n", [ev("\ufeff")])
vec(F, "bom-at-end-of-value", "U+FEFF at the end of a later value is kept.",
    S_UTF8, b"\xef\xbb\xbfdata: a\n\ndata: b\xef\xbb\xbf\n\n", [ev("a"), ev("b\ufeff")])
vec(F, "bom-only", "A stream that is only a BOM produces nothing.",
    S_UTF8, b"\xef\xbb\xbf", [])
vec(F, "bom-then-blank-lines", "BOM then blank lines then an event.",
    S_UTF8, b"\xef\xbb\xbf\n\ndata: a\n\n", [ev("a")])
vec(F, "bom-then-comment", "BOM followed by a comment line: the comment is recognised.",
    S_UTF8, b"\xef\xbb\xbf: hi\ndata: a\n\n", [ev("a")])
vec(F, "bom-then-cr", "BOM followed by CR line endings.",
    S_UTF8, b"\xef\xbb\xbf\rdata: a\r\r", [ev("a")])
vec(F, "bom-then-id", "BOM directly before an id field: the id is recognised.",
    S_UTF8, b"\xef\xbb\xbfid: 1\ndata: a\n\n", [ev("a", id="1")], last_event_id="1")
vec(F, "bom-after-leading-blank-line", "A BOM after a leading LF is not at stream start, so it is data.",
    S_UTF8, b"\n\xef\xbb\xbfdata: x\n\n", [])
vec(F, "bom-partial-two-bytes", "EF BB without BF is one U+FFFD (maximal subpart), spoiling the field name.",
    S_UTF8, b"\xef\xbbdata: x\n\n", [])
vec(F, "bom-partial-one-byte", "A lone EF is one U+FFFD, spoiling the field name.",
    S_UTF8, b"\xefdata: x\n\n", [])
vec(F, "bom-partial-then-newline", "EF BB then LF: a line '\\uFFFD' (ignored field) and the next block works.",
    S_UTF8, b"\xef\xbb\ndata: x\n\n", [ev("x")])
vec(F, "bom-partial-in-data-value", "A partial BOM inside a value becomes one U+FFFD.",
    S_UTF8, b"data: \xef\xbb\n\n", [ev(FFFD)])
vec(F, "bom-lookalike-fefe", "EF BB BE is the valid character U+FEFE, not a BOM, so it is not stripped.",
    S_UTF8, b"\xef\xbb\xbedata: x\n\ndata: y\n\n", [ev("y")])
vec(F, "bom-utf16le-not-stripped", "A UTF-16LE BOM (FF FE) is two U+FFFD, not stripped.",
    S_UTF8, b"\xff\xfedata: x\n\ndata: y\n\n", [ev("y")])

# =====================================================================
# utf8.json
# =====================================================================
F = "utf8"
vec(F, "utf8-valid-2byte", "Valid 2-byte sequences decode normally.",
    S_UTF8, b"data: caf\xc3\xa9\n\n", [ev("caf\u00e9")])
vec(F, "utf8-valid-cjk", "Valid 3-byte CJK text decodes normally.",
    S_UTF8, "data: 我現在都看實況不玩遊戲\n\n".encode(),
    [ev("\u6211\u73fe\u5728\u90fd\u770b\u5be6\u6cc1\u4e0d\u73a9\u904a\u6232")])
vec(F, "utf8-valid-emoji", "Valid 4-byte emoji (and a modifier) decode normally.",
    S_UTF8, b"data: \xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\n\n", [ev("\U0001f389\U0001f44d\U0001f3fd")])
vec(F, "utf8-valid-max-codepoint", "U+10FFFF is valid.",
    S_UTF8, b"data: \xf4\x8f\xbf\xbf\n\n", [ev("\U0010ffff")])
vec(F, "utf8-valid-noncharacter", "The noncharacter U+FFFE is valid UTF-8 and kept.",
    S_UTF8, b"data: \xef\xbf\xbe\n\n", [ev("\ufffe")])
vec(F, "utf8-lone-continuation", "A lone continuation byte is one U+FFFD.",
    S_UTF8, b"data: a\x80b\n\n", [ev("a" + FFFD + "b")])
vec(F, "utf8-several-continuations", "Each stray continuation byte is its own U+FFFD.",
    S_UTF8, b"data: \x80\xbf\x80\n\n", [ev(FFFD * 3)])
vec(F, "utf8-truncated-2byte", "A truncated 2-byte sequence before LF is one U+FFFD; LF still ends the line.",
    S_UTF8, b"data: \xc3\n\n", [ev(FFFD)])
vec(F, "utf8-truncated-3byte", "A truncated 3-byte sequence (E2 82) is one U+FFFD.",
    S_UTF8, b"data: \xe2\x82\n\n", [ev(FFFD)])
vec(F, "utf8-truncated-4byte", "A truncated 4-byte sequence (F0 9F 98) is one U+FFFD.",
    S_UTF8, b"data: \xf0\x9f\x98\n\n", [ev(FFFD)])
vec(F, "utf8-truncated-then-ascii", "A truncated sequence followed by ASCII: one U+FFFD then the ASCII.",
    S_UTF8, b"data: \xe2\x82x\n\n", [ev(FFFD + "x")])
vec(F, "utf8-truncated-before-cr", "A truncated sequence right before a CR line end.",
    S_UTF8, b"data: \xf0\x9f\rdata: b\r\r", [ev(FFFD + "\nb")])
vec(F, "utf8-overlong-nul", "Overlong C0 80 is two U+FFFD (C0 is never a valid lead byte).",
    S_UTF8, b"data: \xc0\x80\n\n", [ev(FFFD * 2)])
vec(F, "utf8-overlong-slash", "Overlong C0 AF is two U+FFFD.",
    S_UTF8, b"data: \xc0\xaf\n\n", [ev(FFFD * 2)])
vec(F, "utf8-overlong-3byte", "Overlong E0 80 80 is three U+FFFD.",
    S_UTF8, b"data: \xe0\x80\x80\n\n", [ev(FFFD * 3)])
vec(F, "utf8-overlong-4byte", "Overlong F0 80 80 80 is four U+FFFD.",
    S_UTF8, b"data: \xf0\x80\x80\x80\n\n", [ev(FFFD * 4)])
vec(F, "utf8-overlong-lf-not-line-end", "Overlong LF (C0 8A) is two U+FFFD and does not end the line.",
    S_UTF8, b"data: a\xc0\x8a\n\n", [ev("a" + FFFD * 2)])
vec(F, "utf8-surrogate-high", "An encoded high surrogate (ED A0 80) is three U+FFFD.",
    S_UTF8, b"data: \xed\xa0\x80\n\n", [ev(FFFD * 3)])
vec(F, "utf8-surrogate-low", "An encoded low surrogate (ED BF BF) is three U+FFFD.",
    S_UTF8, b"data: \xed\xbf\xbf\n\n", [ev(FFFD * 3)])
vec(F, "utf8-cesu-surrogate-pair", "A CESU-8 surrogate pair is six U+FFFD.",
    S_UTF8, b"data: \xed\xa0\xbd\xed\xb8\x80\n\n", [ev(FFFD * 6)])
vec(F, "utf8-above-max-codepoint", "F4 90 80 80 (above U+10FFFF) is four U+FFFD.",
    S_UTF8, b"data: \xf4\x90\x80\x80\n\n", [ev(FFFD * 4)])
vec(F, "utf8-bytes-f5-to-ff", "Bytes F5, F8, FC, FE, FF are each one U+FFFD.",
    S_UTF8, b"data: \xf5\xf8\xfc\xfe\xff\n\n", [ev(FFFD * 5)])
vec(F, "utf8-bad-continuation-3byte", "E2 28 A1: U+FFFD, '(', U+FFFD.",
    S_UTF8, b"data: \xe2\x28\xa1\n\n", [ev(FFFD + "(" + FFFD)])
vec(F, "utf8-bad-continuation-4byte", "F0 28 8C BC: U+FFFD, '(', U+FFFD, U+FFFD.",
    S_UTF8, b"data: \xf0\x28\x8c\xbc\n\n", [ev(FFFD + "(" + FFFD * 2)])
vec(F, "utf8-truncated-then-valid-3byte", "E2 then a valid E2 82 AC: U+FFFD then the euro sign.",
    S_UTF8, b"data: \xe2\xe2\x82\xac\n\n", [ev(FFFD + "\u20ac")])
vec(F, "utf8-truncated-then-valid-4byte", "F0 9F then a valid emoji: one U+FFFD then the emoji.",
    S_UTF8, b"data: \xf0\x9f\xf0\x9f\x98\x80\n\n", [ev(FFFD + "\U0001f600")])
vec(F, "utf8-latin1-byte", "A Latin-1 e-acute byte (E9) before LF is one U+FFFD.",
    S_UTF8, b"data: caf\xe9\n\n", [ev("caf" + FFFD)])
vec(F, "utf8-latin1-nel-byte", "A bare 0x85 byte is an invalid continuation byte (U+FFFD), not NEL and not a line end.",
    S_UTF8, b"data: a\x85b\n\n", [ev("a" + FFFD + "b")])
vec(F, "utf8-invalid-in-field-name", "An invalid byte in a field name makes it unknown.",
    S_UTF8, b"\x80data: x\ndata: y\n\n", [ev("y")])
vec(F, "utf8-invalid-in-id", "An invalid byte in an id value becomes U+FFFD and the id is accepted.",
    S_UTF8, b"id: \xff1\ndata: x\n\n", [ev("x", id=FFFD + "1")], last_event_id=FFFD + "1")
vec(F, "utf8-invalid-in-event", "An invalid byte in an event value becomes U+FFFD.",
    S_UTF8, b"event: \xc3\ndata: x\n\n", [ev("x", event=FFFD)])
vec(F, "utf8-truncated-at-eof-discarded", "A truncated sequence in the final unterminated line is discarded with that line.",
    S_UTF8, b"data: a\n\ndata: \xe2\x82", [ev("a")])

# =====================================================================
# id.json
# =====================================================================
F = "id"
vec(F, "id-basic", "An id field is reported on the event and committed.",
    S_INTERP, b"id: 1\ndata: a\n\n", [ev("a", id="1")], last_event_id="1")
vec(F, "id-never-set-is-null", "Without any id field, event id and last_event_id are null.",
    S_INTERP, b"data: a\n\n", [ev("a")], last_event_id=None)
vec(F, "id-persists-across-events", "The id buffer is not reset at dispatch.",
    S_INTERP, b"id: 1\ndata: a\n\ndata: b\n\n", [ev("a", id="1"), ev("b", id="1")], last_event_id="1")
vec(F, "id-changes", "A new id replaces the old one.",
    S_INTERP, b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", [ev("a", id="1"), ev("b", id="2")], last_event_id="2")
vec(F, "id-empty-no-colon-resets", "'id' without colon sets the id to the empty string.",
    S_INTERP, b"id: 1\ndata: a\n\nid\ndata: b\n\n", [ev("a", id="1"), ev("b", id="")], last_event_id="")
vec(F, "id-empty-colon-resets", "'id:' sets the id to the empty string.",
    S_INTERP, b"id: 1\ndata: a\n\nid:\ndata: b\n\n", [ev("a", id="1"), ev("b", id="")], last_event_id="")
vec(F, "id-empty-space-resets", "'id: ' (one space) sets the id to the empty string.",
    S_INTERP, b"id: 1\ndata: a\n\nid: \ndata: b\n\n", [ev("a", id="1"), ev("b", id="")], last_event_id="")
vec(F, "id-empty-on-first-event", "An empty id on the first event gives '' (not null).",
    S_INTERP, b"id:\ndata: a\n\n", [ev("a", id="")], last_event_id="")
vec(F, "id-with-nul-ignored", "An id containing U+0000 is ignored; the previous id stays.",
    S_INTERP, b"id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\n", [ev("a", id="1"), ev("b", id="1")], last_event_id="1")
vec(F, "id-only-nul-ignored-stays-null", "An id of just U+0000 is ignored, so the id stays null.",
    S_INTERP, b"id: \x00\ndata: a\n\n", [ev("a")], last_event_id=None)
vec(F, "id-nul-does-not-reset-same-block", "An ignored NUL id does not clear an id set earlier in the block.",
    S_INTERP, b"id: 5\nid: \x00\ndata: a\n\n", [ev("a", id="5")], last_event_id="5")
vec(F, "id-nul-then-valid-same-block", "A valid id after an ignored NUL id is used.",
    S_INTERP, b"id: \x00x\nid: 7\ndata: a\n\n", [ev("a", id="7")], last_event_id="7")
vec(F, "id-without-data-commits", "An id in a block without data is still committed at the blank line.",
    S_INTERP, b"id: 7\n\n", [], last_event_id="7")
vec(F, "id-without-data-then-event", "An id from a data-less block is reported on the next event.",
    S_INTERP, b"id: 7\n\ndata: a\n\n", [ev("a", id="7")], last_event_id="7")
vec(F, "id-reset-without-data-commits", "An empty id in a data-less block commits ''.",
    S_INTERP, b"id: 1\ndata: a\n\nid:\n\n", [ev("a", id="1")], last_event_id="")
vec(F, "id-unterminated-block-not-committed", "An id in a final block without blank line is not committed.",
    S_INTERP, b"id: 1\ndata: a\n\nid: 2\ndata: b\n", [ev("a", id="1")], last_event_id="1")
vec(F, "id-line-after-last-blank-not-committed", "A newline-terminated id line after the last blank line is not committed.",
    S_INTERP, b"id: 1\n\nid: 2\n", [], last_event_id="1")
vec(F, "id-final-line-no-newline", "An id on a final line without terminator is discarded.",
    S_INTERP, b"id: 1\ndata: a\n\nid: 2", [ev("a", id="1")], last_event_id="1")
vec(F, "id-unterminated-only-stays-null", "An id in the only, unterminated block leaves last_event_id null.",
    S_INTERP, b"id: 1\ndata: a\n", [], last_event_id=None)
vec(F, "id-after-data-in-block", "An id after the data line in the same block applies to that event.",
    S_INTERP, b"data: a\nid: 3\n\n", [ev("a", id="3")], last_event_id="3")
vec(F, "id-last-wins-in-block", "The last id field in a block wins.",
    S_INTERP, b"id: 1\nid: 2\ndata: a\n\n", [ev("a", id="2")], last_event_id="2")
vec(F, "id-leading-spaces", "Only one leading space is removed from an id.",
    S_INTERP, b"id:  x\ndata: a\n\n", [ev("a", id=" x")], last_event_id=" x")
vec(F, "id-trailing-space-kept", "Trailing spaces in an id are kept.",
    S_INTERP, b"id: x \ndata: a\n\n", [ev("a", id="x ")], last_event_id="x ")
vec(F, "id-with-colon", "An id value may contain colons.",
    S_INTERP, b"id: a:b\ndata: x\n\n", [ev("x", id="a:b")], last_event_id="a:b")
vec(F, "id-leading-zeros-verbatim", "An id is a string; leading zeros are kept.",
    S_INTERP, b"id: 007\ndata: a\n\n", [ev("a", id="007")], last_event_id="007")
vec(F, "id-non-ascii", "A non-ASCII id is kept.",
    S_INTERP, b"id: \xf0\x9f\x94\x91\ndata: a\n\n", [ev("a", id="\U0001f511")], last_event_id="\U0001f511")
vec(F, "id-event-only-block-commits-id", "A block with id and event but no data commits the id; the type does not leak.",
    S_INTERP, b"id: 9\nevent: foo\n\ndata: a\n\n", [ev("a", id="9")], last_event_id="9")

# =====================================================================
# retry.json
# =====================================================================
F = "retry"
HUGE = "1234567890" * 500  # 5000 ASCII digits, typed as a literal pattern
vec(F, "retry-basic", "A digits-only retry value sets the reconnection time.",
    S_INTERP, b"retry: 1000\ndata: a\n\n", [ev("a", retry=1000)], retry=1000)
vec(F, "retry-no-space", "retry without a space after the colon.",
    S_INTERP, b"retry:500\ndata: a\n\n", [ev("a", retry=500)], retry=500)
vec(F, "retry-leading-zeros", "Leading zeros are decimal, not octal: 0010 is 10.",
    S_INTERP, b"retry: 0010\ndata: a\n\n", [ev("a", retry=10)], retry=10)
vec(F, "retry-zero", "0 is a valid reconnection time.",
    S_INTERP, b"retry: 0\ndata: a\n\n", [ev("a", retry=0)], retry=0)
vec(F, "retry-all-zeros-no-data", "0000 is 0; a data-less block still updates retry.",
    S_INTERP, b"retry: 0000\n\n", [], retry=0)
vec(F, "retry-empty-colon-ignored", "'retry:' with an empty value is ignored.",
    S_INTERP, b"retry:\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-empty-space-ignored", "'retry: ' (value empty after removing the space) is ignored.",
    S_INTERP, b"retry: \ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-no-colon-ignored", "'retry' without colon has an empty value and is ignored.",
    S_INTERP, b"retry\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-exponent-ignored", "1e3 is not digits-only.",
    S_INTERP, b"retry: 1e3\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-negative-ignored", "-1 is not digits-only.",
    S_INTERP, b"retry: -1\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-plus-sign-ignored", "+1 is not digits-only.",
    S_INTERP, b"retry: +1\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-two-spaces-ignored", "'retry:  1' leaves ' 1', which is not digits-only.",
    S_INTERP, b"retry:  1\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-trailing-space-ignored", "'1 ' is not digits-only.",
    S_INTERP, b"retry: 1 \ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-underscore-ignored", "1_000 is not digits-only.",
    S_INTERP, b"retry: 1_000\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-decimal-point-ignored", "1.5 is not digits-only.",
    S_INTERP, b"retry: 1.5\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-hex-ignored", "0x10 is not digits-only.",
    S_INTERP, b"retry: 0x10\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-tab-ignored", "A leading TAB is not stripped, so the value is not digits-only.",
    S_INTERP, b"retry:\t1\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-trailing-letter-ignored", "1000x is not digits-only.",
    S_INTERP, b"retry: 1000x\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-with-nul-ignored", "A NUL after the digits makes the value invalid.",
    S_INTERP, b"retry: 1\x00\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-arabic-indic-digit-ignored", "U+0663 ARABIC-INDIC DIGIT THREE is not an ASCII digit.",
    S_INTERP, b"retry: \xd9\xa3\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-fullwidth-digit-ignored", "U+FF13 FULLWIDTH DIGIT THREE is not an ASCII digit.",
    S_INTERP, b"retry: \xef\xbc\x93\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-superscript-digit-ignored", "U+00B2 SUPERSCRIPT TWO is not an ASCII digit.",
    S_INTERP, b"retry: \xc2\xb2\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-ascii-then-devanagari-ignored", "'1' followed by U+0967 DEVANAGARI DIGIT ONE is not digits-only.",
    S_INTERP, b"retry: 1\xe0\xa5\xa7\ndata: a\n\n", [ev("a")], retry=None)
vec(F, "retry-huge-5000-digits", "A 5000-digit value is kept exactly as an integer.",
    S_INTERP, b"retry: " + HUGE.encode("ascii") + b"\ndata: a\n\n",
    [ev("a", retry=int(HUGE))], retry=int(HUGE))
vec(F, "retry-many-leading-zeros", "100 leading zeros then 42 is 42.",
    S_INTERP, b"retry: " + b"0" * 100 + b"42\ndata: a\n\n", [ev("a", retry=42)], retry=42)
vec(F, "retry-above-uint64", "2**64 is kept exactly (no overflow or clamping).",
    S_INTERP, b"retry: 18446744073709551616\ndata: a\n\n",
    [ev("a", retry=18446744073709551616)], retry=18446744073709551616)
vec(F, "retry-without-data-updates", "A retry in a data-less block dispatches nothing but updates retry.",
    S_INTERP, b"retry: 500\n\n", [], retry=500)
vec(F, "retry-line-terminated-without-blank-line", "A newline-terminated retry line takes effect even if no blank line follows.",
    S_INTERP, b"data: a\n\nretry: 5\n", [ev("a")], retry=5)
vec(F, "retry-in-unterminated-block-with-data", "retry applies when its line is processed; the unterminated block's data is discarded.",
    S_INTERP, b"retry: 9\ndata: a\n", [], retry=9)
vec(F, "retry-final-line-no-newline-ignored", "A retry on a final line without terminator is never processed.",
    S_INTERP, b"data: a\n\nretry: 5", [ev("a")], retry=None)
vec(F, "retry-persists-across-events", "The reconnection time stays in force for later events.",
    S_INTERP, b"retry: 5\ndata: a\n\ndata: b\n\n", [ev("a", retry=5), ev("b", retry=5)], retry=5)
vec(F, "retry-updates", "A later retry replaces the earlier one.",
    S_INTERP, b"retry: 1\ndata: a\n\nretry: 2\ndata: b\n\n", [ev("a", retry=1), ev("b", retry=2)], retry=2)
vec(F, "retry-bogus-keeps-previous", "An invalid retry leaves the previous value in force.",
    S_INTERP, b"retry: 100\ndata: a\n\nretry: x\ndata: b\n\n", [ev("a", retry=100), ev("b", retry=100)], retry=100)
vec(F, "retry-after-data-same-block", "A retry after the data line in the same block is in force at dispatch.",
    S_INTERP, b"data: a\nretry: 7\n\n", [ev("a", retry=7)], retry=7)
vec(F, "retry-last-wins-in-block", "The last valid retry in a block wins.",
    S_INTERP, b"retry: 1\nretry: 2\ndata: a\n\n", [ev("a", retry=2)], retry=2)
vec(F, "retry-bogus-after-valid-in-block", "An invalid retry after a valid one in the same block is ignored.",
    S_INTERP, b"retry: 1\nretry: 2x\ndata: a\n\n", [ev("a", retry=1)], retry=1)

# =====================================================================
# dispatch.json
# =====================================================================
F = "dispatch"
vec(F, "dispatch-data-no-colon", "'data' without colon appends '' + LF; the event has data ''.",
    S_INTERP, b"data\n\n", [ev("")])
vec(F, "dispatch-data-colon-empty", "'data:' with empty value dispatches an event with data ''.",
    S_INTERP, b"data:\n\n", [ev("")])
vec(F, "dispatch-data-space-empty", "'data: ' dispatches an event with data ''.",
    S_INTERP, b"data: \n\n", [ev("")])
vec(F, "dispatch-data-twice-no-colon", "Two bare 'data' lines give data '\\n' (only one trailing LF removed).",
    S_INTERP, b"data\ndata\n\n", [ev("\n")])
vec(F, "dispatch-three-empty-data", "Three empty data lines give two LFs.",
    S_INTERP, b"data:\ndata:\ndata:\n\n", [ev("\n\n")])
vec(F, "dispatch-only-one-trailing-lf-removed", "A trailing empty data line leaves one LF at the end.",
    S_INTERP, b"data: a\ndata:\n\n", [ev("a\n")])
vec(F, "dispatch-leading-empty-data", "A leading empty data line gives a leading LF.",
    S_INTERP, b"data:\ndata: a\n\n", [ev("\na")])
vec(F, "dispatch-empty-data-between-events", "An empty-data event between two normal events.",
    S_INTERP, b"data: a\n\ndata\n\ndata: b\n\n", [ev("a"), ev(""), ev("b")])
vec(F, "dispatch-event-only-block-no-event", "A block with only an event field dispatches nothing.",
    S_INTERP, b"event: x\n\n", [])
vec(F, "dispatch-event-only-block-resets-type", "A data-less block resets the event type buffer.",
    S_INTERP, b"event: x\n\ndata: a\n\n", [ev("a")])
vec(F, "dispatch-event-type-reset-after-dispatch", "The event type does not carry over to the next block.",
    S_INTERP, b"event: x\ndata: a\n\ndata: b\n\n", [ev("a", event="x"), ev("b")])
vec(F, "dispatch-event-field-after-data", "An event field after data in the same block applies.",
    S_INTERP, b"data: a\nevent: late\n\n", [ev("a", event="late")])
vec(F, "dispatch-event-explicit-message", "event: message is the same as the default type.",
    S_INTERP, b"event: message\ndata: a\n\n", [ev("a")])
vec(F, "dispatch-mixed-no-data-block", "A block with id, event, retry, comment and unknown field but no data: no event, id and retry still apply.",
    S_INTERP, b"id: 1\nevent: e\nretry: 3\n: c\nfoo: bar\n\n", [], last_event_id="1", retry=3)
vec(F, "dispatch-unknown-only-block", "A block with only unknown fields dispatches nothing.",
    S_INTERP, b"foo: 1\nbar\n\n", [])
vec(F, "dispatch-unterminated-block-discarded", "A block without a terminating blank line is discarded at end of stream.",
    S_INTERP, b"data: a\n", [])
vec(F, "dispatch-final-line-no-newline", "A final line without terminator is discarded.",
    S_INTERP, b"data: a", [])
vec(F, "dispatch-final-block-after-event-discarded", "Only the terminated block is dispatched.",
    S_INTERP, b"data: a\n\ndata: b\n", [ev("a")])
vec(F, "dispatch-final-cr-line-without-blank", "A CR-terminated data line with no blank line is not dispatched.",
    S_INTERP, b"data: a\r", [])
vec(F, "dispatch-whitespace-line-is-not-blank", "A line consisting of a TAB is an unknown field, not a blank line.",
    S_INTERP, b"data: a\n\t\ndata: b\n\n", [ev("a\nb")])
vec(F, "dispatch-space-line-is-not-blank", "A line consisting of spaces is an unknown field, not a blank line.",
    S_INTERP, b"data: a\n   \ndata: b\n\n", [ev("a\nb")])

# =====================================================================
# comments.json
# =====================================================================
F = "comments"
vec(F, "comment-basic", "A line starting with ':' is ignored.",
    S_INTERP, b": hello\ndata: a\n\n", [ev("a")])
vec(F, "comment-only-stream", "A stream of only comments produces nothing.",
    S_INTERP, b": a\n: b\n:\n", [])
vec(F, "comment-only-blocks", "Comment blocks terminated by blank lines produce nothing.",
    S_INTERP, b": a\n\n: b\n\n", [])
vec(F, "comment-lone-colon", "A line that is just ':' is a comment.",
    S_INTERP, b":\ndata: a\n\n", [ev("a")])
vec(F, "comment-containing-data", "': data: x' is a comment, not a data field.",
    S_INTERP, b": data: x\n\n", [])
vec(F, "comment-colon-data-no-space", "':data: x' is a comment.",
    S_INTERP, b":data: x\ndata: y\n\n", [ev("y")])
vec(F, "comment-id-inside-not-set", "': id: 5' is a comment; no id is set.",
    S_INTERP, b": id: 5\ndata: a\n\n", [ev("a")])
vec(F, "comment-between-data-lines", "A comment between data lines does not break the block.",
    S_INTERP, b"data: a\n: c\ndata: b\n\n", [ev("a\nb")])
vec(F, "comment-does-not-dispatch", "A comment line is not a blank line, so nothing is dispatched.",
    S_INTERP, b"data: a\n:\n", [])
vec(F, "comment-with-nul", "A comment containing NUL is ignored.",
    S_INTERP, b":\x00\ndata: a\n\n", [ev("a")])
vec(F, "comment-double-colon", "'::' is a comment.",
    S_INTERP, b"::\ndata: a\n\n", [ev("a")])
vec(F, "comment-long", "A 5000-character comment is ignored.",
    S_INTERP, b":" + b"x" * 5000 + b"\ndata: a\n\n", [ev("a")])
vec(F, "comment-heartbeats-mixed-eol", "Heartbeat comments with CR, CRLF and LF endings.",
    S_INTERP, b":\r:\r\n:\ndata: a\r\r", [ev("a")])
vec(F, "comment-with-invalid-utf8", "A comment with invalid UTF-8 is ignored.",
    S_INTERP, b":\xff\xfe\ndata: a\n\n", [ev("a")])

# =====================================================================
# wpt.json  (web-platform-tests eventsource/format-*, byte-level)
# message.py serves: message + ("\n\n" unless newline=none) + "\n"
# =====================================================================
F = "wpt"
W = "wpt eventsource/"
vec(F, "wpt-format-bom", "Leading BOM stripped; a BOM before a later line spoils that line.",
    W + "format-bom.any.js (via resources/message.py)",
    b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n\n", [ev("1"), ev("3")])
vec(F, "wpt-format-bom-2", "Double BOM: only the first is stripped, so the first block is lost.",
    W + "format-bom-2.any.js (via resources/message.py)",
    b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3\n\n\n", [ev("2"), ev("3")])
vec(F, "wpt-format-comments", "Comment fest: comments with CR/LF/CRLF, NUL and 2 KiB bodies between data lines.",
    W + "format-comments.any.js (via resources/message.py, newline=none)",
    b"data:1\r:\x00\n:\r\ndata:2\n:" + b"x" * 2048 + b"\rdata:3\n:data:fail\r:" + b"x" * 2048 + b"\ndata:4\n\n",
    [ev("1\n2\n3\n4")])
vec(F, "wpt-format-data-before-final-empty-line", "The final block without blank line (with id:test) is not dispatched and its id not committed.",
    W + "format-data-before-final-empty-line.any.js (via resources/message.py, newline=none)",
    b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n", [ev("test1", retry=1000)], last_event_id=None, retry=1000)
vec(F, "wpt-format-field-data", "Empty data, two bare data lines, then normal data.",
    W + "format-field-data.any.js (via resources/message.py)",
    b"data:\n\ndata\ndata\n\ndata:test\n\n\n", [ev(""), ev("\n"), ev("test")])
vec(F, "wpt-format-field-event-empty", "'event: ' is empty so the type is 'message'.",
    W + "format-field-event-empty.any.js (via resources/message.py)",
    b"event: \ndata:data\n\n\n", [ev("data")])
vec(F, "wpt-format-field-event", "A custom event type for one block, then 'message' again.",
    W + "format-field-event.any.js (via resources/message.py)",
    b"event:test\ndata:x\n\ndata:x\n\n\n", [ev("x", event="test"), ev("x")])
vec(F, "wpt-format-field-id", "Non-ASCII id (U+2026) with retry on the first connection's response.",
    W + "format-field-id.any.js (first response of resources/last-event-id.py)",
    b"id: \xe2\x80\xa6\nretry: 200\ndata: hello\n\n", [ev("hello", id="\u2026", retry=200)], last_event_id="\u2026", retry=200)
vec(F, "wpt-format-field-id-3-persists", "id persists to the next event.",
    W + "format-field-id-3 (resources/last-event-id2.py type=1)",
    b"id: 1\ndata: 1\n\ndata:2\n\n", [ev("1", id="1"), ev("2", id="1")], last_event_id="1")
vec(F, "wpt-format-field-id-3-changes-and-persists", "id changes, then persists.",
    W + "format-field-id-3 (resources/last-event-id2.py type=2)",
    b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
    [ev("1", id="1"), ev("2", id="2"), ev("3", id="2")], last_event_id="2")
vec(F, "wpt-format-field-id-3-resets", "'id:' resets the id to '' which then persists.",
    W + "format-field-id-3 (resources/last-event-id2.py type=3)",
    b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
    [ev("1", id="1"), ev("2", id=""), ev("3", id="")], last_event_id="")
vec(F, "wpt-format-field-id-null-nul-nul", "id value NUL NUL is ignored (browser lastEventId '' = never set here).",
    W + "format-field-id-null.window.js idvalue=%00%00 (resources/last-event-id.py)",
    b"id: \x00\x00\nretry: 200\ndata: hello\n\n", [ev("hello", retry=200)], last_event_id=None, retry=200)
vec(F, "wpt-format-field-id-null-x-nul", "id value 'x' NUL is ignored.",
    W + "format-field-id-null.window.js idvalue=x%00 (resources/last-event-id.py)",
    b"id: x\x00\nretry: 200\ndata: hello\n\n", [ev("hello", retry=200)], last_event_id=None, retry=200)
vec(F, "wpt-format-field-id-null-nul-x", "id value NUL 'x' is ignored.",
    W + "format-field-id-null.window.js idvalue=%00x (resources/last-event-id.py)",
    b"id: \x00x\nretry: 200\ndata: hello\n\n", [ev("hello", retry=200)], last_event_id=None, retry=200)
vec(F, "wpt-format-field-id-null-x-nul-x", "id value 'x' NUL 'x' is ignored.",
    W + "format-field-id-null.window.js idvalue=x%00x (resources/last-event-id.py)",
    b"id: x\x00x\nretry: 200\ndata: hello\n\n", [ev("hello", retry=200)], last_event_id=None, retry=200)
vec(F, "wpt-format-field-id-null-space-nul", "id value ' ' NUL (two spaces after colon) is ignored.",
    W + "format-field-id-null.window.js idvalue=%20%00 (resources/last-event-id.py)",
    b"id:  \x00\nretry: 200\ndata: hello\n\n", [ev("hello", retry=200)], last_event_id=None, retry=200)
vec(F, "wpt-format-field-parsing", "Field parsing: NUL data, two spaces, case, NUL in names, CR endings, leading-space name.",
    W + "format-field-parsing.any.js (via resources/message.py, newline=none)",
    b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
    [ev("\x00\n 2\n1\n3\n\n4")])
vec(F, "wpt-format-field-retry", "retry 03000 is decimal 3000.",
    W + "format-field-retry.any.js (03000; older .htm used 02000) via resources/message.py",
    b"retry:03000\ndata:x\n\n\n", [ev("x", retry=3000)], retry=3000)
vec(F, "wpt-format-field-retry-bogus", "A bogus retry (1000x) after a valid one is ignored.",
    W + "format-field-retry-bogus.any.js (via resources/message.py)",
    b"retry:3000\nretry:1000x\ndata:x\n\n\n", [ev("x", retry=3000)], retry=3000)
vec(F, "wpt-format-field-retry-empty", "'retry' with no value is ignored and the event still arrives.",
    W + "format-field-retry-empty.any.js (via resources/message.py)",
    b"retry\ndata:test\n\n\n", [ev("test")], retry=None)
vec(F, "wpt-format-field-unknown", "Unknown fields, a leading-space name, bare data and a comment.",
    W + "format-field-unknown.any.js (via resources/message.py)",
    b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n\n", [ev("test\n\ntest")])
vec(F, "wpt-format-leading-space", "A TAB is not stripped, 'data: ' is empty, CR used once.",
    W + "format-leading-space.any.js (via resources/message.py)",
    b"data:\ttest\rdata: \ndata:test\n\n\n", [ev("\ttest\n\ntest")])
vec(F, "wpt-format-newlines", "CRLF, LF and a final CR + LF (one line end) forming the blank line.",
    W + "format-newlines.any.js (via resources/message.py, newline=none)",
    b"data:test\r\ndata\ndata:test\r\n\r\n", [ev("test\n\ntest")])
vec(F, "wpt-format-null-character", "A NUL as the whole data value is delivered.",
    W + "format-null-character.any.js (via resources/message.py)",
    b"data:\x00\n\n\n\n\n", [ev("\x00")])
vec(F, "wpt-format-utf-8", "The stream is always UTF-8 regardless of a charset parameter.",
    W + "format-utf-8.any.js (charset=windows-1252 ignored; via resources/message.py)",
    b"data:ok\xe2\x80\xa6\n\n\n", [ev("ok\u2026")])
vec(F, "wpt-event-data-message2", "One iteration of message2.py: data lines, comment, unknown fields, bare data.",
    W + "event-data.any.js (one loop of resources/message2.py)",
    b"data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\ndata\n\ndata:end\n\n",
    [ev("msg\nmsg"), ev(""), ev("end")])
vec(F, "wpt-message-default", "Default message.py body (also used by format-mime-trailing-semicolon).",
    W + "resources/message.py default body",
    b"data: data\n\n\n", [ev("data")])

# =====================================================================
# eventsource-parser.json  (cases adapted from rexxars/eventsource-parser test/)
# =====================================================================
F = "eventsource-parser"
R = "rexxars/eventsource-parser test/"
L2K = b"x" * (2 * 1024 + 1)
vec(F, "esp-carriage-return-stream", "CR-only stream with two multi-line events and a done event.",
    R + "fixtures.ts getCarriageReturnFixtureStream (done event formatted by hand)",
    b"data: dog\rdata: bark\r\rdata: cat\rdata: meow\r\revent: done\ndata: \xe2\x9c\x94\n\n",
    [ev("dog\nbark"), ev("cat\nmeow"), ev("\u2714", event="done")])
vec(F, "esp-crlf-stream", "CRLF stream with two multi-line events.",
    R + "fixtures.ts getCarriageReturnLineFeedFixtureStream",
    b"data: sheep\r\ndata: bleat\r\n\r\ndata: pig\r\ndata: oink\r\n\r\n",
    [ev("sheep\nbleat"), ev("pig\noink")])
vec(F, "esp-mixed-comments", "Comments with NUL and 2 KiB bodies, CR endings; the final 'data:5' has no terminator.",
    R + "fixtures.ts getMixedCommentsFixtureStream",
    b"data:1\r\r:\x00\n:\r\ndata:2\n\n:" + L2K + b"\rdata:3\n\n:data:fail\r:" + L2K + b"\ndata:4\n\ndata:5",
    [ev("1"), ev("2"), ev("3"), ev("4")])
vec(F, "esp-multibyte-empty-lines", "Leading blank lines then an event with an id and CJK data.",
    R + "fixtures.ts getMultibyteEmptyLineFixtureStream",
    "\n\n\n\nid: 1\ndata: 我現在都看實況不玩遊戲\n\n".encode(),
    [ev("\u6211\u73fe\u5728\u90fd\u770b\u5be6\u6cc1\u4e0d\u73a9\u904a\u6232", id="1")], last_event_id="1")
vec(F, "esp-unknown-fields", "Unknown fields, leading-space name, bare data and comment inside one block.",
    R + "fixtures.ts getUnknownFieldsFixtureStream",
    b"data:abc\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:123\n\n", [ev("abc\n\n123")])
vec(F, "esp-multiline-stock", "Named multi-line events.",
    R + "fixtures.ts getMultilineFixtureStream",
    b"event: stock\ndata: YHOO\ndata: +2\ndata: 10\n\nevent: stock\ndata: GOOG\ndata: -8\ndata: 1881\n\n",
    [ev("YHOO\n+2\n10", event="stock"), ev("GOOG\n-8\n1881", event="stock")])
vec(F, "esp-crlf-split-same-event", "CRLF line ends then an LF blank line: one event with three lines (issue #17).",
    R + "parse.test.ts 'stream with cr separating chunks of same event'",
    b"data: A\r\ndata: B\r\ndata: C\r\n\n", [ev("A\nB\nC")])
vec(F, "esp-cr-then-crlf-one-event", "'data: one' CR then CRLF dispatches exactly once.",
    R + "parse.test.ts 'a blank cr line ending a chunk dispatches the pending event exactly once'",
    b"data: one\r\r\n", [ev("one")])
vec(F, "esp-comment-crlf-one-terminator", "A comment terminated by CRLF does not produce a blank line.",
    R + "parse.test.ts 'discarded unterminated comments consume crlf as one line terminator'",
    b"data: one\n:ignored\r\ndata: two\n\n", [ev("one\ntwo")])
vec(F, "esp-comment-bare-cr", "A comment terminated by a bare CR, next line parsed normally.",
    R + "parse.test.ts 'discarded lines terminated by a bare cr resume parsing'",
    b"data: one\n:ignored\rdata: two\n\n", [ev("one\ntwo")])
vec(F, "esp-bare-data-crlf", "A bare 'data' line ended by CRLF appends an empty line.",
    R + "parse.test.ts 'bare field lines terminated by a cr at a chunk boundary'",
    b"data: one\ndata\r\ndata: two\n\n", [ev("one\n\ntwo")])
vec(F, "esp-id-nul-keeps-previous", "An id containing NUL is ignored and the earlier id in the block survives.",
    R + "parse.test.ts 'stream with id field containing a NULL character'",
    b"id: 123\nid: bad\x00id\ndata: hello\n\n", [ev("hello", id="123")], last_event_id="123")
vec(F, "esp-id-blocks-without-data", "id-only blocks: commit 42, ignore NUL id, then reset to ''.",
    R + "parse.test.ts 'reports an id from a block without data'",
    b"id: 42\n\nid: bad\x00id\n\nid:\n\n", [], last_event_id="")
vec(F, "esp-id-cr-cr", "An id-only block with CR line endings commits the id.",
    R + "parse.test.ts 'reports an id from a block using CR line endings'",
    b"id: 42\r\r", [], last_event_id="42")
vec(F, "esp-empty-event-field", "'event:' empty gives 'message'; an event-only block dispatches nothing.",
    R + "fixtures.ts getEmptyEventsFixtureStream",
    b"event:\ndata: Hello 1\n\nevent:\n\n", [ev("Hello 1")])
vec(F, "esp-empty-retry", "An empty retry is ignored and the earlier retry stays in force.",
    R + "fixtures.ts getEmptyRetryFixtureStream (three parts concatenated)",
    b"id: 1\nretry: 500\ndata: \xf0\x9f\xa5\x8c\n\nid:2\nretry:\ndata:\xf0\x9f\xa7\xb9\n\nid: 3\ndata: \xe2\x9c\x85\n\n",
    [ev("\U0001f94c", id="1", retry=500), ev("\U0001f9f9", id="2", retry=500), ev("\u2705", id="3", retry=500)],
    last_event_id="3", retry=500)
vec(F, "esp-incorrect-retry", "retry 50x is ignored; 500 stays.",
    R + "parse.test.ts 'stream with incorrect retry fields'",
    b"\nretry: 500\n\ndata: first\n\nretry: 50x\n\ndata: second\n\n",
    [ev("first", retry=500), ev("second", retry=500)], retry=500)
vec(F, "esp-json-line-unknown-field", "A JSON error body line is an unknown field ('{\"error\"'), nothing dispatched.",
    R + "parse.test.ts 'calls onError when the stream is invalid (through newline)'",
    b'{"error":"Internal Server Error","message":"The server could not process your request"}\n', [])
vec(F, "esp-no-field-separator", "A plain text line with no colon is an unknown field.",
    R + "parse.test.ts 'calls onError when the stream is invalid (no field separator)'",
    b"Well, this is not what I expected\n", [])

# =====================================================================
# peer-bugs.json  (inputs that popular Python SSE parsers get wrong)
# =====================================================================
F = "peer-bugs"
OAI = "peer bug: openai-python SSEDecoder (src/openai/_streaming.py)"
HX = "peer bug: httpx-sse SSEDecoder (src/httpx_sse/_decoders.py)"
SC = "peer bug: sseclient-py (mpetazzoni/sseclient, sseclient/__init__.py)"
NAIVE = "peer bug: hand-written parsers (split on '\\n', startswith('data: '), etc.)"
vec(F, "peer-event-only-block-no-dispatch", "A block with only 'event: ping' must not dispatch (openai/httpx-sse emit an empty event).",
    OAI + "; " + HX, b"event: ping\n\ndata: a\n\n", [ev("a")])
vec(F, "peer-retry-only-block-no-dispatch", "A retry-only block must not dispatch (openai/httpx-sse emit an event).",
    OAI + "; " + HX, b"retry: 100\n\ndata: a\n\n", [ev("a", retry=100)], retry=100)
vec(F, "peer-extra-blank-lines-after-id", "Once an id was seen, extra blank lines must not dispatch empty events.",
    OAI + "; " + HX + " (dispatch test uses truthy last_event_id)",
    b"id: 1\ndata: a\n\n\n\n", [ev("a", id="1")], last_event_id="1")
vec(F, "peer-retry-persists-across-events", "The reconnection time stays in force (openai/httpx-sse reset retry per event).",
    OAI + "; " + HX, b"retry: 5\ndata: a\n\ndata: b\n\n", [ev("a", retry=5), ev("b", retry=5)], retry=5)
vec(F, "peer-retry-python-int-plus", "'+5' is rejected (Python int() accepts it).",
    OAI + "; " + HX + " (int(value))", b"retry: +5\ndata: a\n\n", [ev("a")])
vec(F, "peer-retry-python-int-whitespace", "' 5 ' is rejected (Python int() strips whitespace).",
    OAI + "; " + HX + " (int(value))", b"retry:  5 \ndata: a\n\n", [ev("a")])
vec(F, "peer-retry-python-int-underscore", "'1_0' is rejected (Python int() accepts underscores).",
    OAI + "; " + HX + " (int(value))", b"retry: 1_0\ndata: a\n\n", [ev("a")])
vec(F, "peer-retry-python-int-unicode-digit", "U+0665 ARABIC-INDIC FIVE is rejected (Python int() accepts Unicode Nd digits).",
    OAI + "; " + HX + " (int(value))", b"retry: \xd9\xa5\ndata: a\n\n", [ev("a")])
vec(F, "peer-retry-python-int-negative", "'-1' is rejected (Python int() accepts it).",
    OAI + "; " + HX + " (int(value))", b"retry: -1\ndata: a\n\n", [ev("a")])
vec(F, "peer-bom-stripped", "A leading BOM must be stripped (a plain 'utf-8' line decode keeps U+FEFF and loses the first field).",
    OAI + " (raw_line.decode('utf-8'))", b"\xef\xbb\xbfdata: a\n\n", [ev("a")])
vec(F, "peer-invalid-utf8-no-exception", "Invalid UTF-8 becomes U+FFFD instead of raising (strict decode raises UnicodeDecodeError).",
    OAI + " (raw_line.decode('utf-8') is strict)", b"data: \xff\n\ndata: b\n\n", [ev(FFFD), ev("b")])
vec(F, "peer-event-default-message", "An event without an event field has type 'message' (openai/httpx-sse report None/'').",
    OAI + "; " + HX, b"data: a\n\n", [ev("a", event="message")])
vec(F, "peer-lstrip-two-spaces", "Only one space is removed ('data:  x' -> ' x'); sseclient-py lstrip()s all whitespace.",
    SC, b"data:  x\n\n", [ev(" x")])
vec(F, "peer-lstrip-tab", "A TAB after the colon is kept; sseclient-py lstrip()s it.",
    SC, b"data:\tx\n\n", [ev("\tx")])
vec(F, "peer-whitespace-line-not-blank", "A whitespace-only line is not a blank line; sseclient-py splits the event there.",
    SC + " (_read uses line.strip())", b"data: a\n  \ndata: b\n\n", [ev("a\nb")])
vec(F, "peer-empty-event-is-message", "'event:' gives type 'message'; sseclient-py reports ''.",
    SC, b"event:\ndata: a\n\n", [ev("a")])
vec(F, "peer-id-persists", "id persists to later events; sseclient-py creates a fresh Event per block.",
    SC, b"id: 1\ndata: a\n\ndata: b\n\n", [ev("a", id="1"), ev("b", id="1")], last_event_id="1")
vec(F, "peer-id-with-nul", "An id with NUL is ignored; sseclient-py accepts it.",
    SC, b"id: a\x00b\ndata: x\n\n", [ev("x")])
vec(F, "peer-retry-is-integer", "retry is an integer, and '1e3' is rejected; sseclient-py keeps the raw string.",
    SC, b"retry: 1e3\ndata: a\n\nretry: 30\ndata: b\n\n", [ev("a"), ev("b", retry=30)], retry=30)
vec(F, "peer-splitlines-form-feed", "FF is not a line end (str.splitlines() splits on it).",
    "peer bug: parsers using str.splitlines() (e.g. httpx LineDecoder / iter_lines as used by older httpx-sse)",
    b"data: a\x0cdata: b\n\n", [ev("a\x0cdata: b")])
vec(F, "peer-splitlines-u2028", "U+2028 is not a line end (str.splitlines() splits on it).",
    "peer bug: parsers using str.splitlines() (e.g. httpx LineDecoder / iter_lines as used by older httpx-sse)",
    b"data: a\xe2\x80\xa8data: b\n\n", [ev("a\u2028data: b")])
vec(F, "peer-splitlines-nel", "U+0085 is not a line end (str.splitlines() splits on it).",
    "peer bug: parsers using str.splitlines() (e.g. httpx LineDecoder / iter_lines as used by older httpx-sse)",
    b"data: a\xc2\x85data: b\n\n", [ev("a\u0085data: b")])
vec(F, "peer-cr-only-line-endings", "CR-only streams must work (parsers splitting on '\\n' see one huge line).",
    NAIVE, b"data: a\rdata: b\r\rdata: c\r\r", [ev("a\nb"), ev("c")])
vec(F, "peer-lf-then-crlf-blank-line", "'\\n\\r\\n' ends a block (boundary search for \\n\\n, \\r\\r, \\r\\n\\r\\n misses it).",
    NAIVE + " and boundary-search chunkers (openai-python _iter_chunks delays it)",
    b"data: a\n\r\ndata: b\n\n", [ev("a"), ev("b")])
vec(F, "peer-data-no-space", "'data:x' has value 'x' (prefix 'data: ' matching misses it).",
    NAIVE, b"data:x\n\n", [ev("x")])
vec(F, "peer-data-no-colon", "A bare 'data' line dispatches an empty-data event.",
    NAIVE, b"data\n\n", [ev("")])
vec(F, "peer-comment-with-data-inside", "A comment containing 'data:' is ignored ('\"data:\" in line' matching fails).",
    NAIVE, b": data: x\ndata: y\n\n", [ev("y")])
vec(F, "peer-data-prefix-substring", "'xdata: x' is an unknown field.",
    NAIVE, b"xdata: x\ndata: y\n\n", [ev("y")])
vec(F, "peer-multiple-data-joined-with-lf", "Multiple data lines are joined with LF, not concatenated.",
    NAIVE, b"data: a\ndata: b\n\n", [ev("a\nb")])
vec(F, "peer-event-type-reset", "The event type does not leak into the next block.",
    NAIVE, b"event: x\ndata: a\n\ndata: b\n\n", [ev("a", event="x"), ev("b")])
vec(F, "peer-only-one-trailing-lf-removed", "Exactly one trailing LF is removed (rstrip('\\n') removes all).",
    NAIVE, b"data: a\ndata:\ndata:\n\n", [ev("a\n\n")])
vec(F, "peer-value-trailing-space-kept", "Trailing whitespace in the value is kept (strip() removes it).",
    NAIVE, b"data: a \n\n", [ev("a ")])
vec(F, "peer-final-unterminated-event-discarded", "An event without terminating blank line is not emitted at end of stream.",
    NAIVE + " (flush-at-EOF parsers)", b"data: a\n\ndata: b", [ev("a")])


# =====================================================================
if __name__ == "__main__":
    sys.exit(write_vectors(Path(HERE), FILES))
