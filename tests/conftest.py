"""Shared fixtures: real Redis (fail, never skip, in CI), fresh settings, a clock."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from rtspike.scenarios import browser as browser_setup
from rtspike.transports.core.logging import configure_logging
from rtspike.transports.core.redis_keys import delete_prefix
from rtspike.transports.core.settings import Settings

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
DEV_TOKEN = "test-dev-faults-token"
DEV_HEADERS = {"X-Rtspike-Dev-Token": DEV_TOKEN}

configure_logging("DEBUG")


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode caches on, for this process and every child it starts. The suite starts
    hundreds of Python children (servers, load generators, CLI runs, Locust, nested pytest);
    with PYTHONDONTWRITEBYTECODE set, each one compiled every module it imported from source,
    about half of a server's start-up CPU (1.36 -> 0.64 s measured)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


@pytest.fixture(autouse=True)
def _debug_logging() -> Iterator[None]:
    """Every test starts with DEBUG logging: a CLI or bench entry point run in-process sets
    WARNING, which would silently hide the info lines later tests assert on."""
    configure_logging("DEBUG")
    yield


def require(problem: str | None) -> None:
    """A missing tool fails the run in CI (CI=true) and skips on a laptop: never a silent pass."""
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


def redis_url_or_fail() -> str:
    return os.environ.get("RTSPIKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """A reachable Redis URL. Unreachable: skip on a laptop, fail in CI (CI=true)."""
    url = redis_url_or_fail()
    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        message = (
            f"Redis at {url} is unreachable ({exc}); run `make redis` or set RTSPIKE_TEST_REDIS_URL"
        )
        require(message)
    finally:
        await client.aclose()
    yield url


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"rtspike-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    await delete_prefix(redis_url, prefix)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Embedded defaults (SQLite store and log, local bus) in a temp dir, small seed."""
    return Settings(
        jwt_secret=TEST_SECRET,
        data_dir=data_dir,
        seed_lgas=3,
        seed_enumerators=4,
    )


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    yield FakeClock()


CHROMIUM = str(browser_setup.CHROMIUM)
CHROMIUM_ARGS = browser_setup.ARGS


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    """Debian's Chromium through Playwright (never a downloaded browser build)."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():  # noqa: ASYNC240
        require(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with chromium() as launched:
        yield launched
