"""The one Locust user that every transport shares: log in, connect, receive, send on schedule.

Runs on gevent (Locust monkey-patches sockets and threads before this is imported), so every
client used by a subclass must be one gevent can patch. A subclass implements ``open``,
``send_message`` and ``close`` and calls ``on_push`` / ``on_disconnect`` from its receiver.

What is reported (``request_type`` = the class's ``kind``, e.g. "WS"):
  connect     time to an authenticated, ready connection; failure = refused connection
  ack         send-to-ack time; failure = error ack (rate limit, validation, boundary ...)
  push        receive time - intended send time (``sent_at_ns`` = ``time.time_ns()`` at the
              scheduled send instant, open loop, so a late sender does not hide its lateness;
              wall clock: same host or NTP-synced hosts only)
  boundary    failure: a push from another team, or a direct message for someone else
  gap / duplicate   failure: seq skipped or repeated on a stream (per stream, per epoch)
  disconnect  failure: the server or network closed a connection we did not close
REST ``login`` is timed too.
"""

from __future__ import annotations

import itertools
import random
import time
from typing import Any, ClassVar

import gevent
import requests
from locust import User, events, task
from locust.env import Environment

from rtspike.loadtests.checks import (
    Identity,
    SeqTracker,
    boundary_violation,
    global_index,
    identity_for,
    make_body,
    push_latency_ms,
)
from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.core.users import DEV_PASSWORD

_counter = itertools.count()


class RefusedError(RtspikeError):
    """The server refused the connection (bad token, role, ...) with a structured error."""


class AckError(RtspikeError):
    """The server answered a send with a structured error instead of an ack."""


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("rtspike")
    group.add_argument(
        "--rtspike-lgas",
        type=int,
        default=20,
        env_var="RTSPIKE_SEED_LGAS",
        help="LGAs in the server's dev seed (must match the server)",
    )
    group.add_argument(
        "--rtspike-enumerators",
        type=int,
        default=10,
        env_var="RTSPIKE_SEED_ENUMERATORS",
        help="enumerators per LGA in the server's dev seed (must match)",
    )
    group.add_argument(
        "--rtspike-send-rate",
        type=float,
        default=1.0,
        env_var="RTSPIKE_LT_SEND_RATE",
        help="broadcasts per second per supervisor (open loop)",
    )
    group.add_argument(
        "--rtspike-reply-rate",
        type=float,
        default=0.0,
        env_var="RTSPIKE_LT_REPLY_RATE",
        help="direct messages per second from each enumerator to its supervisor",
    )
    group.add_argument(
        "--rtspike-hosts",
        default="",
        env_var="RTSPIKE_LT_HOSTS",
        help="comma-separated server base URLs to spread users over (default: --host)",
    )
    group.add_argument(
        "--rtspike-workers",
        type=int,
        default=1,
        env_var="RTSPIKE_LT_WORKERS",
        help="worker processes, so that workers log in as distinct seed users",
    )
    group.add_argument(
        "--rtspike-password",
        default=DEV_PASSWORD,
        env_var="RTSPIKE_LT_PASSWORD",
        help="seed users' password",
    )


def _option(environment: Environment, name: str, default: Any) -> Any:
    options = environment.parsed_options
    value = getattr(options, name, None) if options is not None else None
    return default if value in (None, "") else value


