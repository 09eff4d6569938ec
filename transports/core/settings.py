"""All knobs, from ``RTSPIKE_*`` environment variables, checked before anything starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.core.ids import new_secret

_MIN_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
SECRET_FILE = "jwt_secret"


class SettingsError(RtspikeError):
    """A setting is invalid; the message tells the operator what to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RTSPIKE_", extra="ignore")

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_ttl_s: float = Field(900.0, gt=0)
    refresh_ttl_s: float = Field(7 * 24 * 3600.0, gt=0)
    session_inactivity_s: float = Field(8 * 3600.0, gt=0)
    session_absolute_s: float = Field(24 * 3600.0, gt=0)
    ticket_ttl_s: float = Field(30.0, gt=0, le=300)
    data_dir: Path = Path(".rtspike")
    store_url: str | None = None
    log_url: str | None = None
    bus_url: str = "local"
    redis_prefix: str = Field("rtspike", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    max_message_bytes: int = Field(16 * 1024, ge=256, le=1024 * 1024)
    queue_bound: int = Field(1000, ge=1)
    tune_process: bool = True
    """`serve` freezes the started heap and shortens the GIL switch interval (server/tuning.py)."""
    max_inflight_sends: int = Field(16, ge=1, le=1024)
    """Sends one connection may have pending when they come up the socket itself; an adapter that
    reads its own frames stops reading beyond."""
    send_rate_per_s: float = Field(50.0, gt=0)
    send_burst: int = Field(100, ge=1)
    recheck_interval_s: float = Field(15.0, gt=0)
    keepalive_s: float = Field(15.0, gt=0)
    auth_timeout_s: float = Field(5.0, gt=0)
    dev_faults: bool = False
    dev_faults_token: SecretStr | None = None
    metrics_token: SecretStr | None = None
    # bounds on what one client can make the server hold (README: "Limits")
    catchup_buffer: int = Field(1000, ge=1)
    stall_timeout_s: float = Field(10.0, gt=0)
    max_connections_per_user: int = Field(20, ge=1)
    max_connections_per_session: int = Field(10, ge=1)
    header_timeout_s: float = Field(5.0, gt=0)
    log_lines_per_client: int = Field(20, ge=1)
    log_interval_s: float = Field(10.0, gt=0)
    login_failures_per_login: int = Field(5, ge=1)
    login_failures_per_client: int = Field(30, ge=1)
    login_window_s: float = Field(60.0, gt=0)
    seed_lgas: int = Field(20, ge=1, le=999)
    seed_enumerators: int = Field(10, ge=1, le=9999)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    node_id: str = Field(default_factory=lambda: f"node-{os.getpid()}")

    @field_validator("store_url", "log_url")
    @classmethod
    def _known_scheme(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite://", "redis://", "rediss://", "memory://")):
            raise ValueError("must start with sqlite://, redis://, rediss:// or memory://")
        return v

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, v: str) -> str:
        if v != "local" and not v.startswith(("redis://", "rediss://")):
            raise ValueError("must be 'local' or a redis:// URL")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if self.session_absolute_s < self.session_inactivity_s:
            raise ValueError(
                "RTSPIKE_SESSION_ABSOLUTE_S (session_absolute_s) must be >= "
                "RTSPIKE_SESSION_INACTIVITY_S"
            )
        if self.jwt_secret is not None:
            need = _MIN_SECRET_BYTES[self.jwt_algorithm]
            if len(self.jwt_secret.get_secret_value().encode()) < need:
                algorithm = self.jwt_algorithm
                raise ValueError(
                    f"RTSPIKE_JWT_SECRET must be at least {need} bytes for {algorithm}"
                )
        return self

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.data_dir / 'store.db').resolve()}"

    @property
    def resolved_log_url(self) -> str:
        return self.log_url or f"sqlite:///{(self.data_dir / 'log.db').resolve()}"

    @property
    def shared_backends(self) -> bool:
        """True when other processes may share our store/log/bus (they need the same secret)."""
        urls = (self.resolved_store_url, self.resolved_log_url, self.bus_url)
        return any(u.startswith(("redis://", "rediss://")) for u in urls)

    def secret(self) -> str:
        """The signing secret: explicit, or generated once and kept in the data directory."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.shared_backends:
            raise SettingsError(
                "RTSPIKE_JWT_SECRET must be set when the store, log or bus is on Redis, "
                "so that every server process signs and verifies with the same key."
            )
        path = self.data_dir / SECRET_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = new_secret(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        return secret


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus overrides, or raise SettingsError in plain words."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise settings_error(exc) from None
    settings.secret()
    return settings


def settings_error(exc: ValidationError, prefix: str = "RTSPIKE_") -> SettingsError:
    """A validation failure in plain words, naming each environment variable to fix (also for an
    adapter's own settings class, whose variables share the ``RTSPIKE_`` prefix)."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        text = str(err["msg"]).removeprefix("Value error, ")
        if err["loc"]:
            name = ".".join(str(p) for p in err["loc"])
            text = f"{prefix}{name.upper()}: {text}"
        lines.append(text)
    return SettingsError("invalid settings:\n  " + "\n  ".join(lines))
