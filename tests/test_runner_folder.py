"""The run folder under crashes and reruns (issue 12: 3, 5, 6, 14, 15, 16 and the analyst's path).

A small simulated study (two pilot units) is run once; the tests then damage or leave
behind what a crash, a kill or a renamed unit leaves, and check what the next run does.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import stat

import nbformat
import pandas as pd
import pytest

from evaltools import _executors, _runfolder, cli, runner


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from evaltools.simulate import simulate_study

    sim = simulate_study(seed=2, n_units=4, n_regions=1, subjects_per_unit=(8, 10), waves=["2024-S1"],
                         control_share=0.5)
    path = tmp_path_factory.mktemp("study") / "mini"
    sim.write(path)
    import evaltools

    return {"path": path, "pilots": evaltools.load_study(path).pilot_units}


@pytest.fixture(scope="module")
def run_once(small, tmp_path_factory):
    """One run of one unit, after a killed run left its work folder with a raw partition."""
    out = tmp_path_factory.mktemp("reports")
    leftover = out / "mini" / ".work" / "run-999-1" / "inputs" / "X"
    leftover.mkdir(parents=True)
    pd.DataFrame({"subject": ["196608011988031001"], "email": ["196608011988031001@x.go.id"]}).to_parquet(
        leftover / "ratings.parquet")
    old = os.umask(0o022)
    try:
        res = runner.run(small["path"], out, units=small["pilots"][:1], jobs=1, progress=False, briefing=False)
    finally:
        os.umask(old)
    return {"out": out, "res": res, "unit": small["pilots"][0]}


def test_killed_run_leftovers_are_cleared_and_noted(run_once):
    res = run_once["res"]
    assert res.ok, res.manifest
    assert not (res.run_dir / ".work").exists()
    assert any(".work" in n for n in res.notes) and res.manifest["notes"] == res.notes


def test_partition_kept_in_the_run_folder_validated_columns_only(run_once):
    res, unit = run_once["res"], run_once["unit"]
    s = res.manifest["units"][unit]["file"]
    part = res.run_dir / "inputs" / s
    assert (part / "study.json").is_file()
    cols = pd.read_parquet(part / "ratings.parquet").columns
    assert set(cols) <= set(runner.PARTITION_RATING_COLUMNS) and "subject" in cols
    # nothing but this unit's partition is kept
    assert sorted(p.name for p in (res.run_dir / "inputs").iterdir()) == [s]


def test_partition_never_carries_unmapped_columns():
    import evaltools

    st = evaltools.load_study("data/sample")
    extra = st.ratings.head(3).assign(email="x@y", nama="Budi")
    assert list(runner._partition_ratings(st, extra).columns) == list(st.ratings.columns)


def test_outputs_follow_the_umask(run_once):
    """umask 022: colleagues on a shared server can read every file and folder of the run."""
    for p in [run_once["res"].run_dir, *run_once["res"].run_dir.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o044 == 0o044, f"{p} is {oct(mode)}"


def test_executed_notebook_reruns_as_it_is(run_once):
    """An analyst opens units/<file>.ipynb from `make lab` and runs it: its input is found."""
    import papermill as pm

    res, unit = run_once["res"], run_once["unit"]
    s = res.manifest["units"][unit]["file"]
    nb_path = res.run_dir / "units" / f"{s}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'study_path = "../inputs/{s}"' in injected.source
    assert str(res.run_dir) not in injected.source  # nothing absolute: the folder can move
    copy = res.run_dir.parent / "moved"
    shutil.copytree(res.run_dir, copy)
    pm.execute_notebook(str(copy / "units" / f"{s}.ipynb"), str(copy / "rerun.ipynb"), cwd=str(copy / "units"),
                        kernel_name="python3", progress_bar=False)
    shutil.rmtree(copy)


def test_stale_unit_archived_and_damaged_record_rerun(run_once, small):
    res, unit = run_once["res"], run_once["unit"]
    run_dir = res.run_dir
    s = res.manifest["units"][unit]["file"]
    # a unit renamed in the inputs: its old report and partition are still there
    rec = json.loads((run_dir / "units" / f"{s}.json").read_text())
    (run_dir / "units" / "Unit_Lama.json").write_text(json.dumps({**rec, "unit": "Unit Lama"}))
    (run_dir / "units" / "Unit_Lama.html").write_text("<p>lama</p>")
    (run_dir / "inputs" / "Unit_Lama").mkdir()
    (run_dir / "inputs" / "Unit_Lama" / "ratings.parquet").write_bytes(b"x")
    man = json.loads((run_dir / "manifest.json").read_text())
    man["units"]["Unit Lama"] = {**man["units"][unit], "file": "Unit_Lama"}
    (run_dir / "manifest.json").write_text(json.dumps(man))
    # and the current unit's record was truncated
    path = run_dir / "units" / f"{s}.json"
    path.write_bytes(path.read_bytes()[:40])

    again = runner.run(small["path"], run_once["out"], units=[unit], jobs=1, progress=False, briefing=False)
    assert again.executed == [unit] and again.ok
    assert json.loads(path.read_text())["unit"] == unit
    assert "Unit Lama" not in again.manifest["units"]
    assert any("Unit Lama" in n and "archive/" in n for n in again.notes)
    archived = list((run_dir / "archive").rglob("Unit_Lama.*"))
    assert sorted(p.suffix for p in archived) == [".html", ".json"]
    assert not (run_dir / "inputs" / "Unit_Lama").exists()
    xl = pd.read_excel(run_dir / "summary.xlsx", sheet_name=None)
    assert "Unit Lama" not in xl["Putusan"].to_string()

    # a record that parses but is not the one the manifest recorded is rerun too
    doc = json.loads(path.read_text())
    doc["verdict"]["code"] = "SIAP" if doc["verdict"]["code"] != "SIAP" else "TUNDA"
    path.write_text(json.dumps(doc))
    third = runner.run(small["path"], run_once["out"], units=[unit], jobs=1, progress=False, briefing=False)
    assert third.executed == [unit]
    # and an intact one is not
    fourth = runner.run(small["path"], run_once["out"], units=[unit], jobs=1, progress=False, briefing=False)
    assert fourth.executed == [] and fourth.skipped == [unit]


def test_second_run_is_refused_naming_the_holder(run_once, small, capsys):
    run_dir = run_once["res"].run_dir
    before = (run_dir / "manifest.json").read_bytes()
    with _runfolder.run_lock(run_dir):
        code = cli.main(["run", "--study", str(small["path"]), "--out", str(run_once["out"]), "--no-progress"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_LOCKED == 4
    assert f"run {os.getpid()} of user" in err and socket.gethostname() in err
    assert (run_dir / "manifest.json").read_bytes() == before
    assert not (run_dir / ".lock").exists()  # released


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_one_message_own_code_manifest_untouched(run_once, small, capsys, monkeypatch):
    pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    monkeypatch.setattr(_executors, "SCHEDULER_TIMEOUT", 2.0)
    run_dir = run_once["res"].run_dir
    before = (run_dir / "manifest.json").read_bytes()
    code = cli.main(["run", "--study", str(small["path"]), "--out", str(run_once["out"]), "--no-progress",
                     "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_NO_SCHEDULER == 3
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "no Dask scheduler answered" in err
    assert (run_dir / "manifest.json").read_bytes() == before


def test_unit_file_names_unique_ignoring_case():
    names = ["Dinas_A", "dinas_a", "DINAS_A", "Dinas B", "Dinas_C"]
    stems = runner.unit_file_names(names)
    assert len({s.casefold() for s in stems.values()}) == len(names)
    assert stems["Dinas_C"] == "Dinas_C"  # a name without a case twin keeps its plain stem
    # stable: the same unit gets the same file whatever else is in the list
    assert runner.unit_file_names(["dinas_a", "Dinas_A"]) == {k: stems[k] for k in ("dinas_a", "Dinas_A")}


def test_default_run_folder_per_language():
    from pathlib import Path

    assert runner._default_run_id(Path("data/sample"), "id") == "sample"
    assert runner._default_run_id(Path("data/sample"), "en") == "sample-en"


def test_progress_in_a_log_file_is_plain_short_lines():
    log = io.StringIO()  # not a terminal
    bar = _executors.Progress(3, True, "en", stream=log, every=0.0)
    for ok in (True, False, True):
        bar.update(ok)
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 3 and all(len(ln) < 100 for ln in lines)
    assert re.match(r"evaltools: 3/3 unit done=2 failed=1 remaining=0 \[\d\d:\d\d\]$", lines[-1])
    quiet = io.StringIO()
    _executors.Progress(3, False, stream=quiet).update(True)
    assert quiet.getvalue() == ""


def test_partitioned_study_is_read_a_batch_of_units_at_a_time(tmp_path, monkeypatch):
    """Ratings as a hive-partitioned folder: the runner never loads the whole table, and each
    unit's report equals the one made from the same study in one Parquet file."""
    from evaltools.simulate import write_study

    key = "ab" * 32
    args = dict(seed=6, n_units=4, n_regions=1, subjects_per_unit=(8, 10), waves=["2024-S1"], control_share=0.5,
                key=key, key_file=None)
    write_study(tmp_path / "flat", format="parquet", **args)
    write_study(tmp_path / "parts", format="parquet-dataset", **args)
    monkeypatch.setenv("EVALTOOLS_KEY", key)
    calls = []
    real = runner.load_study

    def spy(path, **kw):
        calls.append(kw.get("units"))
        return real(path, **kw)

    monkeypatch.setattr(runner, "load_study", spy)
    monkeypatch.setattr(runner, "LOAD_BATCH", 1)
    parts = runner.run(tmp_path / "parts", tmp_path / "out", jobs=1, progress=False, briefing=False)
    assert parts.ok and len(parts.executed) == 2
    assert calls and all(c is not None and len(c) <= 1 for c in calls)
    calls.clear()
    flat = runner.run(tmp_path / "flat", tmp_path / "out", jobs=1, progress=False, briefing=False)
    assert calls == [None]
    for u in parts.executed:
        f = parts.manifest["units"][u]["file"]
        a = json.loads((parts.run_dir / "units" / f"{f}.json").read_text())
        b = json.loads((flat.run_dir / "units" / f"{f}.json").read_text())
        assert a == b
