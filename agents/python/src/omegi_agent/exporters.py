"""Where spans go. ``OMEGI_EXPORTER`` names one or more of the factories in ``FACTORIES``;
a new exporter (Kafka: one OTLP ``ExportTraceServiceRequest`` per batch, key = trace id,
header ``omegi-token``) is one more entry there, nothing else changes.
"""

import sys
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from .config import Config
from .log import forget, logger, warn_once


class OmegiOtlpExporter(SpanExporter):
    """OTLP/HTTP protobuf to ``OMEGI_ENDPOINT/v1/traces`` with the ingest token. A down Omegi
    costs the batch and one warning line (not one per batch); the line after it says when
    Omegi is reachable again."""

    def __init__(self, endpoint: str, token: str, timeout: float = 5.0):
        import logging

        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The OTLP exporter logs every failed batch; the agent reports failures itself.
        logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter").setLevel(logging.CRITICAL)
        self._url = f"{endpoint}/v1/traces"
        self._inner = OTLPSpanExporter(endpoint=self._url, headers={"authorization": f"Bearer {token}"}, timeout=timeout)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception as exc:  # the application must never see an export problem
            result = SpanExportResult.FAILURE
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "Omegi refused or did not answer"
        if result is SpanExportResult.SUCCESS:
            forget("otlp-down")
        else:
            warn_once("otlp-down", f"cannot send spans to {self._url} ({reason}); spans are dropped until it is reachable")
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class ConsoleExporter(SpanExporter):
    """One readable line per span:
    ``time service trace/span name kind duration status [exception]``."""

    def __init__(self, out=None):
        self._out = out

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        out = self._out or sys.stderr
        for span in spans:
            out.write(format_span(span) + "\n")
        out.flush()
        return SpanExportResult.SUCCESS


def format_span(span: ReadableSpan) -> str:
    ctx = span.get_span_context()
    start = datetime.fromtimestamp((span.start_time or 0) / 1e9, tz=timezone.utc)
    ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    service = span.resource.attributes.get("service.name", "?")
    status = "ERROR" if span.status.status_code is StatusCode.ERROR else "OK"
    line = (
        f"[omegi] {start.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {service} "
        f"{ctx.trace_id:032x}/{ctx.span_id:016x} {span.name} {span.kind.name.lower()} {ms:.2f}ms {status}"
    )
    for event in span.events:
        if event.name == "exception":
            line += f" {event.attributes.get('exception.type')}: {event.attributes.get('exception.message')}"
    return line


def _otlp(config: Config) -> Optional[SpanExporter]:
    if not config.token:
        warn_once("no-token", "OMEGI_TOKEN is not set: spans are not sent to Omegi (create a token in Omegi's settings)")
        return None
    return OmegiOtlpExporter(config.endpoint, config.token)


def _console(config: Config) -> Optional[SpanExporter]:
    return ConsoleExporter()


#: Exporter name -> (factory, whether to batch in the background).
FACTORIES: Dict[str, "tuple[Callable[[Config], Optional[SpanExporter]], bool]"] = {
    "otlp": (_otlp, True),
    "console": (_console, False),
}


def build(config: Config):
    """The (exporter, batched) pairs the configuration asks for; unknown names are reported
    once and skipped, so the others still run."""
    out = []
    for name in config.exporters:
        if name not in FACTORIES:
            if name == "kafka":
                warn_once("kafka", "OMEGI_EXPORTER=kafka is not available yet (it comes with Omegi's Kafka ingestion); the other exporters still run")
            else:
                warn_once(f"exporter-{name}", f"OMEGI_EXPORTER names unknown exporter {name!r} (use otlp, console); ignoring it")
            continue
        factory, batched = FACTORIES[name]
        exporter = factory(config)
        if exporter is not None:
            out.append((exporter, batched))
    if not out:
        logger.info("no exporter is active; spans are created but not sent anywhere")
    return out
