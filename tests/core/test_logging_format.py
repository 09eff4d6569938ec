"""Logs read as lines for a person at a terminal and as JSON everywhere else."""

from __future__ import annotations

import io
import json

import pytest

from rtspike.transports.core.logging import configure_logging, get_logger


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore():
    yield
    # back to what tests/conftest.py configures: later tests assert on info lines
    configure_logging("DEBUG")


def test_a_pipe_gets_json_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RTSPIKE_LOG_FORMAT", raising=False)
    out = io.StringIO()
    configure_logging("INFO", out)
    get_logger("t").info("server.started", port=8000, access_token="abc")
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["event"] == "server.started" and line["access_token"] == "[redacted]"


def test_a_terminal_gets_readable_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RTSPIKE_LOG_FORMAT", raising=False)
    out = Terminal()
    configure_logging("INFO", out)
    get_logger("t").info("server.started", port=8000, password="pw")
    text = out.getvalue()
    assert "server.started" in text and "pw" not in text.replace("password", "")
    with pytest.raises(ValueError):
        json.loads(text.splitlines()[-1])


def test_the_environment_overrides_the_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTSPIKE_LOG_FORMAT", "json")
    out = Terminal()
    configure_logging("INFO", out)
    get_logger("t").info("x.y")
    assert json.loads(out.getvalue().splitlines()[-1])["event"] == "x.y"
