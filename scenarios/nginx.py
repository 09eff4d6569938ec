"""A real nginx of our own for the ``proxy`` scenario: its own config and prefix in a temporary
directory, one worker, listening on a free loopback port, started and stopped by its process
id (never the system nginx, never its config). ``scripts/ensure-nginx.sh`` installs the Debian
package the way ``ensure-chromium.sh`` installs Chromium.

``documented(transport)`` is the config the library's documentation asks for in front of it
(the transport spec's ``infra.nginx_location``); ``DEFAULT`` is what nginx does with a bare
``proxy_pass`` (HTTP/1.0 upstream, no Upgrade/Connection headers forwarded, responses buffered
unless the upstream says ``X-Accel-Buffering: no``).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rtspike.scenarios.processes import free_port, spawn, terminate, wait_listening
from rtspike.transports import registry

NGINX = Path("/usr/sbin/nginx")
DEFAULT: tuple[str, ...] = ()
IGNORE_ACCEL = ("proxy_ignore_headers X-Accel-Buffering;",)
"""What a server that does not send ``X-Accel-Buffering: no`` gets from the default config."""


def documented(transport: str) -> tuple[str, ...]:
    return registry.spec(transport).infra.nginx_location


def missing() -> str | None:
    if not NGINX.exists() and shutil.which("nginx") is None:
        return "not measured: install nginx (apt-get install nginx; scripts/ensure-nginx.sh)"
    return None


def binary() -> str:
    return str(NGINX) if NGINX.exists() else str(shutil.which("nginx"))


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (HTTP/2 needs TLS in browsers)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Nginx:
    """One nginx master + worker; ``upstreams`` round-robin unless ``ip_hash``."""

    upstreams: list[int]
    location: tuple[str, ...] = DEFAULT
    ip_hash: bool = False
    http2_tls: bool = False
    port: int = field(default_factory=free_port)
    prefix: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rtspike-nginx-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.http2_tls else 'http'}://127.0.0.1:{self.port}"

    def config(self) -> str:
        servers = "\n".join(f"    server 127.0.0.1:{p};" for p in self.upstreams)
        listen = f"127.0.0.1:{self.port}" + (" ssl http2" if self.http2_tls else "")
        tls = (
            "    ssl_certificate cert.pem;\n    ssl_certificate_key key.pem;\n"
            if self.http2_tls
            else ""
        )
        lines = "\n".join(f"      {line}" for line in self.location)
        return f"""worker_processes 1;
daemon off;
error_log logs/error.log warn;
pid logs/nginx.pid;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  upstream app {{
{"    ip_hash;" if self.ip_hash else ""}
{servers}
  }}
  server {{
    listen {listen};
{tls}    location / {{
      proxy_pass http://app;
{lines}
    }}
  }}
}}
"""

    async def start(self) -> None:
        # the worker runs as nobody when we are root: it may traverse the prefix and write
        # only its temp directory
        (self.prefix / "logs").mkdir(parents=True, exist_ok=True)
        (self.prefix / "tmp").mkdir(exist_ok=True)
        self.prefix.chmod(0o711)
        (self.prefix / "tmp").chmod(0o1777)
        if self.http2_tls:
            await asyncio.to_thread(self_signed, self.prefix)
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.config())
        stderr = self.prefix / "logs" / "stderr.log"
        self.proc = spawn([binary(), "-p", str(self.prefix), "-c", str(conf)], stderr)
        await wait_listening(self.proc, self.port, "nginx", stderr_path=stderr)

    async def stop(self) -> None:
        if self.proc is not None:
            await asyncio.to_thread(terminate, self.proc, signal.SIGTERM, 5)
        shutil.rmtree(self.prefix, ignore_errors=True)
