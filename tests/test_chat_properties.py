"""Chat decoding properties: exact text under any split, totality, split invariance."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import Done, Final
from sseproto.testing import chat_streams, malformed_chat_streams, splittings
from tests.chat_helpers import decode_chat, delta_text, outcome
from tests.helpers import bytewise


@settings(max_examples=300)
@given(st.data())
def test_text_is_recovered_exactly_under_any_split(data: st.DataObject) -> None:
    case = data.draw(chat_streams())
    pieces = data.draw(splittings(case.data))
    for feed in ([case.data], pieces):
        events, chat = decode_chat(feed)
        assert delta_text(events) == case.text, case.form
        finals = [e for e in events if isinstance(e, Final)]
        assert [f.generated_text for f in finals] == [case.text]
        assert finals[0].finish_reason == case.chunks[-1]["choices"][0]["finish_reason"]
        assert isinstance(events[-1], Done) and chat.done


@given(chat_streams())
def test_bytewise_feeding_gives_the_same_outcome(case: object) -> None:
    data = case.data  # type: ignore[attr-defined]
    assert outcome([data]) == outcome(bytewise(data))


@settings(max_examples=400)
@given(st.data())
def test_malformed_streams_same_outcome_whole_or_split(data: st.DataObject) -> None:
    stream = data.draw(malformed_chat_streams())
    pieces = data.draw(splittings(stream))
    for kwargs in ({}, {"on_malformed": "skip"}, {"max_event_size": 64, "max_line_size": 64}):
        assert outcome([stream], **kwargs) == outcome(pieces, **kwargs)


@settings(max_examples=300)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_totality_on_arbitrary_bytes(stream: bytes, cuts: list[int]) -> None:
    # outcome() lets only ProtocolError through; anything else fails the test.
    from tests.helpers import split_at

    for kwargs in ({}, {"on_malformed": "skip"}, {"dialect": "tgi"}):
        assert outcome([stream], **kwargs) == outcome(split_at(stream, cuts), **kwargs)
