"""Method-level spans keep functions working exactly as before."""

import asyncio
import sys
import types

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import omegi_agent
from omegi_agent.import_hook import install
from omegi_agent.methods import instrument_module

SPANS = InMemorySpanExporter()


@pytest.fixture(autouse=True, scope="module")
def provider():
    p = TracerProvider()
    p.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(p)
    yield


@pytest.fixture(autouse=True)
def clear():
    SPANS.clear()


def names():
    return [s.name for s in SPANS.get_finished_spans()]


def make_module():
    mod = types.ModuleType("demo_mod")
    source = '''
import functools

def plain(x, *, y=1):
    """doc"""
    return x + y

async def coro(x):
    return x * 2

def gen(n):
    for i in range(n):
        yield i
    return "done"

async def agen(n):
    for i in range(n):
        yield i

def boom():
    raise ValueError("bad")

def outer():
    return boom()

class Thing:
    def __init__(self, v):
        self.v = v
    def __repr__(self):
        return f"Thing({self.v})"
    def value(self):
        return self.v
    @staticmethod
    def s():
        return "s"
    @classmethod
    def c(cls):
        return cls.__name__
    @property
    def prop(self):
        return self.v
'''
    exec(compile(source, "demo_mod.py", "exec"), mod.__dict__)
    instrument_module(mod)
    return mod


def test_sync_async_and_generators_behave_as_before():
    m = make_module()
    assert m.plain(1, y=2) == 3 and m.plain.__doc__ == "doc" and m.plain.__name__ == "plain"
    assert asyncio.run(m.coro(4)) == 8
    g = m.gen(3)
    assert list(g) == [0, 1, 2]

    async def collect():
        return [i async for i in m.agen(2)]

    assert asyncio.run(collect()) == [0, 1]
    t = m.Thing(5)
    assert (t.value(), m.Thing.s(), m.Thing.c(), t.prop, repr(t)) == (5, "s", "Thing", 5, "Thing(5)")
    assert names() == [
        "demo_mod.plain", "demo_mod.coro", "demo_mod.gen", "demo_mod.agen",
        "demo_mod.Thing.value", "demo_mod.Thing.s", "demo_mod.Thing.c",
    ]


def test_dunder_methods_are_not_traced():
    m = make_module()
    m.Thing(1)
    repr(m.Thing(1))
    assert names() == []


def test_an_exception_is_recorded_once_where_it_was_raised():
    m = make_module()
    with pytest.raises(ValueError):
        m.outer()
    spans = {s.name: s for s in SPANS.get_finished_spans()}
    boom, outer = spans["demo_mod.boom"], spans["demo_mod.outer"]
    assert [e.name for e in boom.events] == ["exception"]
    assert boom.events[0].attributes["exception.type"] == "ValueError"
    stack = boom.events[0].attributes["exception.stacktrace"]
    assert 'File "demo_mod.py"' in stack and "in boom" in stack and "in outer" in stack
    assert "omegi_agent" not in stack, "the agent's wrapper frames are left out"
    assert outer.events == () or list(outer.events) == []
    assert boom.status.status_code.name == "ERROR" and outer.status.status_code.name == "ERROR"
    assert outer.context.span_id == boom.parent.span_id


def test_the_decorator_traces_code_outside_the_traced_packages():
    @omegi_agent.trace
    def helper():
        return 42

    assert helper() == 42
    assert names() == [f"{__name__}.test_the_decorator_traces_code_outside_the_traced_packages.<locals>.helper"]


def test_the_import_hook_instruments_matching_packages_only(tmp_path, monkeypatch):
    pkg = tmp_path / "hooked_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "work.py").write_text("def f():\n    return 'f'\n")
    (tmp_path / "unhooked.py").write_text("def g():\n    return 'g'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    install(["hooked_pkg"])
    import hooked_pkg.work
    import unhooked

    assert hooked_pkg.work.f() == "f" and unhooked.g() == "g"
    assert names() == ["hooked_pkg.work.f"]
    for name in ["hooked_pkg", "hooked_pkg.work", "unhooked"]:
        sys.modules.pop(name, None)
