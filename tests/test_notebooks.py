"""The notebooks: thin templates with a parameters cell; the tutorial is executed here so it never rots."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["unit_report.ipynb", "briefing.ipynb", "tutorial.ipynb"])
def test_notebook_has_parameters_cell(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    assert "lang" in tagged[0].source


@pytest.mark.parametrize("name", ["unit_report.ipynb", "briefing.ipynb"])
def test_report_templates_are_thin(name):
    """Every computation is a library call: no function definitions, loops or comprehensions,
    and at most two library calls per cell (the parameters and the set-up cell aside); a cell
    may instead only display a result computed earlier (a name or ``sections["coverage"]``)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    for cell in code[1:]:
        tree = ast.parse(cell.source)
        banned = (ast.FunctionDef, ast.For, ast.While, ast.ListComp, ast.DictComp, ast.Lambda, ast.ClassDef)
        assert not any(isinstance(n, banned) for n in ast.walk(tree)), cell.source
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and isinstance(n.func.value, ast.Name) and n.func.value.id == "report"]
        shows = (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
                 and isinstance(tree.body[0].value, (ast.Name, ast.Subscript))
                 and not any(isinstance(n, ast.Call) for n in ast.walk(tree)))
        assert shows or 1 <= len(calls) <= 2, cell.source
    # markdown shown to readers would bypass the language switch: only notes tagged for removal
    for c in nb.cells:
        if c.cell_type == "markdown":
            assert "remove_cell" in c.metadata.get("tags", [])


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    from evaltools.simulate import simulate_study

    sim = simulate_study(seed=5, n_units=4, n_regions=1, subjects_per_unit=(12, 14), waves=["2024-S1"],
                         control_share=0.5)
    path = tmp_path_factory.mktemp("tut") / "studi"
    sim.write(path)
    return path


def test_tutorial_executes(small_study, tmp_path):
    import papermill as pm

    from evaltools import runner

    runner._register_engines()
    out = tmp_path / "tutorial.ipynb"
    nb = pm.execute_notebook(str(NOTEBOOKS / "tutorial.ipynb"), str(out), parameters={"study_path": str(small_study)},
                             engine_name="evaltools-fresh", kernel_name="python3", progress_bar=False,
                             kernel_cwd=str(tmp_path))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    last = nb.cells[-1].outputs[-1]
    shown = last["data"].get("text/html", "") + last["data"].get("text/plain", "")
    assert any(v in shown for v in ("SIAP", "PERBAIKI DULU", "TUNDA"))
