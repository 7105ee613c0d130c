"""The layout reads one way: every ``evaltools`` import points down the declared layers, no
import cycle between modules, and no module of the report/runner side grows past one job."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "evaltools"

#: lower number = lower layer; a module may import only from its own layer or below
LAYERS = {
    "evaltools._errors": 0, "evaltools._results": 0, "evaltools._io": 0, "evaltools._multitest": 0,
    "evaltools.asn": 0,
    "evaltools._notes": 0,
    "evaltools.data": 1,
    "evaltools.reliability": 2, "evaltools.calibration": 2, "evaltools.pilot": 2,
    "evaltools.simulate": 2,
    "evaltools.plots": 3,
    "evaltools.report": 4,
    "evaltools._kernels": 5, "evaltools._kernel_state": 5, "evaltools._kernel_fork": 5, "evaltools._executors": 5, "evaltools._forkserver": 5, "evaltools._pool_server": 5, "evaltools._runfolder": 5, "evaltools.runner": 5,
    "evaltools.cli": 6,
    # the package's __init__ imports nothing of its own: what it offers is imported on first
    # attribute access
    "evaltools": 1,
}
#: modules still longer than the limit, with the reason (remove the entry when it is split)
KNOWN_LONG = {
}
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(SRC.rglob("*.py")):
        parts = ("evaltools", *p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every evaltools module ``name`` imports, relative imports resolved."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "evaltools"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "evaltools":
                continue
            subs = {f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES}
            # "from evaltools import plots" depends on evaltools.plots, not on the package's names
            found |= subs
            if len(subs) < len(node.names):
                found.add(mod)
    found |= {m for m in list(found) if m in MODULES}
    return {m for m in found if m in MODULES and m != name}


MODULES = _modules()


def _layer(mod: str) -> int:
    while mod not in LAYERS:
        mod = mod.rsplit(".", 1)[0]
    return LAYERS[mod]


def test_every_module_has_a_layer():
    assert all(_layer(m) is not None for m in MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    up = sorted(m for m in _imports(name, MODULES[name]) if _layer(m) > _layer(name))
    assert not up, f"{name} (layer {_layer(name)}) imports a higher layer: {up}"


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_import_cycle():
    # a package importing its own submodules (its re-exports) is not a cycle; a submodule
    # importing its package back, or two modules importing each other, is
    graph = {name: _imports(name, path) - {p for p in MODULES if name.startswith(p + ".")}
             for name, path in MODULES.items()}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    """The checks above can fail: a planted upward import and a planted cycle are found
    (the report -> runner -> report circle this layout removed)."""
    p = tmp_path / "bad.py"
    p.write_text("from evaltools.runner import run\nfrom .records import collect\n")
    assert _imports("evaltools.report.bad", p) == {"evaltools.runner", "evaltools.report.records"}
    assert _layer("evaltools.runner") > _layer("evaltools.report.bad")
    assert _find_cycle({"evaltools.report": {"evaltools.runner"}, "evaltools.runner": {"evaltools.report"}})
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_short(name):
    n = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    if name in KNOWN_LONG:
        pytest.skip(f"{n} lines: {KNOWN_LONG[name]}")
    assert n <= MAX_LINES, f"{name} has {n} lines (limit {MAX_LINES}): split it along its jobs"
