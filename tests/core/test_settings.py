"""Settings refuse to start on nonsense, and a generated secret survives a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rtspike.transports.core.settings import SECRET_FILE, SettingsError, load_settings


def test_generated_secret_is_kept_and_reused(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path).secret()
    assert len(first) >= 32
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert load_settings(data_dir=tmp_path).secret() == first


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"jwt_secret": "short"}, "RTSPIKE_JWT_SECRET"),
        ({"jwt_secret": "x" * 40, "jwt_algorithm": "HS512"}, "at least 64 bytes"),
        ({"jwt_algorithm": "none"}, "RTSPIKE_JWT_ALGORITHM"),
        ({"store_url": "mysql://x"}, "RTSPIKE_STORE_URL"),
        ({"bus_url": "kafka://x"}, "RTSPIKE_BUS_URL"),
        ({"access_ttl_s": 0}, "RTSPIKE_ACCESS_TTL_S"),
        ({"session_inactivity_s": 100, "session_absolute_s": 10}, "session_absolute_s"),
    ],
)
def test_invalid_settings_are_refused_in_plain_words(
    tmp_path: Path, overrides: dict[str, object], needle: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(data_dir=tmp_path, **overrides)
    assert needle in str(info.value)


def test_shared_backends_need_an_explicit_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(data_dir=tmp_path, bus_url="redis://127.0.0.1:6379/0")
    assert "RTSPIKE_JWT_SECRET must be set" in str(info.value)
    assert not (tmp_path / SECRET_FILE).exists()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtspike", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_cli_users_json_lists_the_documented_seed() -> None:
    result = run_cli("users", "--json")
    assert result.returncode == 0, result.stderr
    users = json.loads(result.stdout)
    roles = {u["role"] for u in users}
    assert {"supervisor", "enumerator", "super_admin", "public_user"} <= roles
    assert all(set(u) == {"id", "login", "password", "role", "lga_id"} for u in users)
    assert len({u["lga_id"] for u in users if u["role"] == "supervisor"}) >= 3


def test_cli_serve_refuses_a_bad_setting_with_advice(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "RTSPIKE_JWT_SECRET": "short", "RTSPIKE_DATA_DIR": str(tmp_path)}
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    assert "RTSPIKE_JWT_SECRET" in result.stderr and "Fix the RTSPIKE_" in result.stderr
