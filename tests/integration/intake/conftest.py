"""Fixtures shared by intake's integration tests (a module may define its own instead)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_apps import intake_app

from support import Namespace, serve_in_process


@pytest.fixture
async def client(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    """An intake app with the namespace's settings, served in this process, as an admin."""
    async with serve_in_process(intake_app(namespace)) as http:
        yield http
