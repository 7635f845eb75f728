"""Where spans go. ``OMEGI_EXPORTER`` names one or more of the factories in ``FACTORIES``
(``otlp``, ``console``, ``kafka``); a new exporter is one more entry there.
"""

import os
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from .config import Config
from .log import forget, logger, said, warn_once


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
        self._token = token
        self._timeout = timeout
        self._inner = OTLPSpanExporter(endpoint=self._url, headers={"authorization": f"Bearer {token}"}, timeout=timeout)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:  # the application must never see an export problem
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            if forget("otlp-down"):
                logger.info("Omegi at %s is reachable again; spans are sent", self._url)
        elif not said("otlp-down"):
            warn_once("otlp-down", f"cannot send spans to {self._url}: {self._diagnose()}; spans are dropped until it is reachable")
        return result

    def _diagnose(self) -> str:
        """Why an export failed, asked once per outage with an empty OTLP request (a valid
        one): a refused token, another answer, or no answer at all."""
        request = urllib.request.Request(self._url, data=b"", method="POST", headers={"content-type": "application/x-protobuf", "authorization": f"Bearer {self._token}"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return f"Omegi answered {response.status} now but failed the batch"
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                return "Omegi refused the token (401): check OMEGI_TOKEN, or create a new one in Omegi's settings"
            if exc.code == 403:
                return "Omegi refused the token for this project (403)"
            return f"Omegi answered {exc.code} {exc.reason}"
        except Exception as exc:
            return f"Omegi did not answer ({type(exc).__name__}: {getattr(exc, 'reason', exc)})"

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


class KafkaExporter(SpanExporter):
    """One Kafka message per trace in each batch: the value an OTLP protobuf
    ``ExportTraceServiceRequest``, the key the trace id (hex, so a trace stays in one
    partition), the header ``omegi-token`` the ingest token; what Omegi's Kafka receiver reads.

    The producer is made on first use in each process (a pre-fork server's workers get their
    own, never one inherited across ``fork``). Sending is asynchronous: a down broker or a full
    buffer costs the spans and one warning line, never the application's time."""

    def __init__(self, brokers: str, topic: str, token: str):
        self._brokers = brokers
        self._topic = topic
        self._token = token.encode()
        self._producer = None
        self._pid = None

    def _producer_here(self):
        if self._producer is None or self._pid != os.getpid():
            import logging

            from confluent_kafka import Producer

            quiet = logging.getLogger("omegi_agent.kafka")
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False
            self._producer = Producer(
                {
                    "bootstrap.servers": self._brokers,
                    "client.id": "omegi-agent",
                    "linger.ms": 50,
                    # A message not delivered by then is dropped (and reported once).
                    "message.timeout.ms": 10000,
                    "queue.buffering.max.kbytes": 32768,
                    "error_cb": self._on_error,
                    # librdkafka's own log lines go nowhere; problems are reported once below.
                    "logger": quiet,
                }
            )
            self._pid = os.getpid()
        return self._producer

    def _on_error(self, error) -> None:
        warn_once("kafka-down", f"cannot reach Kafka at {self._brokers} ({error.str()}); spans are dropped until it is reachable")

    def _on_delivery(self, error, message) -> None:
        if error is None:
            forget("kafka-down")
        else:
            warn_once("kafka-down", f"cannot deliver spans to Kafka topic {self._topic} at {self._brokers} ({error.str()}); spans are dropped until it is reachable")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        try:
            producer = self._producer_here()
            by_trace: Dict[int, list] = {}
            for span in spans:
                by_trace.setdefault(span.get_span_context().trace_id, []).append(span)
            for trace_id, trace_spans in by_trace.items():
                producer.produce(
                    self._topic,
                    key=f"{trace_id:032x}",
                    value=encode_spans(trace_spans).SerializeToString(),
                    headers=[("omegi-token", self._token)],
                    on_delivery=self._on_delivery,
                )
            producer.poll(0)
        except BufferError:
            warn_once("kafka-down", f"Kafka at {self._brokers} is not taking spans fast enough (buffer full); spans are dropped until it catches up")
            return SpanExportResult.FAILURE
        except Exception as exc:  # the application must never see an export problem
            warn_once("kafka-down", f"cannot send spans to Kafka at {self._brokers} ({type(exc).__name__}: {exc}); spans are dropped")
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        if self._producer is None or self._pid != os.getpid():
            return True
        return self._producer.flush(timeout_millis / 1000) == 0

    def shutdown(self) -> None:
        # At exit, a short wait for what is buffered; a down broker must not hold the exit.
        self.force_flush(2000)


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


def _token(config: Config) -> Optional[str]:
    """The ingest token both Omegi exporters need; without it, one warning."""
    if not config.token:
        warn_once("no-token", "OMEGI_TOKEN is not set: spans are not sent to Omegi (create a token in Omegi's settings)")
    return config.token


def _otlp(config: Config) -> Optional[SpanExporter]:
    token = _token(config)
    return OmegiOtlpExporter(config.endpoint, token) if token else None


def _console(config: Config) -> Optional[SpanExporter]:
    return ConsoleExporter()


def _kafka(config: Config) -> Optional[SpanExporter]:
    token = _token(config)
    if not token:
        return None
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        warn_once("kafka-client", "OMEGI_EXPORTER=kafka needs the Kafka client: pip install 'omegi-agent[kafka]'; the other exporters still run")
        return None
    return KafkaExporter(config.kafka_brokers, config.kafka_topic, token)


#: Exporter name -> (factory, whether to batch in the background).
FACTORIES: Dict[str, "tuple[Callable[[Config], Optional[SpanExporter]], bool]"] = {
    "otlp": (_otlp, True),
    "console": (_console, False),
    "kafka": (_kafka, True),
}


def build(config: Config):
    """The (exporter, batched) pairs the configuration asks for; unknown names are reported
    once and skipped, so the others still run."""
    out = []
    for name in config.exporters:
        if name not in FACTORIES:
            warn_once(f"exporter-{name}", f"OMEGI_EXPORTER names unknown exporter {name!r} (use otlp, console, kafka); ignoring it")
            continue
        factory, batched = FACTORIES[name]
        exporter = factory(config)
        if exporter is not None:
            out.append((exporter, batched))
    if not out:
        logger.info("no exporter is active; spans are created but not sent anywhere")
    return out
