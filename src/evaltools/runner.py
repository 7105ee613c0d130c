"""Run the per-unit reports and the policy briefing for a study.

``run()`` loads and validates a study once, writes one Parquet partition per pilot unit
(its own ratings and outcome panel plus the control pool the impact section needs, and its
rows of the study's pooled unit effects, computed once), executes
``notebooks/unit_report.ipynb`` per unit with papermill as soon as its partition is
written, renders each executed notebook to HTML without code, and finally executes the
briefing over every unit's recorded results. Everything lands under ``<out>/<run-id>/``::

    units/<file>.ipynb, .html, .json   (+ .log for a unit that failed)
    inputs/<file>/                     each unit's pseudonymized input partition
    briefing.ipynb, briefing.html
    summary.xlsx
    manifest.json

(the layout and what it keeps: :mod:`evaltools._runfolder`). The run holds a lock on its
folder; a second run into the same folder stops and names the first.

Executors and kernel engines are small registries (:data:`EXECUTORS` in
:mod:`evaltools._executors`, papermill engines ``evaltools-fresh`` / ``evaltools-warm`` in
:mod:`evaltools._kernels`) rather than ``if`` chains:

* ``local``: a process pool (``jobs`` workers, default = cores) whose kernels start while
  the study loads; ``jobs=1`` runs in-process.
* ``dask``: the same task function submitted to a Dask distributed scheduler.
* ``fresh`` / ``warm`` engines: one kernel per notebook, or one reset kernel per worker.

Resumability: each unit's manifest entry stores the hash of its inputs (its partition,
parameters and thresholds) and of the code (notebook template and library sources); a
unit is skipped when both are unchanged and its outputs exist. Every file is written to a
temporary name and moved into place with ``os.replace``, so an interrupted run leaves
either the old or the new file, never half of one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from evaltools import _runfolder as rf
from evaltools._executors import (EXECUTORS, Progress, SchedulerUnreachable, UnitTask, connect, execute_unit, start_pool,
                                  warm_dask)
from evaltools._io import atomic_write
from evaltools._kernels import kernel_env, register_engines, shutdown_warm, start_kernel
from evaltools._runfolder import RunLocked, safe_name, unit_file_names
from evaltools.data import PartitionWriter, Study, load_study
from evaltools.report import thresholds as report_thresholds
from evaltools.report import write_summary
from evaltools.report.impact import pooled_tests
from evaltools.report.pages import export_html
from evaltools.report.records import read_manifest, write_manifest

__all__ = [
    "DEFAULT_NOTEBOOK",
    "BRIEFING_NOTEBOOK",
    "ENGINES",
    "EXECUTORS",
    "RunLocked",
    "RunResult",
    "SchedulerUnreachable",
    "UnitTask",
    "atomic_write",
    "code_hash",
    "control_pools",
    "execute_unit",
    "export_html",
    "run",
    "safe_name",
    "unit_file_names",
]

# kernel engines live in evaltools._kernels and the executors in evaltools._executors; the
# old private names stay importable from here
_register_engines = register_engines
_start_kernel = start_kernel
_kernel_env = kernel_env
_shutdown_warm = shutdown_warm
_Progress = Progress

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _find_notebook(name: str) -> Path:
    # source checkout first (notebooks/ at the repo root), then a copy shipped as package data
    for cand in (_REPO_ROOT / "notebooks" / name, Path(__file__).resolve().parent / "notebooks" / name):
        if cand.exists():
            return cand
    return _REPO_ROOT / "notebooks" / name


DEFAULT_NOTEBOOK = _find_notebook("unit_report.ipynb")
BRIEFING_NOTEBOOK = _find_notebook("briefing.ipynb")

ENGINES = ("warm", "fresh")

# ---------------------------------------------------------------------------------------
# file names and atomic writes
# ---------------------------------------------------------------------------------------

def _inside(path: Path, root: Path) -> Path:
    path = path.resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside {root}: {path}")
    return path


# ---------------------------------------------------------------------------------------
# hashes
# ---------------------------------------------------------------------------------------

def code_hash(notebook: str | os.PathLike | None = None) -> str:
    """SHA-256 of the notebook template and every ``evaltools`` source file.

    A change to the library or to the template reruns every unit; a change to one unit's
    data reruns that unit only (see the input hash).
    """
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    files = sorted(pkg.rglob("*.py"))
    if notebook is not None:
        files.append(Path(notebook))
    for f in files:
        h.update(str(f.relative_to(pkg) if f.is_relative_to(pkg) else f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _input_hash(tables: Sequence[Any], params: Mapping[str, Any]) -> str:
    """What a unit's notebook reads: its Arrow tables (as the partition writer holds them) and
    its parameters other than paths."""
    h = hashlib.sha256()
    PartitionWriter.digest(h, tables)
    # paths differ between runs (temporary partition folders) and say nothing about content
    stable = {k: v for k, v in params.items() if not k.endswith("_path") and k != "run_dir"}
    h.update(json.dumps(stable, sort_keys=True, default=str).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class RunResult:
    """What a run produced. ``failed`` names the units whose notebook failed."""

    run_dir: Path
    manifest: dict
    executed: list[str]
    skipped: list[str]
    failed: list[str]
    briefing_ok: bool
    #: notes on what the run tidied: reports of units that left the study, a killed run's leftovers
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and self.briefing_ok


def _library_version() -> str:
    try:
        from evaltools import __version__

        return str(__version__)
    except Exception:
        return "unknown"


def _scale_info(scale: Any) -> dict:
    out = {}
    for k in ("kind", "min", "max", "levels", "categories"):
        v = getattr(scale, k, None)
        if v is None and isinstance(scale, Mapping):
            v = scale.get(k)
        if v is not None:
            out[k] = list(v) if isinstance(v, (list, tuple)) else v
    return out


def study_meta(study: Any) -> dict:
    """The study-level facts a notebook needs, as plain JSON-ready data."""
    cfg = getattr(study, "config", {}) or {}
    name = (cfg.get("study", {}) or {}).get("name") or getattr(study, "name", "") or ""
    return {
        "study_name": str(name),
        "periods": [str(p) for p in getattr(study, "periods", [])],
        "roles": [str(r) for r in getattr(study, "roles", [])],
        "scales": {str(k): _scale_info(v) for k, v in (getattr(study, "scales", {}) or {}).items()},
        "outcome_info": {str(k): dict(v) for k, v in (getattr(study, "outcome_info", {}) or {}).items()},
    }


def pilot_units(study: Any) -> list[str]:
    """Deprecated alias of :attr:`evaltools.Study.pilot_units` (the one definition)."""
    return Study.pilot_units.fget(study)


#: a unit's control pool is its own region's never-treated units when there are at least this
#: many, otherwise every never-treated unit
MIN_REGIONAL_CONTROLS = 10


def control_pools(study: Any, units: Sequence[str], *, min_regional: int = MIN_REGIONAL_CONTROLS) -> dict:
    """Deprecated alias of :meth:`evaltools.Study.control_pools` (the one definition)."""
    return Study.control_pools(study, units, min_regional=min_regional)


def _restrict(study: Any, unit: str | None, ratings: Any, controls: Sequence[str]) -> Any:
    """The study as one unit's notebook needs it: its own ratings, and the outcomes and
    units rows of itself plus the never-treated control pool (unit-period aggregates)."""
    keep = set(controls) | ({unit} if unit is not None else set(study.units["unit"].astype(str)))
    return dataclasses.replace(
        study,
        ratings=ratings.reset_index(drop=True),
        units=study.units[study.units["unit"].astype(str).isin(keep)].reset_index(drop=True),
        outcomes=study.outcomes[study.outcomes["unit"].astype(str).isin(keep)].reset_index(drop=True),
    )


def _study_fingerprint(study: Any) -> dict:
    return {
        "periods": list(getattr(study, "periods", [])),
        "roles": list(getattr(study, "roles", [])),
        "scales": {k: _scale_info(v) for k, v in (getattr(study, "scales", {}) or {}).items()},
        "item_scales": dict(getattr(study, "item_scales", {}) or {}),
        "outcome_info": getattr(study, "outcome_info", {}),
        "config": getattr(study, "config", {}),
    }


def _default_run_id(study_path: Path, lang: str) -> str:
    # each language its own folder: an English run never replaces the Indonesian one
    name = study_path.resolve().name or "run"
    return name if lang == "id" else f"{name}-{lang}"


#: the ratings columns a partition carries: the data contract's, whatever else the input had
PARTITION_RATING_COLUMNS = ("period", "unit", "subject", "rater", "rater_role", "item", "score", "score_label")


def _partition_columns(st: Any, ratings: Any) -> Any:
    """The ratings columns a partition carries (:data:`PARTITION_RATING_COLUMNS`, mapped ones)."""
    mapped = set(((getattr(st, "config", {}) or {}).get("columns", {}) or {}).get("ratings", {}) or {})
    return ratings[[c for c in ratings.columns if c in PARTITION_RATING_COLUMNS or c in mapped]]


def _partition_ratings(st: Any, ratings: Any) -> Any:
    import pandas as pd

    out = _partition_columns(st, ratings)
    keep = list(out.columns)
    # a batch's categories name other units' raters and subjects too; a partition names its own
    cats = [c for c in keep if isinstance(out[c].dtype, pd.CategoricalDtype)]
    return out.assign(**{c: out[c].cat.remove_unused_categories() for c in cats}) if cats else out


#: seconds between two saves of the manifest while units finish (always saved at the end)
MANIFEST_EVERY = 2.0

#: units whose ratings a partitioned study loads at once: the runner never holds the national table
LOAD_BATCH = 200


def _ratings_dataset(study_path: Path) -> Path | None:
    """The ratings folder when the study gives its ratings as a partitioned Parquet dataset."""
    import tomllib

    toml = study_path / "study.toml" if study_path.is_dir() else study_path
    try:
        cfg = tomllib.loads(toml.read_text(encoding="utf-8"))
        path = toml.parent / str(cfg["files"]["ratings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a study.toml folder (a partition); load_study says what is wrong, if anything
    return path if path.is_dir() else None


def _dataset_units(path: Path) -> list[str]:
    from urllib.parse import unquote

    # hive layout: one <unit column>=<unit> folder per unit, the value URI-encoded
    return sorted(unquote(d.name.split("=", 1)[1]) for d in path.iterdir() if d.is_dir() and "=" in d.name)


def _unit_ratings(st: Any, study_path: Path, selected: Sequence[str], partitioned: bool, writer: PartitionWriter):
    """(unit, its partition's ratings as an Arrow table) for each selected unit, converted from
    pandas once per study (:meth:`PartitionWriter.unit_ratings`); a partitioned study is read a
    batch of units at a time."""
    if not partitioned:
        yield from writer.unit_ratings(_partition_columns(st, st.ratings), selected)
        return
    for i in range(0, len(selected), LOAD_BATCH):
        batch = list(selected[i:i + LOAD_BATCH])
        yield from writer.unit_ratings(_partition_columns(st, load_study(study_path, units=batch).ratings), batch)


#: a unit partition's rows of the whole study's ``report.impact.pooled_tests`` (beside its study.json)
POOLED_FILE = "pooled.parquet"


@contextlib.contextmanager
def _one_arrow_thread():
    """pyarrow converts a DataFrame on a thread pool of ``pyarrow.cpu_count()`` threads when it
    has many rows; for a unit's small partition, written while the workers hold the cores,
    handing the columns to threads costs more than converting them (a third of the time)."""
    import pyarrow as pa

    before = pa.cpu_count()
    pa.set_cpu_count(1)
    try:
        yield
    finally:
        pa.set_cpu_count(before)


def _write_unit_partition(writer: PartitionWriter, tables: dict, path: Path, pooled: Any = None) -> None:
    with _one_arrow_thread():
        writer.write(tables, path, extra=None if pooled is None else {POOLED_FILE: pooled})
    rf.share_tree(path)


def run(
    study: str | os.PathLike = "data/sample",
    out: str | os.PathLike = "reports",
    *,
    units: Iterable[str] | None = None,
    jobs: int | None = None,
    scheduler: str | Any | None = None,
    lang: str = "id",
    force: bool = False,
    engine: str = "warm",
    run_id: str | None = None,
    notebook: str | os.PathLike | None = None,
    briefing: bool = True,
    progress: bool = True,
    timeout: float | None = 1800.0,
    kernel_name: str = "python3",
) -> RunResult:
    """Produce every pilot unit's report and the briefing for the study at ``study``.

    Parameters
    ----------
    study : path
        Study folder (``study.toml`` + tables), read once with :func:`evaltools.load_study`.
    out : path
        Reports root; the run writes under ``out/<run_id>/``.
    units : iterable of str, optional
        Only these pilot units (default: every unit whose pilot has started).
    jobs : int, optional
        Local worker processes (default: CPU count); 1 runs in this process. The workers
        start their kernels while the study is loaded.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``tcp://host:port``) or client: run the units there. An
        address that does not answer raises :class:`SchedulerUnreachable` before anything
        is written.
    lang : {"id", "en"}
        Report language.
    force : bool
        Redo units even when their inputs and code are unchanged.
    engine : {"warm", "fresh"}
        Kernel reuse per worker (warm) or one kernel per notebook (fresh).
    run_id : str, optional
        Folder name under ``out`` (default: the study folder's name, plus ``-en`` for an
        English run, so a rerun resumes and each language keeps its own folder).
    notebook : path, optional
        Unit notebook template (default: ``notebooks/unit_report.ipynb``).

    Returns
    -------
    RunResult
        ``failed`` lists units whose notebook raised; ``ok`` is False if any failed.

    Raises
    ------
    RunLocked
        Another run holds the run folder (the message names it).
    SchedulerUnreachable
        ``scheduler`` did not answer.

    Notes
    -----
    The run folder's layout and what it keeps are described in :mod:`evaltools._runfolder`.
    A unit is redone when its inputs, the code or the notebook template changed, or when
    its recorded JSON is missing, does not parse or does not match the hash the manifest
    holds for it. Reports of units that are no longer pilot units of the study are moved
    to ``archive/`` (noted in ``RunResult.notes`` and the manifest), so the briefing covers
    exactly the current study.

    Examples
    --------
    >>> run("data/sample", lang="fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be 'id' or 'en', got 'fr'
    """
    if lang not in ("id", "en"):
        raise ValueError(f"lang must be 'id' or 'en', got {lang!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    study_path = Path(study)
    out_root = Path(out)
    out_root.mkdir(parents=True, exist_ok=True)
    run_dir = _inside(out_root / safe_name(run_id or _default_run_id(study_path, lang)), out_root)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    opts = dict(units=units, jobs=jobs, scheduler=scheduler, lang=lang, force=force, engine=engine,
                notebook=notebook, briefing=briefing, progress=progress, timeout=timeout, kernel_name=kernel_name)
    try:
        with rf.run_lock(run_dir):
            return _run_locked(study_path, run_dir, **opts)
    except BaseException:
        if created:  # a run that stopped before writing anything leaves no empty folder
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise


def _run_locked(study_path: Path, run_dir: Path, *, units, jobs, scheduler, lang, force, engine, notebook,
                briefing, progress, timeout, kernel_name) -> RunResult:
    notes: list[str] = []
    if rf.clear_stale_work(run_dir):
        notes.append("removed the temporary files of an earlier run that did not finish (.work/)")
    for stale in [*run_dir.glob("units/.*.tmp*"), *run_dir.glob(".*.tmp*")]:
        with contextlib.suppress(OSError):  # temporary files of a run that was killed mid-write
            stale.unlink()
    # the scheduler is asked first: one that does not answer leaves the run folder as it was
    client = connect(scheduler) if scheduler is not None else None
    n_jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    # Dask workers start their kernels now too (kept referenced until the run ends)
    warmups = warm_dask(client, kernel_name, engine) if client is not None else []
    # local workers start their kernels now, while this process loads and partitions the study
    pool = start_pool(n_jobs, kernel_name, engine) if client is None and n_jobs > 1 else None
    try:
        res = _execute(study_path, run_dir, notes, client if client is not None else pool, units=units,
                       n_jobs=n_jobs, lang=lang, force=force, engine=engine, notebook=notebook, briefing=briefing,
                       progress=progress, timeout=timeout, kernel_name=kernel_name)
    except BaseException:
        if pool is not None:  # a study that does not load need not wait for the kernels
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        del warmups
        if client is not None and client is not scheduler:
            client.close()
    return res


def _execute(study_path: Path, run_dir: Path, notes: list[str], executor_arg: Any, *, units, n_jobs, lang, force,
             engine, notebook, briefing, progress, timeout, kernel_name) -> RunResult:
    # wall seconds of the run's phases in this process (manifest "timings"): what a slow run spent where
    timings = {"load": 0.0, "pooled": 0.0, "partition": 0.0, "units": 0.0, "briefing": 0.0, "summary": 0.0}
    t0 = time.perf_counter()
    dataset = _ratings_dataset(study_path)
    if dataset is None:
        st = load_study(study_path)
    else:  # units and outcomes whole, the ratings of a first batch of units only
        st = load_study(study_path, units=_dataset_units(dataset)[:LOAD_BATCH])
    meta = study_meta(st)
    thresholds = report_thresholds(getattr(st, "config", {}) or {})
    units_dir = run_dir / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    inputs_root = run_dir / rf.INPUTS
    work_root = run_dir / rf.WORK
    nb_path = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    chash = code_hash(nb_path)

    all_pilots = st.pilot_units
    if units is not None:
        wanted = [str(u) for u in units]
        unknown = [u for u in wanted if u not in all_pilots]
        if unknown:
            known = set(st.units["unit"].astype(str))
            why = ["not a pilot unit" if u in known else "not in the study" for u in unknown]
            raise ValueError("unknown unit(s): " + "; ".join(f"{u!r} ({w})" for u, w in zip(unknown, why)))
        selected = list(dict.fromkeys(wanted))  # the caller's order, each unit once
    else:
        selected = all_pilots
    # file names from the study's whole unit list: a unit keeps its name whatever is selected
    stems = unit_file_names(st.units["unit"].astype(str))
    safe_of = {u: stems[u] for u in selected}
    pools = st.control_pools(selected, min_regional=MIN_REGIONAL_CONTROLS)
    notes += rf.archive_stale(run_dir, keep={stems[u] for u in all_pilots})
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # each unit's effect is pooled with every other pilot unit's: one pass over the whole
    # study's panel here, each unit's notebook reads its own rows (its partition has no others)
    pooled = pooled_tests(st, alpha=0.05, power=thresholds["mde_power"])
    pooled_of = {str(k): g.reset_index(drop=True) for k, g in pooled.groupby(pooled["unit"].astype(str), sort=False)}
    timings["pooled"] = time.perf_counter() - t0

    old = read_manifest(run_dir)
    old_units = old.get("units", {}) or {}
    manifest = {
        "run_id": run_dir.name,
        "study": meta["study_name"],
        "library_version": _library_version(),
        "code_hash": chash,
        "lang": lang,
        "engine": engine,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "units": {},
        "notes": notes,
    }
    pilots = set(all_pilots)
    for u in selected:  # keep earlier entries of the selected units until they are redone
        if u in old_units:
            manifest["units"][u] = old_units[u]
    for u, entry in old_units.items():  # and of pilot units not selected this time
        if u in pilots:
            manifest["units"].setdefault(u, entry)

    lock = threading.Lock()
    last_save = [0.0]

    def save_manifest(every: float = 0.0) -> None:
        # a unit's result is saved at most every `every` seconds (rewriting the whole manifest
        # after each of thousands of units costs the parent more than a unit does); the run
        # saves it again at its end, and a unit missing from a killed run's manifest reruns
        with lock:
            now = time.monotonic()
            if every and now - last_save[0] < every:
                return
            write_manifest(run_dir, manifest)
            last_save[0] = time.monotonic()

    fingerprint = _study_fingerprint(st)
    writer = PartitionWriter(st)
    work = work_root / f"run-{os.getpid()}-{time.time_ns()}"
    stage = work / "stage"
    skipped: list[str] = []
    executed: list[str] = []
    failed_all: list[str] = []
    briefing_ok = False
    try:
        bar = Progress(len(selected), progress, lang)
        failed: list[str] = []

        def make_tasks():
            """One task per unit to (re)do, made as its partition is written: the executor
            submits each at once, so the workers start on the first units while the later
            ones are partitioned."""
            import pyarrow as pa

            t_part = time.perf_counter()
            for u, ratings in _unit_ratings(st, study_path, selected, dataset is not None, writer):
                with _one_arrow_thread():
                    tables = writer.tables(ratings, keep=[u, *pools[u]])
                    mine = pooled_of.get(u, pooled.iloc[0:0])
                    mine_t = pa.Table.from_pandas(mine, preserve_index=False)
                s = safe_of[u]
                # paths relative to units/, where the published notebook lives and its kernel runs
                params = {"unit": u, "lang": lang, "thresholds": thresholds, "run_dir": "..",
                          "study_path": f"../{rf.INPUTS}/{s}",
                          "pooled_path": f"../{rf.INPUTS}/{s}/{POOLED_FILE}",
                          "record_path": f"../{rf.WORK}/{work.name}/stage/{s}.json"}
                ihash = _input_hash([*tables.values(), mine_t], {**params, "study": fingerprint})
                prev = manifest["units"].get(u, {})
                part = inputs_root / s
                outputs_exist = all((units_dir / f"{s}.{ext}").exists() for ext in ("ipynb", "html"))
                if (not force and prev.get("status") == "ok" and prev.get("input_hash") == ihash
                        and prev.get("code_hash") == chash and outputs_exist
                        and rf.record_intact(units_dir / f"{s}.json", u, prev.get("record_hash"))):
                    if not (part / "study.json").exists() or not (part / POOLED_FILE).exists():
                        _write_unit_partition(writer, tables, part, mine_t)  # the notebook's input, kept beside it
                    skipped.append(u)
                    bar.skip()
                    continue
                _write_unit_partition(writer, tables, part, mine_t)
                timings["partition"] += time.perf_counter() - t_part
                with lock:
                    manifest["units"][u] = {"file": s, "status": "pending", "input_hash": ihash, "code_hash": chash,
                                            "duration": None, "error": "",
                                            "library_version": manifest["library_version"]}
                yield UnitTask(unit=u, safe=s, notebook=str(nb_path), parameters=params, units_dir=str(units_dir),
                               work_dir=str(units_dir), stage_dir=str(stage), engine=engine,
                               kernel_name=kernel_name, timeout=timeout, title=u)
                t_part = time.perf_counter()
            timings["partition"] += time.perf_counter() - t_part
            save_manifest()

        def on_done(t: UnitTask, res: dict) -> None:
            fields = {k: v for k, v in res.items() if k != "unit"}
            if t.kind == "briefing":
                manifest["briefing"].update(fields)
                save_manifest()
                return
            entry = manifest["units"][t.unit]
            for k in ("error_summary", "log", "record_hash"):
                entry.pop(k, None)
            entry.update(fields, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            if res["status"] == "ok":
                with contextlib.suppress(OSError):
                    entry["record_hash"] = rf.file_digest(units_dir / f"{t.safe}.json")
            executed.append(t.unit)
            if res["status"] != "ok":
                failed.append(t.unit)
            save_manifest(every=MANIFEST_EVERY)
            bar.update(res["status"] == "ok")

        bhash = code_hash(BRIEFING_NOTEBOOK)
        prev_b = old.get("briefing") or {}

        def then() -> UnitTask | None:
            timings["units"] = time.perf_counter() - t_exec
            save_manifest()
            bar.close()
            if not briefing:
                return None
            unchanged = (not executed and not notes and prev_b.get("status") == "ok"
                         and prev_b.get("code_hash") == bhash and prev_b.get("units") == list(selected)
                         and old.get("lang") == lang and (run_dir / "briefing.html").exists())
            if unchanged and not force:
                manifest["briefing"] = prev_b  # nothing it reads has changed
                return None
            manifest["briefing"] = {"status": "pending", "code_hash": bhash, "units": list(selected)}
            return _briefing_task(st, writer, meta, thresholds, run_dir, work, lang, engine, kernel_name, timeout,
                                  selected)

        executor = "local" if executor_arg is None or isinstance(executor_arg, ProcessPoolExecutor) else "dask"
        try:
            t_exec = time.perf_counter()
            EXECUTORS[executor](make_tasks(), on_done, n_jobs, executor_arg, then)
            # units (partitioning overlapping them) then the briefing
            timings["briefing"] = max(time.perf_counter() - t_exec - timings["units"], 0.0) if briefing else 0.0
        finally:
            bar.close()
        # units that were skipped earlier but failed then stay failed in the briefing
        failed_all = [u for u in selected if manifest["units"].get(u, {}).get("status") == "failed"]
        briefing_ok = (manifest.get("briefing") or {}).get("status") == "ok" if briefing else True
        # the briefing's own record only marks that it finished; keep the run folder tidy
        with contextlib.suppress(FileNotFoundError):
            (run_dir / "briefing.json").unlink()
        t0 = time.perf_counter()
        _write_summary(run_dir, lang, thresholds)
        timings["summary"] = time.perf_counter() - t0
        manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
        manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        save_manifest()
    finally:
        shutdown_warm()  # this process's kernel, if any; pool workers stop theirs at exit
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work_root.rmdir()
    return RunResult(run_dir=run_dir, manifest=manifest, executed=executed, skipped=skipped,
                     failed=failed_all, briefing_ok=briefing_ok, notes=list(notes))


def _write_summary(run_dir: Path, lang: str, thresholds: Mapping[str, Any]) -> None:
    import inspect

    # the study's small-cell rule applies to summary.xlsx too (issue 12.2), where write_summary takes it
    kw = {"min_cell": thresholds["min_cell"]} if ("min_cell" in thresholds and "min_cell" in
                                                  inspect.signature(write_summary).parameters) else {}
    write_summary(run_dir, lang=lang, **kw)


def _briefing_task(st: Any, writer: PartitionWriter, meta: dict, thresholds: dict, run_dir: Path, work: Path,
                   lang: str, engine: str, kernel_name: str, timeout: float | None,
                   selected: Sequence[str]) -> UnitTask:
    """The briefing over the collected unit records, as one more task for the executor."""
    part = run_dir / rf.INPUTS / rf.STUDY_INPUT
    # the whole study without its ratings: unit-period aggregates only, no individual rows
    with _one_arrow_thread():
        tables = writer.tables(st.ratings.iloc[0:0], keep=st.units["unit"].astype(str))
    _write_unit_partition(writer, tables, part)
    # relative to the run folder, where briefing.ipynb lives and its kernel runs
    params = {"run_dir": ".", "lang": lang, "thresholds": thresholds, "study_path": f"{rf.INPUTS}/{rf.STUDY_INPUT}",
              "units": list(selected), "record_path": f"{rf.WORK}/{work.name}/stage/briefing.json"}
    return UnitTask(unit="briefing", safe="briefing", notebook=str(BRIEFING_NOTEBOOK), parameters=params,
                    units_dir=str(run_dir), work_dir=str(run_dir), stage_dir=str(work / "stage"), engine=engine,
                    kernel_name=kernel_name, timeout=timeout, title=meta.get("study_name") or "Briefing",
                    kind="briefing")
