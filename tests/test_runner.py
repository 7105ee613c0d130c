"""End-to-end tests of the runner: real papermill, real kernels, a small simulated study.

One simulated study of three pilot units (one calibrated, one with a lenient clique, one
with a severe clique; the calibrated unit carries a hostile name with quotes, markup and
``..``) is run once through the whole pipeline; the tests then check the artifacts, the
verdicts against the simulated truth, resumability, failure isolation, warm-kernel
isolation, the Dask path and a privacy scan of every file the runs wrote.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evaltools import report, runner

_REAL_CODE_HASH = runner.code_hash
HOSTILE = 'Dinas "Uji" <script>alert(1)</script> ../../luar'


def _rename_unit(sim, old: str, new: str) -> None:
    for df in (sim.ratings, sim.units, sim.outcomes):
        col = df["unit"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            df["unit"] = col.cat.rename_categories({old: new}) if old in col.cat.categories else col
        else:
            df["unit"] = col.astype(object).where(col != old, new)
    units = sim.truth_meta.get("units", {})
    if old in units:
        units[new] = units.pop(old)


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """A 5-unit study: 2 never-treated controls and 3 pilot units with known rater profiles."""
    from evaltools.simulate import simulate_study

    # clique_severity 1.0: the clique raters are badly calibrated beyond doubt
    sim = simulate_study(seed=1, n_units=5, n_regions=1, subjects_per_unit=(14, 16), waves=["2024-S1"],
                         control_share=0.4, profiles=["calibrated", "lenient_clique", "severe_clique"],
                         model={"clique_severity": 1.0})
    profiles = {u: v["profile"] for u, v in sim.truth["units"].items()}
    calibrated = next(u for u, p in profiles.items() if p == "calibrated")
    _rename_unit(sim, calibrated, HOSTILE)
    profiles = {(HOSTILE if u == calibrated else u): p for u, p in profiles.items()}
    path = tmp_path_factory.mktemp("study") / "kecil"
    sim.write(path)
    raw = sim.ratings
    secrets = set()
    for c in ("subject", "rater"):
        secrets |= {str(v) for v in raw[c].astype(str).unique() if re.fullmatch(r"\d{9}|\d{18}", str(v))}
    names = set()
    for c in ("subject_name", "rater_name"):
        if c in raw:
            names |= {str(v) for v in raw[c].dropna().astype(str).unique() if len(str(v)) >= 6}
    return {"path": path, "profiles": profiles, "nips": secrets, "names": names}


@pytest.fixture(scope="session", autouse=True)
def pinned_code_hash():
    """Tie the code hash to the notebook templates only, so that a resumability check is
    about the inputs even while library files in the working tree change."""
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "code_hash", lambda notebook=None: hashlib.sha256(Path(notebook).read_bytes()).hexdigest())
    yield
    mp.undo()


@pytest.fixture(scope="session")
def first_run(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    res = runner.run(study["path"], out, jobs=2, engine="warm", progress=False)
    return {"out": out, "res": res}


def _pilots(study) -> list[str]:
    return [u for u, p in study["profiles"].items() if p != "control"]


def test_artifacts(study, first_run):
    res = first_run["res"]
    assert res.ok, res.manifest
    run_dir = res.run_dir
    assert run_dir.parent == Path(first_run["out"])
    man = json.loads((run_dir / "manifest.json").read_text())
    pilots = _pilots(study)
    assert sorted(man["units"]) == sorted(pilots)
    for u in pilots:
        e = man["units"][u]
        assert e["status"] == "ok" and e["error"] == ""
        assert len(e["input_hash"]) == 64 and len(e["code_hash"]) == 64
        assert e["duration"] > 0 and e["library_version"]
        for ext in ("ipynb", "html", "json"):
            f = run_dir / "units" / f"{e['file']}.{ext}"
            assert f.is_file() and f.stat().st_size > 0
        nb = nbformat.read(run_dir / "units" / f"{e['file']}.ipynb", as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
        html = (run_dir / "units" / f"{e['file']}.html").read_text()
        # a report, not a notebook dump: no code, headings present, the verdict shown
        assert "report.coverage(" not in html and "import evaltools" not in html
        for heading in ("Cakupan data", "Konsistensi penilai", "Kalibrasi penilai", "Putusan"):
            assert heading in html
        rec = json.loads((run_dir / "units" / f"{e['file']}.json").read_text())
        assert rec["unit"] == u and rec["verdict"]["code"] in report.VERDICTS
    assert (run_dir / "briefing.html").is_file()
    assert "Ringkasan kebijakan" in (run_dir / "briefing.html").read_text()
    assert man["briefing"]["status"] == "ok"
    xl = pd.read_excel(run_dir / "summary.xlsx", sheet_name=None)
    assert {"Putusan", "Alasan", "Angka kunci"} <= set(xl)
    assert len(xl["Putusan"]) == 3
    # the temporary partitions are gone
    assert not (run_dir / ".work").exists()


def test_hostile_unit_name_stays_inside_and_inert(study, first_run):
    run_dir = first_run["res"].run_dir
    safe = runner.safe_name(HOSTILE)
    assert "/" not in safe and ".." not in safe and "<" not in safe and '"' not in safe
    assert (run_dir / "units" / f"{safe}.html").is_file()
    for f in Path(first_run["out"]).rglob("*"):
        assert f.resolve().is_relative_to(Path(first_run["out"]).resolve())
    for f in [run_dir / "units" / f"{safe}.html", run_dir / "briefing.html"]:
        text = f.read_text()
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_verdicts_match_simulated_truth(study, first_run):
    recs = {r["unit"]: r for r in report.collect(first_run["res"].run_dir)}
    for u, prof in study["profiles"].items():
        if prof == "control":
            continue
        code = recs[u]["verdict"]["code"]
        if prof in ("lenient_clique", "severe_clique"):
            # badly calibrated raters must never pass as ready, and the reason must say why
            assert code != "SIAP"
            assert "raters_flagged" in [r["code"] for r in recs[u]["verdict"]["reasons"]]
        else:
            assert code == "SIAP", recs[u]["verdict"]


def test_second_run_executes_nothing(study, first_run):
    before = {f: f.stat().st_mtime_ns for f in Path(first_run["out"]).rglob("*.html")}
    res2 = runner.run(study["path"], first_run["out"], jobs=2, progress=False)
    assert res2.executed == []
    assert sorted(res2.skipped) == sorted(_pilots(study))
    assert res2.ok
    # neither the unit reports nor the briefing were rewritten
    assert {f: f.stat().st_mtime_ns for f in Path(first_run["out"]).rglob("*.html")} == before


def test_code_hash_follows_template_and_library(tmp_path):
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    a.write_text("{}")
    b.write_text('{"x": 1}')
    assert _REAL_CODE_HASH(a) == _REAL_CODE_HASH(a)
    assert _REAL_CODE_HASH(a) != _REAL_CODE_HASH(b)
    assert _REAL_CODE_HASH(a) != _REAL_CODE_HASH(None)  # the library sources are hashed too


def test_warm_kernel_isolation(study, tmp_path):
    """The same units in two orders, in one warm kernel and in a pool of fresh kernels:
    identical recorded results (nothing leaks from one unit into the next)."""
    pilots = _pilots(study)
    warm = runner.run(study["path"], tmp_path / "warm", units=list(reversed(pilots)), jobs=1, engine="warm",
                      progress=False, briefing=False)
    fresh = runner.run(study["path"], tmp_path / "fresh", units=pilots, jobs=2, engine="fresh",
                       progress=False, briefing=False)
    assert warm.executed == list(reversed(pilots)) and sorted(fresh.executed) == sorted(pilots)
    a = {r["unit"]: r for r in report.collect(warm.run_dir)}
    b = {r["unit"]: r for r in report.collect(fresh.run_dir)}
    assert a == b


def test_failure_is_isolated(study, tmp_path, monkeypatch, capsys):
    """One unit's notebook raises: it is marked failed with the error, the others finish,
    the briefing lists it, the command exits non-zero naming it, and a rerun retries it only."""
    from evaltools import cli

    nb = nbformat.read(runner.DEFAULT_NOTEBOOK, as_version=4)
    bad_unit = next(u for u, p in study["profiles"].items() if p == "severe_clique")
    boom = nbformat.v4.new_code_cell(f"if unit == {bad_unit!r}:\n    raise RuntimeError('unit sengaja digagalkan')")
    nb.cells.insert(3, boom)
    tpl = tmp_path / "unit_report.ipynb"
    nbformat.write(nb, tpl)
    monkeypatch.setattr(runner, "DEFAULT_NOTEBOOK", tpl)
    other = next(u for u, p in study["profiles"].items() if p == "lenient_clique")
    code = cli.main(["run", "--study", str(study["path"]), "--out", str(tmp_path / "out"), "--units", bad_unit,
                     other, "--jobs", "1", "--no-progress", "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 1
    assert bad_unit in err and "failed units" in err
    assert f"{bad_unit} failed: RuntimeError: unit sengaja digagalkan (log: " in err and "Traceback" not in err
    run_dir = tmp_path / "out" / "kecil-en"  # an English run has its own folder
    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["units"][bad_unit]["status"] == "failed"
    assert "unit sengaja digagalkan" in man["units"][bad_unit]["error"]
    # one line for a reader, the whole error in the log it names
    entry = man["units"][bad_unit]
    assert entry["error_summary"] == "RuntimeError: unit sengaja digagalkan"
    log = run_dir / entry["log"]
    assert entry["log"] == f"units/{runner.safe_name(bad_unit)}.log" and "raise RuntimeError" in log.read_text()
    rec = json.loads((run_dir / entry["log"].replace(".log", ".json")).read_text())
    assert rec["status"] == "failed" and rec["error_summary"] == entry["error_summary"] and rec["log"] == entry["log"]
    assert man["units"][other]["status"] == "ok"
    briefing = (run_dir / "briefing.html").read_text()
    # issue 12.8: one plain sentence pointing to the log, not the error itself
    assert "unit sengaja digagalkan" not in briefing and "Units that could not be processed" in briefing
    assert "run log" in briefing
    # --lang en: the report speaks English
    unit_html = (run_dir / "units" / f"{runner.safe_name(other)}.html").read_text()
    assert "Rater calibration" in unit_html and "Kalibrasi penilai" not in unit_html
    # a rerun retries the failed unit only
    monkeypatch.setattr(runner, "DEFAULT_NOTEBOOK", tpl)
    again = runner.run(study["path"], tmp_path / "out", units=[bad_unit, other], jobs=1, lang="en",
                       progress=False, briefing=False)
    assert again.executed == [bad_unit] and again.skipped == [other] and again.failed == [bad_unit]


def test_dask_local_cluster(study, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    unit = next(u for u, p in study["profiles"].items() if p == "calibrated")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = runner.run(study["path"], tmp_path, units=[unit], scheduler=client, engine="fresh",
                         progress=False, briefing=False)
    assert res.ok and res.executed == [unit]
    assert (res.run_dir / "units" / f"{runner.safe_name(unit)}.html").is_file()


def _texts(root: Path):
    for f in root.rglob("*"):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                for n in z.namelist():
                    yield f"{f}:{n}", z.read(n).decode("utf-8", "replace")
        else:
            yield str(f), f.read_bytes().decode("utf-8", "replace")


def test_privacy_scan(study, first_run):
    """No NIP and no name of the raw export appears in any file a run wrote."""
    assert study["nips"] and study["names"]
    n_files = 0
    for where, text in _texts(Path(first_run["out"])):
        n_files += 1
        digits = set(re.findall(r"(?<!\d)\d{18}(?!\d)|(?<!\d)\d{9}(?!\d)", text))
        leaked = digits & study["nips"]
        assert not leaked, f"{where} carries NIPs {sorted(leaked)[:3]}"
        named = [n for n in study["names"] if n in text]
        assert not named, f"{where} carries names {named[:3]}"
    assert n_files >= 3 * 3 + 4


def test_control_pools_prefer_the_region():
    from types import SimpleNamespace

    units = pd.DataFrame({"unit": [f"c{i}" for i in range(12)] + ["a", "b", "p1", "p2"],
                          "region": ["Aceh"] * 10 + ["Riau"] * 2 + ["Aceh", "Riau", "Aceh", "Riau"],
                          "first_treated_idx": [0] * 12 + [3, 3, 0, 0]})
    pools = runner.control_pools(SimpleNamespace(units=units), ["a", "b"])
    aceh = [f"c{i}" for i in range(10)] + ["p1"]
    assert pools["a"] == aceh  # 11 never-treated units in Aceh: enough
    assert sorted(pools["b"]) == sorted(aceh + ["c10", "c11", "p2"])  # 3 in Riau: every control


def test_control_pools_take_later_waves_when_no_unit_stays_out():
    """No never-treated unit: each unit's partition holds the later waves, which are its controls
    until they start, so its page measures it as the whole study does (pilot.control_window)."""
    from types import SimpleNamespace

    from evaltools import report
    from evaltools.report._examples import example_study
    from evaltools.report.impact import pooled_tests

    units = pd.DataFrame({"unit": ["w1", "w2a", "w2b", "w3", "n"], "region": "Aceh",
                          "first_treated_idx": [2, 3, 3, 4, 0]})
    pools = runner.control_pools(SimpleNamespace(units=units), ["w1", "w2a", "w3"])
    assert pools == {"w1": ["n", "w2a", "w2b", "w3"], "w2a": ["n", "w3"], "w3": ["n"]}
    two = units.assign(first_treated_idx=[2, 3, 3, 0, 0])
    assert runner.control_pools(SimpleNamespace(units=two), ["w1"]) == {"w1": ["w3", "n"]}

    st = example_study(seed=3, n_units=9, subjects_per_unit=(12, 14), control_share=0.0)
    early = st.units.sort_values("first_treated_idx")["unit"].astype(str).iloc[0]
    pool = st.control_pools([early])[early]
    assert pool and len(pool) == int((st.units["first_treated_idx"] > st.units.set_index("unit").loc[
        early, "first_treated_idx"]).sum())
    whole = report.impact(st, early, lang="en").results["outcomes"]
    part = report.impact(st.subset([early, *pool]), early, lang="en",
                         pooled=pooled_tests(st)).results["outcomes"]
    for oc, e in whole.items():
        assert e["post_periods"] is not None and part[oc]["post_periods"] == e["post_periods"]
        assert part[oc]["effect"] == pytest.approx(e["effect"], rel=1e-12)


def test_safe_name():
    assert runner.safe_name("Dinas_Kesehatan") == "Dinas_Kesehatan"
    for bad in ["../etc/passwd", "a/b", "a\\b", "<b>x</b>", '"q"', ".hidden", "..", "", "con", "Dinas Kesehatan"]:
        s = runner.safe_name(bad)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", s), s
        assert ".." not in s
    # names that slug alike stay apart
    assert runner.safe_name("A/B") != runner.safe_name("A_B") != runner.safe_name("A B")


def test_kernel_start_is_retried_once(monkeypatch):
    """A kernel that fails to start (e.g. two kernels racing for an address) is started again once."""
    from jupyter_client import manager
    from jupyter_core.utils import run_sync

    calls = {"n": 0}

    class Flaky(manager.AsyncKernelManager):
        async def start_kernel(self, **kw):
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("Address already in use")
            return await super().start_kernel(**kw)

    monkeypatch.setattr(manager, "AsyncKernelManager", Flaky)
    km, kc = runner._start_kernel("python3", 60, None)
    try:
        assert calls["n"] == 2 and run_sync(km.is_alive)()
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def test_kernel_runs_single_threaded_blas_unless_the_user_says_otherwise(monkeypatch):
    """Parallel units, not BLAS threads, use the cores: a report kernel gets one math thread;
    a value exported by the user is kept."""
    from jupyter_core.utils import run_sync

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    env = runner._kernel_env()
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == "3"
    km, kc = runner._start_kernel("python3", 60, None)
    try:
        msg_id = kc.execute("import os; print(os.environ.get('OPENBLAS_NUM_THREADS'), "
                            "os.environ.get('OMP_NUM_THREADS'))")
        out = ""
        while True:
            m = run_sync(kc.get_iopub_msg)(timeout=30)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "stream":
                out += m["content"]["text"]
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        assert out.split() == ["1", "3"]
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def test_kernel_start_gives_up_after_two_failures(monkeypatch):
    from jupyter_client import manager

    class Broken(manager.AsyncKernelManager):
        async def start_kernel(self, **kw):
            raise RuntimeError("Address already in use")

    monkeypatch.setattr(manager, "AsyncKernelManager", Broken)
    with pytest.raises(RuntimeError, match="failed to start twice.*Address already in use"):
        runner._start_kernel("python3", 60, None)


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "x.json"
    runner.atomic_write(p, "lama")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(runner.os, "replace", boom)
    with pytest.raises(OSError):
        runner.atomic_write(p, "baru")
    assert p.read_text() == "lama"
    assert [f.name for f in tmp_path.iterdir()] == ["x.json"]


def test_unit_pages_pool_with_every_pilot_unit(study, first_run):
    """A unit's partition holds only itself and its controls; its page must still show its effect
    pooled with all pilot units (Knapp-Hartung REML, ``pilot.pooled_unit_effects``), the same
    numbers ``report.unit_sections`` gives on the whole study in one process."""
    import evaltools

    st = evaltools.load_study(study["path"])
    th = report.thresholds(st.config)
    run_dir = first_run["res"].run_dir
    man = json.loads((run_dir / "manifest.json").read_text())
    for u in _pilots(study):
        rec = json.loads((run_dir / "units" / f"{man['units'][u]['file']}.json").read_text())
        whole = report.unit_sections(st, u, thresholds=th)["impact"].results["outcomes"]
        for oc, e in rec["impact"]["outcomes"].items():
            for k in ("eb_effect", "eb_ci_low", "eb_ci_high", "pooled_effect", "effect", "mde"):
                assert e[k] == pytest.approx(whole[oc][k], rel=1e-9, abs=1e-12), (u, oc, k)
            # shrinkage toward the others: not the unit's own estimate (what pooling with itself gave)
            assert e["eb_effect"] != pytest.approx(e["effect"], rel=1e-9)
    assert set(man["timings"]) == {"load", "pooled", "partition", "units", "briefing", "summary"}


def test_pool_executor_submits_tasks_as_they_are_made(tmp_path):
    """The runner hands the executors a generator: the first tasks run while later ones are made."""
    from concurrent.futures import Future, ProcessPoolExecutor

    from evaltools import _executors

    started = []

    class FakePool(ProcessPoolExecutor):
        def __init__(self):  # no processes: each task "runs" as it is submitted
            pass

        def submit(self, fn, *a, **k):
            started.append(a[0].unit)
            fut = Future()
            fut.set_result({"unit": a[0].unit, "status": "ok", "duration": 0.0, "error": ""})
            return fut

    made, done = [], []

    def tasks():
        for i in range(4):
            made.append(i)
            # by the time task i is made, every earlier task has been submitted
            assert started == [f"u{j}" for j in range(i)]
            yield runner.UnitTask(unit=f"u{i}", safe=f"u{i}", notebook="", parameters={}, units_dir=str(tmp_path),
                                  work_dir=str(tmp_path))

    _executors.EXECUTORS["local"](tasks(), lambda t, res: done.append(t.unit), 2, FakePool())
    assert made == [0, 1, 2, 3] and sorted(done) == ["u0", "u1", "u2", "u3"]


def test_partition_writer_writes_what_study_save_writes(tmp_path):
    # the runner's fast partitions (Arrow tables converted once, rows taken by mask) load back
    # as the slow path's Study.subset + _restrict + save do, and hash by content only
    import hashlib

    from evaltools.data import PartitionWriter, load_study

    st = load_study(Path(__file__).resolve().parents[1] / "data" / "sample")
    u = st.pilot_units[2]
    pool = st.control_pools([u])[u]
    mine = st.ratings[st.ratings["unit"].astype(str) == u]
    slow = load_study(runner._restrict(st, u, runner._partition_ratings(st, mine), pool).save(tmp_path / "slow"))
    w = PartitionWriter(st)
    tabs = w.tables(runner._partition_ratings(st, mine), keep=[u, *pool])
    fast = load_study(w.write(tabs, tmp_path / "fast"))
    for name in ("ratings", "units", "outcomes"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name))
    assert (tmp_path / "fast" / "study.json").read_text() == (tmp_path / "slow" / "study.json").read_text()
    digests = []
    for _ in range(2):
        h = hashlib.sha256()
        PartitionWriter.digest(h, w.tables(runner._partition_ratings(st, mine), keep=[*pool, u]).values())
        digests.append(h.hexdigest())
    other = st.ratings[st.ratings["unit"].astype(str) == st.pilot_units[3]]
    h = hashlib.sha256()
    PartitionWriter.digest(h, w.tables(runner._partition_ratings(st, other), keep=[u, *pool]).values())
    assert digests[0] == digests[1] != h.hexdigest()


def test_unit_ratings_are_each_units_own_whatever_the_others_hold():
    # the runner converts the study's ratings to Arrow once and takes each unit's rows from it:
    # the same frame as converting the unit's own rows (categories pruned, pandas' code widths),
    # and the same bytes (so the same input hash) when other units' records change
    import hashlib

    from evaltools.data import PartitionWriter, load_study

    st = load_study(Path(__file__).resolve().parents[1] / "data" / "sample")
    w = PartitionWriter(st)
    units = st.pilot_units
    cols = runner._partition_columns(st, st.ratings)
    got = dict(w.unit_ratings(cols, [*units, "not a unit"]))
    for u in units:
        want = runner._partition_ratings(st, st.ratings[st.ratings["unit"].astype(str) == u]).reset_index(drop=True)
        have = got[u].to_pandas()
        pd.testing.assert_frame_equal(have, want)
        for c in want.columns:
            if isinstance(want[c].dtype, pd.CategoricalDtype):
                assert have[c].cat.codes.dtype == want[c].cat.codes.dtype, c
    assert got["not a unit"].num_rows == 0 and got["not a unit"].schema == got[units[0]].schema

    def digest(tab) -> str:
        h = hashlib.sha256()
        PartitionWriter.digest(h, [tab])
        return h.hexdigest()

    u, v = units[0], units[1]
    others = cols[cols["unit"].astype(str) != v]
    others = others.assign(**{c: others[c].cat.remove_unused_categories() for c in ("subject", "rater", "unit")})
    assert digest(dict(w.unit_ratings(others, [u]))[u]) == digest(got[u])


def test_pool_workers_get_the_callers_environment_of_the_moment(monkeypatch):
    """Local pool workers are forked from one server per process, started with the first pool:
    a later pool's workers must still see the environment the caller has now (a key, a thread
    setting), as spawned workers would."""
    from evaltools import _executors

    monkeypatch.delenv("EVALTOOLS_POOL_PROBE", raising=False)
    pool = _executors.start_pool(1, engine="fresh")
    try:
        assert pool.submit(os.getenv, "EVALTOOLS_POOL_PROBE").result(timeout=120) is None
    finally:
        pool.shutdown()
    monkeypatch.setenv("EVALTOOLS_POOL_PROBE", "now")
    pool = _executors.start_pool(1, engine="fresh")
    try:
        assert pool.submit(os.getenv, "EVALTOOLS_POOL_PROBE").result(timeout=120) == "now"
    finally:
        pool.shutdown()
