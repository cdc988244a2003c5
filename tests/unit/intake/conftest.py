"""The intake HTTP app over in-memory repositories, for the unit tests that speak HTTP."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from intake_fakes import BILLING, GENERAL, FakeCategories, FakeTickets

from credentials import act_as
from intake.bootstrap import install_api


@pytest.fixture
def tickets() -> FakeTickets:
    return FakeTickets()


@pytest.fixture
async def client(tickets: FakeTickets) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_api(app, tickets, FakeCategories(BILLING, GENERAL))
    act_as(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
