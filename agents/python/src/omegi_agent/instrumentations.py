"""The standard OpenTelemetry instrumentations for the libraries that are installed: server
spans for Flask, FastAPI/Starlette and Django; client spans for requests, httpx and urllib3.
Each comes with an extra of this package (``omegi-agent[flask]``…)."""

import importlib
import importlib.util

from .log import logger

#: library module -> (instrumentation module, instrumentor class)
KNOWN = {
    "flask": ("opentelemetry.instrumentation.flask", "FlaskInstrumentor"),
    "fastapi": ("opentelemetry.instrumentation.fastapi", "FastAPIInstrumentor"),
    "django": ("opentelemetry.instrumentation.django", "DjangoInstrumentor"),
    "requests": ("opentelemetry.instrumentation.requests", "RequestsInstrumentor"),
    "httpx": ("opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),
    "urllib3": ("opentelemetry.instrumentation.urllib3", "URLLib3Instrumentor"),
}


def _beside_requests(libraries: list, done: list) -> list:
    """`libraries` without urllib3 when requests is in `done`: requests brings urllib3, and
    its calls are traced through requests already."""
    return [name for name in libraries if not (name == "urllib3" and "requests" in done)]


def installed() -> list:
    """The known libraries importable here: what the setup guide's install line needs extras
    for."""
    found = [library for library in KNOWN if importlib.util.find_spec(library) is not None]
    return _beside_requests(found, found)


def install() -> "tuple[list, list]":
    """Instruments every known library that is importable and has its instrumentation
    installed; returns the names of those instrumented, and of those installed without their
    instrumentation (the extra is missing)."""
    done, missing = [], []
    for library, (module, cls) in KNOWN.items():
        if importlib.util.find_spec(library) is None:
            continue
        try:
            instrumentor = getattr(importlib.import_module(module), cls)()
        except ImportError:
            missing.append(library)  # the library is there, its instrumentation extra is not
            continue
        try:
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
            done.append(library)
        except Exception as exc:  # never let an instrumentation break the application
            logger.warning("could not instrument %s: %s", library, exc)
    return done, _beside_requests(missing, done)
