"""One ticket's journey is one trace: intake's HTTP request to routing's and notify's consumers."""

import secrets

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import Platform
from journey import assigned_ticket, eventually, post_ticket, put_agent, unique_email
from otlp_receiver import SPAN_KIND_CONSUMER, OtlpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SPAN_KIND_SERVER = 2


async def test_one_trace_links_the_http_request_to_every_consumer(
    platform: Platform, otlp_receiver: OtlpReceiver
) -> None:
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        await put_agent(
            http, platform, "tracer", department="billing", skills={"billing": 5}, capacity=3
        )
        posted = await post_ticket(
            http, platform, "billing", unique_email(), headers={"traceparent": traceparent}
        )
        await assigned_ticket(http, platform, posted["id"])

    def spans_of(service: str, kind: int) -> list:
        return [
            span
            for span in otlp_receiver.snapshot()
            if span.trace_id == trace_id and span.service == service and span.kind == kind
        ]

    async def whole_journey() -> bool:
        return bool(
            spans_of("intake", SPAN_KIND_SERVER)
            and spans_of("routing", SPAN_KIND_CONSUMER)
            and len(spans_of("notify", SPAN_KIND_CONSUMER)) >= 2
        )

    await eventually(whole_journey, timeout=30, what="spans of intake, routing and notify")
    (request,) = [s for s in spans_of("intake", SPAN_KIND_SERVER) if "POST" in s.name]
    assert "/tickets" in request.name
    routing_types = {
        s.attributes["messaging.rabbitmq.destination.routing_key"]
        for s in spans_of("routing", SPAN_KIND_CONSUMER)
    }
    assert "ticket.created.v1" in routing_types
    notify_types = {
        s.attributes["messaging.rabbitmq.destination.routing_key"]
        for s in spans_of("notify", SPAN_KIND_CONSUMER)
    }
    assert {"ticket.created.v1", "ticket.assigned.v1"} <= notify_types
