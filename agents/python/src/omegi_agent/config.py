"""The agent's settings, read once from the environment.

The same variable names are used by every Omegi agent.
"""

import os
from dataclasses import dataclass, field
from typing import List, Optional


@dataclass(frozen=True)
class Config:
    service_name: Optional[str]
    endpoint: str
    token: Optional[str]
    exporters: List[str]
    trace_packages: List[str] = field(default_factory=list)
    sample_ratio: Optional[float] = None
    kafka_brokers: str = "localhost:9092"
    kafka_topic: str = "omegi-spans"


def _split(value: str) -> List[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def from_env(env=os.environ) -> Config:
    ratio = env.get("OMEGI_SAMPLE_RATIO")
    sample_ratio = None
    if ratio:
        try:
            sample_ratio = min(1.0, max(0.0, float(ratio)))
        except ValueError:
            from .log import warn_once

            warn_once("ratio", f"OMEGI_SAMPLE_RATIO={ratio!r} is not a number between 0 and 1; sampling everything")
    return Config(
        service_name=env.get("OMEGI_SERVICE_NAME") or None,
        endpoint=(env.get("OMEGI_ENDPOINT") or "http://localhost:8080").rstrip("/"),
        token=env.get("OMEGI_TOKEN") or None,
        exporters=[e.lower() for e in _split(env.get("OMEGI_EXPORTER", "otlp"))] or ["otlp"],
        trace_packages=_split(env.get("OMEGI_TRACE_PACKAGES", "")),
        sample_ratio=sample_ratio,
        kafka_brokers=env.get("OMEGI_KAFKA_BROKERS") or "localhost:9092",
        kafka_topic=env.get("OMEGI_KAFKA_TOPIC") or "omegi-spans",
    )
