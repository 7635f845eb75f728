"""Instruments the application's own packages (``OMEGI_TRACE_PACKAGES``) as they are
imported: a meta-path finder hands each matching module to the real loader, then wraps the
functions and methods the module defined."""

import importlib.abc
import sys
from typing import List

from .methods import instrument_module

_AGENT = __name__.split(".")[0]


def _wanted(name: str, packages: List[str]) -> bool:
    if name == _AGENT or name.startswith(_AGENT + "."):
        return False
    return any(name == p or name.startswith(p + ".") for p in packages)


class _Loader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        instrument_module(module)

    def __getattr__(self, name):  # get_source, is_package, resources… of the real loader
        return getattr(self._inner, name)


class TracingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, packages: List[str]):
        self.packages = packages

    def find_spec(self, fullname, path, target=None):
        if not _wanted(fullname, self.packages):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


def install(packages: List[str]) -> None:
    """Instruments `packages` from now on, and the modules of them already imported."""
    if not packages or any(isinstance(f, TracingFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, TracingFinder(packages))
    for name, module in list(sys.modules.items()):
        if module is not None and _wanted(name, packages):
            instrument_module(module)
