"""Method-level spans: wrapping functions so each call is a span named
``module.Class.method`` with the ``code.*`` attributes, for sync, async and generator
functions alike. An exception is recorded once, on the span where it was raised; the spans
it passes through on its way up get status ERROR."""

import functools
import inspect
import os
import sys
import traceback
from types import FunctionType, ModuleType

from opentelemetry import trace as otel_trace
from opentelemetry.trace import Status, StatusCode

_TRACER_NAME = "omegi_agent"
_MARK = "__omegi_wrapped__"


def _tracer():
    return otel_trace.get_tracer(_TRACER_NAME)


_AGENT_DIR = os.path.dirname(os.path.abspath(__file__))


def _stacktrace(exc: BaseException) -> str:
    """The whole stack trace as Python would print it at the top: the callers of the span
    where the exception is recorded followed by the frames it was raised through, without
    the agent's own wrapper frames. (At this point the exception's own traceback only
    reaches down from here, so the callers are added.)"""
    tb = traceback.TracebackException.from_exception(exc)
    callers = traceback.extract_stack(sys._getframe(2))
    frames = [f for f in [*callers, *tb.stack] if not f.filename.startswith(_AGENT_DIR)]
    tb.stack = traceback.StackSummary.from_list(frames)
    return "".join(tb.format())


def _fail(span, exc: BaseException) -> None:
    if not isinstance(exc, Exception):
        return  # GeneratorExit, KeyboardInterrupt, SystemExit are not failures of the call
    if not getattr(exc, "_omegi_recorded", False):
        span.record_exception(exc, attributes={"exception.stacktrace": _stacktrace(exc)})
        try:
            exc._omegi_recorded = True
        except Exception:
            pass
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _attributes(func, namespace: str):
    code = getattr(func, "__code__", None)
    attrs = {"code.function": func.__name__, "code.namespace": namespace}
    if code is not None:
        attrs["code.filepath"] = code.co_filename
        attrs["code.lineno"] = code.co_firstlineno
    return attrs


def wrap(func, namespace: str):
    """A function that behaves like `func` but runs each call inside a span."""
    if getattr(func, _MARK, False):
        return func
    name = f"{namespace}.{func.__name__}"
    attrs = _attributes(func, namespace)

    def span():
        return _tracer().start_as_current_span(name, attributes=attrs, record_exception=False, set_status_on_exception=False)

    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            with span() as s:
                try:
                    async for item in func(*args, **kwargs):
                        yield item
                except BaseException as exc:
                    _fail(s, exc)
                    raise

    elif inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            with span() as s:
                try:
                    return await func(*args, **kwargs)
                except BaseException as exc:
                    _fail(s, exc)
                    raise

    elif inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with span() as s:
                try:
                    return (yield from func(*args, **kwargs))
                except BaseException as exc:
                    _fail(s, exc)
                    raise

    else:

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with span() as s:
                try:
                    return func(*args, **kwargs)
                except BaseException as exc:
                    _fail(s, exc)
                    raise

    setattr(wrapper, _MARK, True)
    return wrapper


def trace(func):
    """Decorator: a span for every call of `func`, for code outside ``OMEGI_TRACE_PACKAGES``."""
    namespace = f"{func.__module__}.{func.__qualname__}".rsplit(".", 1)[0]
    return wrap(func, namespace)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def instrument_module(module: ModuleType) -> None:
    """Wraps every function and method defined in `module` (not those it imported)."""
    modname = module.__name__
    for attr, value in list(vars(module).items()):
        if _is_dunder(attr):
            continue
        if isinstance(value, FunctionType) and value.__module__ == modname:
            setattr(module, attr, wrap(value, modname))
        elif inspect.isclass(value) and value.__module__ == modname:
            instrument_class(value, f"{modname}.{value.__qualname__}")


def instrument_class(cls: type, namespace: str) -> None:
    for attr, value in list(vars(cls).items()):
        if _is_dunder(attr):
            continue
        try:
            if isinstance(value, staticmethod):
                setattr(cls, attr, staticmethod(wrap(value.__func__, namespace)))
            elif isinstance(value, classmethod):
                setattr(cls, attr, classmethod(wrap(value.__func__, namespace)))
            elif isinstance(value, FunctionType):
                setattr(cls, attr, wrap(value, namespace))
            elif inspect.isclass(value) and value.__module__ == cls.__module__:
                instrument_class(value, f"{namespace}.{value.__name__}")
        except (TypeError, AttributeError):
            continue  # read-only class attributes (C types, slots) stay as they are
