"""The category classifier trained over the API from resolved tickets on the real servers,
stored as plain arrays, and proposing the category of a ticket no rule decided."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from triage_helpers import create, ticket

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

ACCOUNT = [
    "I cannot log in to my account",
    "reset my password please",
    "forgot my password and the login fails",
    "账号登录不了",
    "忘记密码了怎么重置",
    "my account is locked after login attempts",
]
TECHNICAL = [
    "the app crashes on start",
    "error 500 when uploading a file",
    "the page does not load, app crashes",
    "应用打开就闪退",
    "上传文件报错",
    "the sync feature crashes with an error",
]


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    settings = namespace.settings(
        IntakeSettings, "intake", prefetch=1, triage_train_min_examples=len(ACCOUNT)
    )
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def resolved(client: httpx.AsyncClient, category: str, texts: list[str]) -> None:
    for text in texts:
        made = await create(
            client, ticket(text[:40], text, category=category, fields={"product": "app"})
        )
        answer = await client.post(f"/tickets/{made['id']}/resolve", json={"resolution": "done"})
        assert answer.status_code == 200, answer.text


async def trained(app: FastAPI, client: httpx.AsyncClient, threshold: float) -> None:
    """A classifier trained on the account and technical examples, at `threshold`."""
    await resolved(client, "account", ACCOUNT)
    await resolved(client, "technical", TECHNICAL)
    await client.post("/triage/classifier/train")
    await app.state.trainings.finished()
    await client.put("/triage/classifier", json={"threshold": threshold})


async def test_training_is_refused_with_a_reason_until_there_are_two_categories(client):
    nothing = await client.post("/triage/classifier/train")
    await resolved(client, "account", ACCOUNT)
    one_category = await client.post("/triage/classifier/train")
    missing = await client.get("/triage/classifier")

    assert nothing.status_code == 409
    assert "at least 6 resolved tickets" in nothing.json()["detail"]
    assert one_category.status_code == 409
    assert "at least two categories, found account" in one_category.json()["detail"]
    assert missing.status_code == 404


def hold_trainings(app, monkeypatch) -> asyncio.Event:
    """Trainings started from here on wait for the returned event before they begin, so a
    test can act while one is under way however fast the fit is."""
    gate, trainings = asyncio.Event(), app.state.trainings
    start = trainings.start

    def held(job):
        async def after_gate():
            await gate.wait()
            return await job

        start(after_gate())

    monkeypatch.setattr(trainings, "start", held)
    return gate


async def test_a_trained_classifier_is_stored_shown_and_proposes_categories(
    app, client, monkeypatch
):
    await resolved(client, "account", ACCOUNT)
    await resolved(client, "technical", TECHNICAL)
    await create(client, ticket("Still open", "open, not an example", category="general"))
    gate = hold_trainings(app, monkeypatch)

    started = await client.post("/triage/classifier/train")
    while_training = await client.post("/triage/classifier/train")
    gate.set()
    await app.state.trainings.finished()
    shown = await client.get("/triage/classifier")
    lowered = await client.put("/triage/classifier", json={"threshold": 0.4})
    made = await create(client, ticket("Login", "I forgot my password, cannot log in"))

    assert started.status_code == 202, started.text
    assert started.json() == {
        "status": "training",
        "samples": {"account": 6, "technical": 6},
        "example_count": 12,
        "classifier": "/triage/classifier",
    }
    assert while_training.status_code == 409
    body = shown.json()
    assert (body["version"], body["classes"], body["example_count"]) == (
        1,
        ["account", "technical"],
        12,
    )
    assert body["samples"] == {"account": 6, "technical": 6}
    assert 0.0 <= body["held_out_accuracy"] <= 1.0
    assert (body["threshold"], body["trained_by"]) == (0.6, "user:test-admin")
    assert (lowered.json()["version"], lowered.json()["threshold"]) == (2, 0.4)
    doc = await app.state.runtime.db["triage"].find_one({"_id": "classifier"})
    assert isinstance(doc["model"]["coef"][0], float) and doc["model"]["coef_rows"] == 1
    assert len(doc["model"]["vocabulary"]) == len(doc["model"]["idf"])
    assert made["category"] == "account"
    assert made["triage"]["classifier_version"] == 2
    proposal = made["triage"]["proposal"]
    assert (proposal["category"], proposal["applied"]) == ("account", True)
    assert proposal["confidence"] >= 0.4


async def test_an_unsure_proposal_tags_the_ticket_for_a_person(app, client):
    await trained(app, client, threshold=1.0)

    made = await create(client, ticket("Question", "I forgot my password"))

    assert (made["category"], made["tags"]) == ("general", ["needs_triage"])
    assert made["triage"]["proposal"]["applied"] is False


async def test_a_threshold_needs_a_classifier_and_lies_between_0_and_1(client):
    none_yet = await client.put("/triage/classifier", json={"threshold": 0.5})
    too_high = await client.put("/triage/classifier", json={"threshold": 1.5})

    assert none_yet.status_code == 404
    assert too_high.status_code == 422
    assert too_high.json()["detail"][0]["loc"] == ["body", "threshold"]


async def test_a_crm_push_without_a_category_takes_the_classifiers(app, client):
    await trained(app, client, threshold=0.4)
    push = {
        "event_id": "crm-evt-1",
        "system": "SalesCRM",
        "customer": {"external_id": "0042", "name": "Kim Ito", "email": "kim@example.com"},
        "ticket": {
            "case_id": "5002",
            "subject": "Login",
            "body": "I forgot my password and cannot log in to my account",
            "fields": {"product": "app"},
        },
    }

    made = await client.post("/channels/crm", json=push)

    assert made.status_code == 201, made.text
    fetched = (await client.get(f"/tickets/{made.json()['ticket_id']}")).json()
    assert fetched["category"] == "account"
    proposal = fetched["triage"]["proposal"]
    assert (proposal["category"], proposal["applied"]) == ("account", True)
    assert fetched["external_refs"] == {"salescrm": "5002"}
