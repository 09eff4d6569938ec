"""The one input decoder, the cursor codec and the send parser under hostile input: every
input is either accepted as a safe value or refused with a structured 4xx code, never another
exception (property-based: hypothesis generates the inputs)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.decode import (
    MAX_DEPTH,
    MAX_INT,
    check_value,
    decode_json,
    parse_int,
)
from rtspike.transports.core.envelope import parse_send
from rtspike.transports.core.errors import AppError, ErrorCode

REFUSALS = {ErrorCode.VALIDATION_ERROR, ErrorCode.PAYLOAD_TOO_LARGE}
FAST = settings(max_examples=150, deadline=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


def _safe(value: Any) -> bool:
    """Text encodes as UTF-8 (a str from JSON with a lone surrogate does not)."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        return True
    except (UnicodeEncodeError, ValueError):
        return False


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_decode_json_accepts_or_refuses_structurally(raw: bytes | str) -> None:
    try:
        value = decode_json(raw, 1024)
    except AppError as exc:
        assert exc.code in REFUSALS
        return
    assert _safe(value)


@FAST
@given(json_values)
def test_decoded_values_are_always_safe_to_store(value: Any) -> None:
    text = json.dumps(value)
    try:
        decoded = decode_json(text, 1 << 20)
    except AppError as exc:
        assert exc.code is ErrorCode.VALIDATION_ERROR
        return
    assert _safe(decoded)
    ints = [v for v in _leaves(decoded) if isinstance(v, int) and not isinstance(v, bool)]
    assert all(-(2**63) <= v <= MAX_INT for v in ints)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000 + "]" * 5000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"body": "\\ud800"}',
        '{"\\udfff": 1}',
        '{"n": ' + str(10**30) + "}",
        '{"n": NaN}',
        '{"n": Infinity}',
        b'{"body": "\xff"}',
        b"\xed\xa0\x80",
    ],
)
def test_hostile_json_is_a_validation_error(raw: str | bytes) -> None:
    with pytest.raises(AppError) as info:
        decode_json(raw, 1 << 20)
    assert info.value.code is ErrorCode.VALIDATION_ERROR


def test_size_counts_encoded_bytes() -> None:
    with pytest.raises(AppError) as info:
        decode_json('"' + "é" * 600 + '"', 1000)
    assert info.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert decode_json('"' + "é" * 400 + '"', 1000) == "é" * 400


def test_check_value_refuses_python_objects_a_codec_handed_over() -> None:
    for bad in ({1: "x"}, {"a": object()}, ["\ud800"], {"x": 2**64}):
        with pytest.raises(AppError):
            check_value(bad)


@FAST
@given(st.text(max_size=25))
def test_parse_int_only_ascii_digits(text: str) -> None:
    try:
        n = parse_int(text, "limit", 1, 1000, 200)
    except AppError as exc:
        assert exc.code is ErrorCode.VALIDATION_ERROR
        return
    assert text.isascii() and text.isdigit() and 1 <= n <= 1000


@pytest.mark.parametrize("text", ["²", "\u0661\u0662", "1e3", "-1", "0", "1001", " 5", "9" * 40])
def test_parse_int_refusals(text: str) -> None:
    with pytest.raises(AppError):
        parse_int(text, "limit", 1, 1000, 200)


# cursor codec ---------------------------------------------------------------------------------
streams = st.text(
    st.characters(blacklist_characters="|=", blacklist_categories=("Cs",)), min_size=1
)


@FAST
@given(
    st.text(st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), max_size=20),
    st.dictionaries(streams, st.integers(0, 10**17), max_size=5),
)
def test_cursor_round_trips(epoch: str, positions: dict[str, int]) -> None:
    cursor = Cursor(epoch, positions)
    assert Cursor.decode(cursor.encode()) == cursor


def _cursor_of(text: str) -> str:
    return "c1" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@FAST
@given(st.text(max_size=200) | st.text(max_size=80).map(_cursor_of))
def test_cursor_decode_accepts_or_refuses(raw: str) -> None:
    try:
        cursor = Cursor.decode(raw)
    except AppError as exc:
        assert exc.code is ErrorCode.VALIDATION_ERROR
        return
    assert all(isinstance(v, int) and 0 <= v < 10**18 for v in cursor.positions.values())


@pytest.mark.parametrize("seq", ["²", "\u0661", "1²", "-1", "+1", " 1"])
def test_cursor_seq_must_be_ascii_digits(seq: str) -> None:
    with pytest.raises(AppError) as info:
        Cursor.decode(_cursor_of(f"e1|lga:lga-01={seq}"))
    assert info.value.code is ErrorCode.VALIDATION_ERROR


# the send parser ------------------------------------------------------------------------------
@FAST
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "to": st.none() | st.text(max_size=70),
            "broadcast": st.booleans() | st.integers(),
            "body": st.text(max_size=50) | st.integers(),
            "client_msg_id": st.text(max_size=70),
            "sent_at_ns": st.integers(min_value=-(2**70), max_value=2**70) | st.floats(),
        },
    )
)
def test_parse_send_accepts_or_refuses(frame: dict[str, Any]) -> None:
    for raw in (frame, json.dumps(frame)):
        try:
            msg = parse_send(raw, 2048)
        except AppError as exc:
            assert exc.code in REFUSALS
            continue
        assert _safe(msg.body) and (msg.sent_at_ns is None or 0 <= msg.sent_at_ns <= MAX_INT)


@pytest.mark.parametrize(
    "frame",
    [
        {"broadcast": True, "body": "x", "client_msg_id": "a", "sent_at_ns": 10**30},
        {"broadcast": True, "body": "\ud800", "client_msg_id": "a"},
        '{"broadcast": true, "body": "\\ud800", "client_msg_id": "a"}',
    ],
)
def test_parse_send_hostile_values(frame: Any) -> None:
    with pytest.raises(AppError) as info:
        parse_send(frame, 2048)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