class RealtimeUser(User):
    abstract = True
    kind: ClassVar[str] = "RT"

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        workers = int(_option(environment, "rtspike_workers", 1))
        worker_index = getattr(environment.runner, "worker_index", 0) or 0
        index = global_index(next(_counter), worker_index, workers)
        self.me: Identity = identity_for(
            index,
            int(_option(environment, "rtspike_lgas", 20)),
            int(_option(environment, "rtspike_enumerators", 10)),
        )
        hosts = [
            h.strip()
            for h in str(_option(environment, "rtspike_hosts", "")).split(",")
            if h.strip()
        ] or [self.host or environment.host or "http://127.0.0.1:8000"]
        self.base_url = hosts[index % len(hosts)].rstrip("/")
        rate = float(
            _option(
                environment,
                "rtspike_send_rate" if self.me.is_supervisor else "rtspike_reply_rate",
                0.0,
            )
        )
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.password = str(_option(environment, "rtspike_password", DEV_PASSWORD))
        self.tracker = SeqTracker()
        self.token: str | None = None
        self.connected = False
        self.closing = False
        self._next_send: float | None = None
        self._sent = 0

    # transport hooks ------------------------------------------------------------------
    def open(self, token: str, cursor: str | None) -> None:
        """Connect and authenticate; return once ready; raise RefusedError when refused."""
        raise NotImplementedError

    def send_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send and wait for the server's ack; return the stored event; raise AckError."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # reporting ---------------------------------------------------------------------------
    def report(
        self,
        name: str,
        response_time_ms: float,
        length: int = 0,
        exception: BaseException | None = None,
    ) -> None:
        self.environment.events.request.fire(
            request_type=self.kind,
            name=name,
            response_time=response_time_ms,
            response_length=length,
            exception=exception,
            context={"login": self.me.login},
        )

    def failure(self, name: str, reason: str) -> None:
        self.report(name, 0.0, exception=Exception(reason))

    def on_push(self, event: dict[str, Any], length: int = 0) -> None:
        latency = push_latency_ms(event, time.time_ns())
        violation = boundary_violation(self.me, event)
        if violation is not None:
            self.failure("boundary", f"{self.me.lga_id} received: {violation}")
        seq_problem = self.tracker.observe(event)
        if seq_problem is not None:
            self.failure(seq_problem, f"stream {event.get('stream')} seq {event.get('seq')}")
        if latency is not None:
            self.report("push", latency, length)

    def on_disconnect(self, reason: str) -> None:
        if self.connected and not self.closing:
            self.connected = False
            self.token = None
            self.failure("disconnect", reason)

    # lifecycle ---------------------------------------------------------------------------
    def login(self) -> str:
        start = time.perf_counter()
        try:
            resp = requests.post(
                f"{self.base_url}/api/v1/auth/login",
                json={"login": self.me.login, "password": self.password},
                timeout=15,
            )
            elapsed = (time.perf_counter() - start) * 1000
            if resp.status_code != 200:
                raise RefusedError(f"login {resp.status_code}: {resp.text[:200]}")
            token = str(resp.json()["access_token"])
        except Exception as exc:
            self.environment.events.request.fire(
                request_type="REST",
                name="login",
                response_time=(time.perf_counter() - start) * 1000,
                response_length=0,
                exception=exc,
                context={},
            )
            raise
        self.environment.events.request.fire(
            request_type="REST",
            name="login",
            response_time=elapsed,
            response_length=len(resp.content),
            exception=None,
            context={},
        )
        return token

    def connect(self) -> bool:
        start = time.perf_counter()
        try:
            if self.token is None:
                self.token = self.login()
            self.open(self.token, self.tracker.encoded())
        except Exception as exc:
            self.report("connect", (time.perf_counter() - start) * 1000, exception=exc)
            self.token = None
            return False
        self.connected = True
        self.report("connect", (time.perf_counter() - start) * 1000)
        return True

    def reconnect_delay_s(self) -> float:
        """Pause before reconnecting; jittered so that a dropped server is not stampeded."""
        return 1.0 + random.random()

    def on_start(self) -> None:
        self.connect()

    def on_stop(self) -> None:
        self.closing = True
        try:
            self.close()
        except Exception:  # closing a dead connection must not fail the stop
            pass

    @task
    def step(self) -> None:
        if not self.connected:
            gevent.sleep(self.reconnect_delay_s())
            self.connect()
            return
        if not self.interval:
            gevent.sleep(1.0)
            return
        now = time.time()
        if self._next_send is None:
            self._next_send = now + random.random() * self.interval
        if self._next_send > now:
            gevent.sleep(self._next_send - now)
        intended_ns = int(self._next_send * 1e9)
        self._next_send += self.interval
        self._send(intended_ns)

    def _send(self, intended_ns: int) -> None:
        self._sent += 1
        body = make_body(self.me.lga_id, intended_ns, self._sent)
        message: dict[str, Any] = {
            "body": body,
            "sent_at_ns": intended_ns,
            "client_msg_id": f"{self.me.login}.{self._sent}.{intended_ns}",
        }
        if self.me.is_supervisor:
            message["broadcast"] = True
        else:
            message["to"] = self.me.supervisor_id
        start = time.perf_counter()
        try:
            self.send_message(message)
        except Exception as exc:
            self.report("ack", (time.perf_counter() - start) * 1000, exception=exc)
            return
        self.report("ack", (time.perf_counter() - start) * 1000, len(body))
