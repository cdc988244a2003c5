"""Tracing setup, and how trace context rides on events and AMQP headers."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

_instrumented_pymongo = False
REDACTED = "REDACTED"
# Where HTTP server spans carry the query string (old and current semantic conventions).
_URL_ATTRIBUTES = ("http.url", "url.full")
_TARGET_ATTRIBUTE = "http.target"
_QUERY_ATTRIBUTE = "url.query"


def _exporter(kind: str, endpoint: str) -> SpanExporter | None:
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint)
    return None


def setup_telemetry(
    service_name: str, exporter: str = "none", endpoint: str = ""
) -> TracerProvider:
    """Install the global tracer provider for this process and instrument PyMongo."""
    global _instrumented_pymongo
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    span_exporter = _exporter(exporter, endpoint)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    if not _instrumented_pymongo:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        PymongoInstrumentor().instrument(tracer_provider=provider)
        _instrumented_pymongo = True
    return provider


def current_trace_headers() -> dict[str, str]:
    """W3C trace context (traceparent, tracestate) of the current span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, object]) -> Context:
    """Trace context carried in AMQP headers or an event envelope."""
    text = {key: str(value) for key, value in carrier.items() if isinstance(value, str | bytes)}
    return propagate.extract(text)


def redacted_query(query: str) -> str:
    """A query string with every value replaced: `customer_email=pat@…` names a customer."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, REDACTED) for name, _ in pairs], safe=REDACTED)


def redact_server_span(span: trace.Span, scope: dict[str, Any]) -> None:
    """FastAPI server request hook: the span keeps the query's names, never its values."""
    raw = scope.get("query_string") or b""
    attributes = getattr(span, "attributes", None)
    if not raw or not attributes or not span.is_recording():
        return
    query = redacted_query(raw.decode("latin-1"))
    for name in (*_URL_ATTRIBUTES, _TARGET_ATTRIBUTE):
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, f"{value.split('?', 1)[0]}?{query}")
    if _QUERY_ATTRIBUTE in attributes:
        span.set_attribute(_QUERY_ATTRIBUTE, query)
