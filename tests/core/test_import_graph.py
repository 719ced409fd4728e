"""Dependencies point one way: the import graph between bench's packages has no cycle.

Every ``import``/``from ... import`` of a ``bench`` module anywhere in a file counts (also imports
deferred into functions: a cycle hidden in a function body is still a cycle). A package is
``bench.<name>`` for a folder; top-level modules (``bench/errors.py``, ...) are leaves of their own.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import bench

ROOT = Path(bench.__file__).resolve().parent


def _unit(module: str) -> str | None:
    """``bench.compare.engine`` -> ``compare``; ``bench.errors`` -> ``errors``; other packages -> None."""
    parts = module.split(".")
    if parts[0] != "bench" or len(parts) < 2:
        return None
    return parts[1]


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        source = _unit(".".join(relative.parts))
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                target = _unit(name)
                if target is not None and target != source:
                    edges[source].add(target)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_import_graph_is_acyclic():
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_lower_layers_never_import_higher_ones():
    edges = _graph()
    assert "models" not in edges["twins"]
    assert not edges["analysis"] & {"compare", "dashboard", "cli", "results"}
    assert not edges["compare"] & {"dashboard", "cli"}
    assert "cli" not in edges["dashboard"]
