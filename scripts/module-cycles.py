#!/usr/bin/env python3
"""Checks the module graph of crates/omegi/src: no cycles (module A uses B and B uses A,
directly or through others, counting `use`s and inline `crate::`/`super::` paths; a parent and
its own submodules may use each other, as Rust nests) and no upward dependency between the
layers model/config <- store/auth <- services (pipeline, ingest, live, accounts, alerts) <- transports
(http, grpc, kafka, sentry, web) <- server/main. Exits 1 on either; see docs/architecture.md.

    python3 scripts/module-cycles.py [src-dir]
"""

import re
import sys
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "crates/omegi/src")


def module_of(path: Path) -> tuple:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


modules = {module_of(p): p for p in src.rglob("*.rs")}
known = set(modules)


def resolve(current: tuple, path: list) -> tuple | None:
    """The longest known module that `path` (crate-relative parts) names."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in known:
            return tuple(path[:n])
    return None


def references(module: tuple, text: str):
    text = re.sub(r"//.*", "", text)
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)  # unit tests
    for m in re.finditer(r"\b(crate|super(?:::super)*)((?:::\w+)+)", text):
        head, rest = m.group(1), m.group(2).strip(":").split("::")
        if head == "crate":
            base = []
        else:
            ups = head.count("super")
            here = list(module) if modules[module].name in ("mod.rs",) else list(module)
            # `super` of a file module is its parent; of a mod.rs it is the parent too
            base = here[: len(here) - ups]
        target = resolve(module, base + rest)
        if target is not None:
            yield target
    # `use super::{a, b::c}` groups
    for m in re.finditer(r"use\s+(crate|super(?:::super)*)::\{([^}]*)\}", text):
        head = m.group(1)
        base = [] if head == "crate" else list(module)[: len(module) - head.count("super")]
        for item in m.group(2).split(","):
            item = item.strip().split("::")
            if item and item[0]:
                target = resolve(module, base + item)
                if target is not None:
                    yield target


def nested(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


edges = {m: set() for m in modules}
for module, path in modules.items():
    for target in references(module, path.read_text()):
        if target != module and not nested(module, target):
            edges[module].add(target)

# Tarjan's strongly connected components.
index, low, stack, on_stack, cycles = {}, {}, [], set(), []


def visit(v, counter=[0]):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on_stack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            cycles.append(component)


sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)

# The layers, lowest first: a module may use its own layer and those below it.
LAYERS = {
    "model": 0, "config": 0, "shutdown": 0, "metrics": 0,
    "store": 1, "auth": 1,
    "pipeline": 2, "ingest": 2, "live": 2, "accounts": 2, "service_map": 2, "knowledge": 2,
    "retention": 2, "alerts": 2,
    "http": 3, "grpc": 3, "kafka": 3, "sentry": 3, "web": 3, "loadgen": 3,
    "server": 4, "main": 4,
}
layer = lambda m: LAYERS.get(m[0], 4) if m else 4
upward = sorted((m, t) for m in edges for t in edges[m] if layer(t) > layer(m))

name = lambda m: "::".join(m) or "crate"
for m, t in upward:
    print(f"upward: {name(m)} (layer {layer(m)}) -> {name(t)} (layer {layer(t)})")
for component in cycles:
    members = set(component)
    print("cycle:", ", ".join(sorted(name(m) for m in component)))
    for m in sorted(component):
        for t in sorted(edges[m] & members):
            print(f"    {name(m)} -> {name(t)}")
print(
    f"{len(modules)} modules, {sum(len(e) for e in edges.values())} dependencies, "
    f"{len(cycles)} cycles, {len(upward)} upward dependencies"
)
sys.exit(1 if cycles or upward else 0)
