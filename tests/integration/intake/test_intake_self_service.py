"""Self-service on the real servers: a new ticket's ticket.created carries its suggested
articles with signed links; the link opens the article for a customer without credentials,
and its button solves the ticket once."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from triage_helpers import create, ticket

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

PUBLIC = "https://support.example.com"
RESET = {
    "title": "Reset your password",
    "body": "Open the login page, choose forgot password.\n\nThen follow the mail we send.",
    "language": "en",
}


def self_service_app(namespace: Namespace, **overrides: object):
    values = {
        "intake_public_url": PUBLIC,
        "self_service_secret": "a-test-secret-of-enough-length",
    } | overrides
    settings = namespace.settings(IntakeSettings, "intake", **values)
    return create_app(settings)


def customer_client(app) -> httpx.AsyncClient:
    """A customer's browser: no credentials at all."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def token_of(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["t"]
    return token


async def test_the_link_opens_the_article_and_its_button_solves_the_ticket_once(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    app = self_service_app(namespace)
    async with serve_in_process(app) as http, customer_client(app) as customer:
        assert (await http.put("/kb/articles/reset", json=RESET)).status_code == 200
        await app.state.knowledge.ready()
        made = await create(http, ticket("Forgot password", "I forgot my password, help"))
        ticket_id = made["id"]
        [created] = await bus_probe.wait_for("ticket.created.v1", subject=ticket_id)
        [first, *_] = created.data["suggestions"]
        assert (first["article_id"], first["title"]) == ("reset", RESET["title"])
        assert first["url"].startswith(f"{PUBLIC}/help?t=")
        token = token_of(first["url"])

        page = await customer.get("/help", params={"t": token})
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert RESET["title"] in page.text and "Then follow the mail we send." in page.text
        assert ticket_id in page.text and 'method="post"' in page.text
        # Opening the link (as a mail scanner would) changes nothing.
        assert (await http.get(f"/tickets/{ticket_id}")).json()["status"] == "new"

        solved = await customer.post("/help/solved", params={"t": token})
        assert solved.status_code == 200 and "Glad it helped" in solved.text
        after = (await http.get(f"/tickets/{ticket_id}")).json()
        assert after["status"] == "solved"
        assert after["resolution"] == f"self-service: {RESET['title']} (reset)"
        [resolved] = await bus_probe.wait_for("ticket.resolved.v1", subject=ticket_id)
        assert resolved.data["agent_id"] is None
        assert resolved.data["self_service_article"] == "reset"

        again = await customer.post(
            "/help/solved", params={"t": token}, headers={"Accept": "application/json"}
        )
        assert again.json() == {"ticket_id": ticket_id, "status": "solved"}
        assert "solved or closed already" in (await customer.get("/help?t=" + token)).text
        history = (await http.get(f"/tickets/{ticket_id}")).json()["history"]
        solves = [entry for entry in history if entry["event_type"] == "ticket.resolved.v1"]
        assert len(solves) == 1 and solves[0]["actor"].startswith("customer")


async def test_an_altered_or_foreign_link_opens_nothing(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    app = self_service_app(namespace)
    other = self_service_app(namespace, self_service_secret="another-secret-entirely-here")
    async with serve_in_process(app) as http, customer_client(app) as customer:
        assert (await http.put("/kb/articles/reset", json=RESET)).status_code == 200
        await app.state.knowledge.ready()
        made = await create(http, ticket("Forgot password", "I forgot my password, help"))
        [created] = await bus_probe.wait_for("ticket.created.v1", subject=made["id"])
        token = token_of(created.data["suggestions"][0]["url"])
        version, body, signature = token.split(".")
        forged = other.state.self_service_links.signer.token(made["id"], "reset", datetime.now(UTC))

        answers = [
            await customer.post("/help/solved", params={"t": t})
            for t in (f"{version}.{body}x.{signature}", forged, "garbage", "a.b.c")
        ]
        assert [a.status_code for a in answers] == [404, 404, 404, 404]
        assert all("not valid" in a.text for a in answers)
        missing = await customer.get("/help")
        assert missing.status_code == 422
        assert (await http.get(f"/tickets/{made['id']}")).json()["status"] == "new"


async def test_an_expired_link_answers_410(namespace: Namespace, bus_probe: BusProbe) -> None:
    app = self_service_app(namespace)
    async with serve_in_process(app) as http, customer_client(app) as customer:
        made = await create(http, ticket("Forgot password", "I forgot my password, help"))
        signer = app.state.self_service_links.signer
        issued = datetime.now(UTC) - signer.lifetime - timedelta(minutes=1)
        old = signer.token(made["id"], "reset", issued)
        answer = await customer.post("/help/solved", params={"t": old})
        assert answer.status_code == 410 and "expired" in answer.text
        assert (await http.get(f"/tickets/{made['id']}")).json()["status"] == "new"


async def test_without_an_address_or_secret_articles_are_listed_without_links(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    settings = namespace.settings(IntakeSettings, "intake")
    app = create_app(settings)
    async with serve_in_process(app) as http, customer_client(app) as customer:
        assert (await http.put("/kb/articles/reset", json=RESET)).status_code == 200
        await app.state.knowledge.ready()
        made = await create(http, ticket("Forgot password", "I forgot my password, help"))
        [created] = await bus_probe.wait_for("ticket.created.v1", subject=made["id"])
        [first, *_] = created.data["suggestions"]
        assert (first["article_id"], first["url"]) == ("reset", None)
        assert (await customer.get("/help", params={"t": "s1.x.y"})).status_code == 404
