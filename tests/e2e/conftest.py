"""Fixtures for e2e tests: the running platform and the trace receiver it exports to."""

from collections.abc import AsyncIterator, Iterator

import pytest

from e2e_platform import SERVICES, Platform
from otlp_receiver import OtlpReceiver
from support import Namespace


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def platform(namespace: Namespace, otlp_receiver: OtlpReceiver) -> AsyncIterator[Platform]:
    running = Platform(namespace, otlp_receiver.endpoint)
    try:
        for service in SERVICES:
            running.start(service)
        for service in SERVICES:
            await running.wait_ready(service)
        yield running
    finally:
        running.stop_all()
