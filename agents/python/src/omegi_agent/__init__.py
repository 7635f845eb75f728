"""Omegi's Python agent: configures OpenTelemetry for Omegi without code changes.

Run an app under ``omegi-run`` (``omegi-run python app.py``), or call :func:`init` at the top
of the app. Configuration comes from ``OMEGI_*`` environment variables; standard ``OTEL_*``
variables keep working.
"""

from .methods import trace
from .setup import init, shutdown

__all__ = ["init", "shutdown", "trace"]
__version__ = "0.1.0"
