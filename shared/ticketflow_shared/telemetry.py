"""Tracing setup, and how trace context rides on events and AMQP headers."""

from collections.abc import Mapping

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
