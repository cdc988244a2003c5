"""The four services as separate processes on real servers."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx

from support import Namespace
from ticketflow_shared.bus import DEAD_LETTER_EXCHANGE_SUFFIX

SERVICES = ("intake", "routing", "notify", "reporting")
LOG_DIR = Path(__file__).resolve().parents[2] / ".run" / "e2e-logs"


def service_of(process: str) -> str:
    """The service a process name belongs to: `intake#2` is a second intake."""
    return process.split("#", 1)[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Platform:
    namespace: Namespace
    otlp_endpoint: str
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Settings a test gives one service on top of the namespace's, by service.
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    async def declare_exchanges(self) -> None:
        """Make the namespace's exchanges, as the broker's definitions do for the real ones.

        A service's own broker user may use them but not declare (or delete) them.
        """
        connection = await aio_pika.connect(self.namespace.servers.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(
                self.namespace.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            await channel.declare_exchange(
                self.namespace.exchange + DEAD_LETTER_EXCHANGE_SUFFIX,
                aio_pika.ExchangeType.DIRECT,
                durable=True,
            )

    def start(self, service: str) -> None:
        """Start `service`'s process; `intake#2` names a second process of intake."""
        kind = service_of(service)
        port = self.ports.setdefault(service, _free_port())
        env = {
            **os.environ,
            **self.namespace.env(kind),
            "TICKETFLOW_AMQP_URL": self.namespace.servers.amqp_url_of(kind),
            "TICKETFLOW_OTEL_EXPORTER": "otlp",
            "TICKETFLOW_OTEL_ENDPOINT": self.otlp_endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            **self.extra_env.get(kind, {}),
        }
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_name = f"{self.namespace.token}-{service.replace('#', '-')}.log"
        log = open(LOG_DIR / log_name, "ab")  # noqa: SIM115
        self.processes[service] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{kind}.bootstrap:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, service: str) -> None:
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    async def wait_ready(self, service: str, timeout: float = 60) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(int(timeout * 5)):
                process = self.processes[service]
                if process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}")
                try:
                    if (await client.get(f"{self.url(service)}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{service} not ready after {timeout}s")
