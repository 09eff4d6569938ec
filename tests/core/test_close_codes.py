"""The one close-code table, both directions, and the one reconnect rule."""

from __future__ import annotations

import pytest

from rtspike.transports.core.errors import (
    CLOSE_CODES,
    ERRORS_BY_CLOSE,
    AppError,
    CloseCode,
    ErrorCode,
    close_code_for,
    closure_from_payload,
    error_for_close,
    should_reconnect,
)


@pytest.mark.parametrize("close", list(ERRORS_BY_CLOSE))
def test_every_close_code_round_trips_through_its_error(close: CloseCode) -> None:
    error = error_for_close(close)
    assert error is not None and close_code_for(error) is close


@pytest.mark.parametrize("error", list(ErrorCode))
def test_every_error_has_a_close_code_whose_meaning_keeps_the_reconnect_class(
    error: ErrorCode,
) -> None:
    close = close_code_for(error)
    back = error_for_close(close)
    assert back is not None
    assert should_reconnect(close_code_for(back)) == should_reconnect(close)


def test_shared_close_codes_are_only_the_token_family() -> None:
    by_close: dict[CloseCode, set[ErrorCode]] = {}
    for error, close in CLOSE_CODES.items():
        by_close.setdefault(close, set()).add(error)
    shared = {c: e for c, e in by_close.items() if len(e) > 1}
    assert shared == {
        CloseCode.TOKEN_EXPIRED: {
            ErrorCode.TOKEN_EXPIRED,
            ErrorCode.TOKEN_REVOKED,
            ErrorCode.SESSION_EXPIRED,
        }
    }


@pytest.mark.parametrize(
    ("close", "reconnect"),
    [
        (1000, True),
        (1006, True),
        (4001, True),
        (4012, True),
        (4499, True),
        (4500, False),
        (4501, False),
        (4999, False),
        (5000, True),
    ],
)
def test_one_reconnect_rule_by_range(close: int, reconnect: bool) -> None:
    assert should_reconnect(close) is reconnect


def test_normal_and_abnormal_closes_carry_no_error_and_unknown_terminal_is_internal() -> None:
    assert error_for_close(CloseCode.NORMAL) is None
    assert error_for_close(CloseCode.ABNORMAL) is None
    assert error_for_close(4777) is ErrorCode.INTERNAL
    assert error_for_close(4321) is None


def test_close_payload_round_trips_to_the_same_error() -> None:
    sent = AppError(ErrorCode.TOKEN_REVOKED, "log in again", details={"why": "logout"})
    closure = closure_from_payload(sent.close_payload())
    assert closure is not None
    code, got = closure
    assert code == 4001 and got.code is ErrorCode.TOKEN_REVOKED
    assert got.message == "log in again" and got.details == {"why": "logout"}
    assert closure_from_payload(sent.to_dict()) is None
    assert closure_from_payload({"close_code": True}) is None
