"""HTTP server spans keep a query's parameter names, never their values."""

from opentelemetry.sdk.trace import TracerProvider

from ticketflow_shared.telemetry import redact_server_span, redacted_query


def test_every_query_value_is_replaced():
    query = "customer_email=pat%40example.com&status=new&limit="
    assert redacted_query(query) == "customer_email=REDACTED&status=REDACTED&limit=REDACTED"


def test_the_server_span_loses_the_values_from_url_target_and_query():
    tracer = TracerProvider().get_tracer("t")
    span = tracer.start_span(
        "GET /tickets",
        attributes={
            "http.url": "http://test/tickets?customer_email=pat@example.com",
            "http.target": "/tickets?customer_email=pat@example.com",
            "url.full": "http://test/tickets?customer_email=pat@example.com",
            "url.query": "customer_email=pat@example.com",
        },
    )
    scope = {"path": "/tickets", "query_string": b"customer_email=pat%40example.com"}

    redact_server_span(span, scope)

    assert dict(span.attributes) == {
        "http.url": "http://test/tickets?customer_email=REDACTED",
        "http.target": "/tickets?customer_email=REDACTED",
        "url.full": "http://test/tickets?customer_email=REDACTED",
        "url.query": "customer_email=REDACTED",
    }


def test_an_attribute_without_the_query_is_left_as_it_is():
    tracer = TracerProvider().get_tracer("t")
    span = tracer.start_span("GET /tickets", attributes={"http.target": "/tickets"})
    redact_server_span(span, {"path": "/tickets", "query_string": b"customer_email=a%40b.c"})
    assert dict(span.attributes) == {"http.target": "/tickets"}


def test_a_request_without_a_query_is_left_alone():
    span = TracerProvider().get_tracer("t").start_span("GET /x", attributes={"http.target": "/x"})
    redact_server_span(span, {"path": "/x", "query_string": b""})
    assert dict(span.attributes) == {"http.target": "/x"}
