"""The front door answers within a second while its store is stuck behind a backlog."""

import time

import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

TICKET = {
    "channel": "web",
    "customer": {"email": "ada@example.com"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "general",
}


async def test_a_create_stuck_behind_the_store_gets_503_and_a_safe_retry(
    namespace: Namespace,
) -> None:
    product_deadline = IntakeSettings.model_fields["http_deadline_seconds"].default
    app = create_app(
        namespace.settings(IntakeSettings, "intake", http_deadline_seconds=product_deadline)
    )
    headers = {"Idempotency-Key": "stuck-1"}
    async with serve_in_process(app) as client:
        db = app.state.runtime.db
        if not db.serialize:
            pytest.skip("holds FerretDB's per-collection write lock to stand for a backlog")
        # As under a backlog: every tickets write of this process queued behind others.
        async with db.lock_for("tickets"):
            began = time.monotonic()
            stuck = await client.post("/tickets", json=TICKET, headers=headers)
            took = time.monotonic() - began
        retried = await client.post("/tickets", json=TICKET, headers=headers)
        listed = await client.get("/tickets", params={"customer_email": "ada@example.com"})

    assert stuck.status_code == 503
    assert stuck.headers["retry-after"] == "1"
    assert took < 1.5
    assert retried.status_code == 201  # nothing was written by the request that was cut
    assert listed.json()["count"] == 1
