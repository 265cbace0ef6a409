"""Property tests of SSEDecoder: oracle agreement, split invariance, totality, round trip."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto import ProtocolError, ServerSentEvent, SSEDecoder
from tests.helpers import bytewise, run, split_at
from tests.reference_sse import reference_decode
from tests.strategies_sse import sse_streams, streams_and_cuts


def as_tuples(events: list[ServerSentEvent]) -> list[tuple[str, str, str | None, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


@given(streams_and_cuts())
def test_matches_the_reference_under_any_split(case: tuple[bytes, list[int]]) -> None:
    stream, cuts = case
    expected = reference_decode(stream)
    for pieces in ([stream], split_at(stream, cuts), bytewise(stream)):
        events, dec = run(SSEDecoder, pieces)
        assert as_tuples(events) == expected.events
        assert dec.last_event_id == expected.last_event_id
        assert dec.retry == expected.retry


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=8))
def test_totality_on_arbitrary_bytes(stream: bytes, cuts: list[int]) -> None:
    for limits in ({}, {"max_line_size": 8, "max_event_size": 8}):
        with contextlib.suppress(ProtocolError):
            run(lambda: SSEDecoder(**limits), split_at(stream, cuts))  # noqa: B023


@given(sse_streams, st.lists(st.integers(0, 600), max_size=8))
def test_small_limits_fail_the_same_way_under_any_split(stream: bytes, cuts: list[int]) -> None:
    def outcome(pieces: list[bytes]) -> object:
        try:
            events, _ = run(lambda: SSEDecoder(max_line_size=12, max_event_size=10), pieces)
        except sseproto.LimitExceeded as exc:
            return ("error", exc.limit_name, exc.offset)
        return as_tuples(events)

    assert outcome([stream]) == outcome(split_at(stream, cuts)) == outcome(bytewise(stream))


_field_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=20
)
_events = st.builds(
    ServerSentEvent,
    event=st.one_of(st.just("message"), _field_text.filter(lambda s: s != "")),
    data=st.lists(_field_text, min_size=1, max_size=4).map("\n".join),
    id=st.one_of(st.none(), _field_text.filter(lambda s: "\x00" not in s)),
    retry=st.one_of(st.none(), st.integers(0, 10**30)),
)


@given(st.lists(_events, max_size=8), st.lists(st.integers(0, 2000), max_size=8))
def test_encode_then_decode_round_trips(events: list[ServerSentEvent], cuts: list[int]) -> None:
    stream = b"".join(sseproto.encode(ev) for ev in events)
    decoded, dec = run(SSEDecoder, split_at(stream, cuts))
    # ids and retry persist: a decoded event carries the latest ones in force.
    expected, last_id, retry = [], None, None
    for ev in events:
        last_id = ev.id if ev.id is not None else last_id
        retry = ev.retry if ev.retry is not None else retry
        expected.append(ServerSentEvent(event=ev.event, data=ev.data, id=last_id, retry=retry))
    assert decoded == expected
    assert dec.last_event_id == last_id
