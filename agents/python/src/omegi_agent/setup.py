"""Configures OpenTelemetry for Omegi: resource, sampler, W3C (and Sentry) propagation, exporters,
library instrumentations and the import hook for method-level spans."""

import atexit
import os
import threading

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import config as config_module
from . import exporters, import_hook, instrumentations
from .log import logger
from .propagation import SentryTracePropagator

_lock = threading.Lock()
_provider = None


def init(**overrides):
    """Sets everything up once per process; later calls return the same provider. Keyword
    arguments override the environment (``service_name=``, ``exporters=[...]``…). Never
    raises: a broken set-up is logged and the application runs untraced."""
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        try:
            _provider = _setup(overrides)
        except Exception as exc:
            logger.warning("set-up failed, the application runs without tracing: %s", exc)
            return None
        return _provider


def _setup(overrides):
    cfg = config_module.from_env()
    if overrides:
        cfg = config_module.Config(**{**cfg.__dict__, **overrides})
    attributes = {}
    if cfg.service_name:
        attributes["service.name"] = cfg.service_name
    if cfg.trace_packages:
        # The error page tells the application's own stack frames by these.
        attributes["omegi.trace_packages"] = ",".join(cfg.trace_packages)
    # Omegi's setup guide offers the extras for these.
    attributes["omegi.frameworks"] = ",".join(instrumentations.installed())
    resource = Resource.create(attributes)
    sampler = ParentBased(TraceIdRatioBased(cfg.sample_ratio)) if cfg.sample_ratio is not None else None
    provider = TracerProvider(resource=resource, sampler=sampler) if sampler else TracerProvider(resource=resource)
    for exporter, batched in exporters.build(cfg):
        # The batch processor's queue is bounded: when Omegi is slow, spans are dropped,
        # the application never waits.
        provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=4096) if batched else SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if "OTEL_PROPAGATORS" not in os.environ:
        propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator(), SentryTracePropagator()]))
    instrumented, missing = instrumentations.install()
    import_hook.install(cfg.trace_packages)
    atexit.register(provider.shutdown)
    logger.info("%s", startup_line(cfg, resource.attributes.get("service.name"), instrumented, missing))
    return provider


def startup_line(cfg, service, instrumented, missing) -> str:
    """The one line the agent prints when it starts: what it traces and where spans go."""
    parts = [
        f"tracing service {service}",
        f"exporters {', '.join(cfg.exporters)}" + (f" to {cfg.endpoint}" if "otlp" in cfg.exporters else ""),
        f"traced packages {', '.join(cfg.trace_packages)}" if cfg.trace_packages else "no OMEGI_TRACE_PACKAGES (no method-level spans)",
        f"instrumented {', '.join(instrumented)}" if instrumented else "no library instrumented",
    ]
    if missing:
        extras = ",".join(missing)
        parts.append(f"{', '.join(missing)} installed without instrumentation: pip install \"omegi-agent[{extras}]\"")
    return "; ".join(parts)


def shutdown():
    """Flushes and stops the exporters (also done at interpreter exit)."""
    if _provider is not None:
        _provider.shutdown()
