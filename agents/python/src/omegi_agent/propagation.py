"""Trace propagation with services on Sentry SDKs: their ``sentry-trace`` header carries the
same trace and span ids as W3C ``traceparent``, so a request from a Sentry-instrumented caller
continues its trace here, and outgoing requests carry ``sentry-trace`` too so a Sentry-
instrumented callee continues ours. ``traceparent``, when present, wins."""

import re

from opentelemetry import trace
from opentelemetry.propagators.textmap import TextMapPropagator, default_getter, default_setter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, format_span_id, format_trace_id

SENTRY_TRACE = "sentry-trace"
_FORMAT = re.compile(r"^\s*([0-9a-f]{32})-([0-9a-f]{16})(?:-[01])?\s*$")


class SentryTracePropagator(TextMapPropagator):
    def extract(self, carrier, context=None, getter=default_getter):
        if trace.get_current_span(context).get_span_context().is_valid:
            return context  # a traceparent came first
        values = getter.get(carrier, SENTRY_TRACE)
        match = _FORMAT.match(values[0]) if values else None
        if not match:
            return context
        trace_id, span_id = int(match.group(1), 16), int(match.group(2), 16)
        if trace_id == 0 or span_id == 0:
            return context
        # Recorded whatever Sentry sampled: an error tracker must not lose this service's errors.
        parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        return trace.set_span_in_context(NonRecordingSpan(parent), context)

    def inject(self, carrier, context=None, setter=default_setter):
        span_context = trace.get_current_span(context).get_span_context()
        if not span_context.is_valid:
            return
        sampled = "1" if span_context.trace_flags.sampled else "0"
        setter.set(carrier, SENTRY_TRACE, f"{format_trace_id(span_context.trace_id)}-{format_span_id(span_context.span_id)}-{sampled}")

    @property
    def fields(self):
        return {SENTRY_TRACE}
