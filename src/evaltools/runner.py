"""Run the per-unit reports and the policy briefing for a study.

``run()`` loads and validates a study once, writes one Parquet partition per pilot unit
(its own ratings and outcome panel plus the control pool the impact section needs),
executes ``notebooks/unit_report.ipynb`` per unit with papermill, renders each executed
notebook to HTML without code, and finally executes the briefing over every unit's
recorded results. Everything lands under ``<out>/<run-id>/``::

    units/<safe-unit>.ipynb, .html, .json
    briefing.ipynb, briefing.html
    summary.xlsx
    manifest.json

Executors and kernel engines are small registries (``EXECUTORS``, papermill engines
``evaltools-fresh`` / ``evaltools-warm``) rather than ``if`` chains:

* ``local``: a process pool (``jobs`` workers, default = cores); ``jobs=1`` runs in-process.
* ``dask``: the same task function submitted to a Dask distributed scheduler.
* ``fresh`` / ``warm`` engines: one kernel per notebook, or one reset kernel per worker
  (:mod:`evaltools._kernels`).

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
import re
import shutil
import sys
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evaltools._io import atomic_write
from evaltools._kernels import kernel_env, register_engines, shutdown_warm, start_kernel
from evaltools.data import Study, load_study
from evaltools.report import thresholds as report_thresholds
from evaltools.report import write_summary
from evaltools.report.pages import export_html
from evaltools.report.records import read_manifest, write_failed_record, write_manifest

__all__ = [
    "DEFAULT_NOTEBOOK",
    "BRIEFING_NOTEBOOK",
    "ENGINES",
    "EXECUTORS",
    "RunResult",
    "UnitTask",
    "atomic_write",
    "code_hash",
    "control_pools",
    "execute_unit",
    "export_html",
    "run",
    "safe_name",
]

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

_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(name: str) -> str:
    """A file-name stem for ``name`` that cannot leave its folder or carry markup.

    Names made only of ASCII letters, digits, ``.``, ``_`` and ``-`` (not starting with a dot)
    are kept as they are; any other name becomes an ASCII slug plus the first 8 hex digits of
    the SHA-1 of the original, so two names that slug alike (``"A/B"``, ``"A_B"``) stay apart.

    Examples
    --------
    >>> safe_name("Dinas_Sosial"), safe_name("Dinas Sosial (Kota)")
    ('Dinas_Sosial', 'Dinas_Sosial_Kota-7614883c')
    """
    name = str(name)
    if _SAFE_RE.match(name) and ".." not in name and name.lower() not in _WINDOWS_RESERVED:
        return name
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_")[:60] or "unit"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


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


def _frame_digest(h, df) -> None:
    import pandas as pd

    h.update(repr(list(df.columns)).encode())
    h.update(repr([str(t) for t in df.dtypes]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())


def _input_hash(frames: Sequence[Any], params: Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    for df in frames:
        _frame_digest(h, df)
    # paths differ between runs (temporary partition folders) and say nothing about content
    stable = {k: v for k, v in params.items() if not k.endswith("_path") and k != "run_dir"}
    h.update(json.dumps(stable, sort_keys=True, default=str).encode())
    return h.hexdigest()


# kernel engines live in evaltools._kernels; the old private names stay importable from here
_register_engines = register_engines
_start_kernel = start_kernel
_kernel_env = kernel_env
_shutdown_warm = shutdown_warm


# ---------------------------------------------------------------------------------------
# one unit
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class UnitTask:
    """Everything a worker needs to produce one unit's report (picklable, paths as str)."""

    unit: str
    safe: str
    notebook: str
    parameters: dict
    units_dir: str
    work_dir: str
    engine: str = "warm"
    kernel_name: str = "python3"
    timeout: float | None = 1800.0
    seed: int = 0
    title: str = ""
    kind: str = "unit"


def _error_tail(nb: Any, exc: BaseException, lines: int = 8) -> str:
    """The last lines of the error a notebook raised, without ANSI colour codes."""
    text = ""
    ename = getattr(exc, "ename", None)
    if ename:
        tb = getattr(exc, "traceback", None) or []
        text = "\n".join(tb) if isinstance(tb, list) else str(tb)
        last = f"{ename}: {getattr(exc, 'evalue', '')}"
        if last.strip() not in text:
            text += "\n" + last
    else:
        text = "".join(traceback.format_exception_only(type(exc), exc))
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    tail = [ln for ln in text.strip().splitlines() if ln.strip()]
    # the same final line can come twice (traceback + summary); keep one
    while len(tail) > 1 and tail[-1] == tail[-2]:
        tail.pop()
    return "\n".join(tail[-lines:])


def execute_unit(task: UnitTask) -> dict:
    """Execute one unit notebook and publish its .ipynb, .html and .json atomically.

    Returns a manifest entry: ``status`` ("ok" or "failed"), ``duration`` (s), ``error``
    (last lines of the error, empty when ok). Never raises for a failing notebook.
    """
    import nbformat
    import papermill as pm

    register_engines()
    t0 = time.perf_counter()
    units_dir = Path(task.units_dir)
    work = Path(task.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    staged_nb = work / f"{task.safe}.ipynb"
    staged_json = work / f"{task.safe}.json"
    params = dict(task.parameters)
    params["record_path"] = str(staged_json)
    status, error, nb = "ok", "", None
    with contextlib.suppress(FileNotFoundError):
        staged_json.unlink()
    try:
        nb = pm.execute_notebook(
            task.notebook, str(staged_nb), parameters=params, engine_name=f"evaltools-{task.engine}",
            kernel_name=task.kernel_name, progress_bar=False, log_output=False, report_mode=True,
            execution_timeout=task.timeout, kernel_cwd=str(work), seed=task.seed,
            # the runner publishes the notebook once, complete (papermill still writes it at the
            # end, or with the error when a cell fails)
            request_save_on_cell_execute=False,
        )
    except Exception as exc:  # the unit's failure is recorded; the run goes on
        status, error = "failed", _error_tail(nb, exc)
        if staged_nb.exists():
            with contextlib.suppress(Exception):
                nb = nbformat.read(str(staged_nb), as_version=4)
    out_nb = _inside(units_dir / f"{task.safe}.ipynb", units_dir)
    out_html = _inside(units_dir / f"{task.safe}.html", units_dir)
    out_json = _inside(units_dir / f"{task.safe}.json", units_dir)
    if status == "ok" and not staged_json.exists():
        status, error = "failed", "the notebook finished without recording its results (report.record)"
    if nb is not None:
        atomic_write(out_nb, nbformat.writes(nb))
        try:
            export_html(nb, out_html, title=task.title or task.unit)
        except Exception as exc:
            if status == "ok":
                status, error = "failed", "HTML export failed: " + _error_tail(None, exc)
    if status == "ok":
        os.replace(staged_json, out_json)
    else:
        write_failed_record(out_json, task.unit, error)
    with contextlib.suppress(FileNotFoundError):
        staged_nb.unlink()
    return {"unit": task.unit, "status": status, "duration": round(time.perf_counter() - t0, 3), "error": error}


# ---------------------------------------------------------------------------------------
# executors (registry): local process pool, in-process, Dask
# ---------------------------------------------------------------------------------------

OnDone = Callable[[UnitTask, dict], None]
Then = Callable[[], "UnitTask | None"]


def _failed_entry(task: UnitTask, exc: BaseException) -> dict:
    return {"unit": task.unit, "status": "failed", "duration": 0.0, "error": _error_tail(None, exc)}


def _run_inline(tasks: Sequence[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
                then: Then | None = None) -> None:
    for t in tasks:
        try:
            res = execute_unit(t)
        except Exception as exc:
            res = _failed_entry(t, exc)
        on_done(t, res)
    final = then() if then is not None else None
    if final is not None:
        try:
            res = execute_unit(final)
        except Exception as exc:
            res = _failed_entry(final, exc)
        on_done(final, res)


def _run_pool(tasks: Sequence[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
              then: Then | None = None) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    if jobs <= 1 or len(tasks) <= 1:
        return _run_inline(tasks, on_done, jobs, scheduler, then)
    # spawn: workers never inherit the parent's threads or zmq state
    ctx = mp.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx, initializer=_worker_init)

    def drain(pending: dict) -> None:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                t = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # a worker process that died
                    res = _failed_entry(t, exc)
                on_done(t, res)

    try:
        drain({pool.submit(execute_unit, t): t for t in tasks})
        # the follow-up (the briefing) runs in a worker whose kernel is already warm
        final = then() if then is not None else None
        if final is not None:
            drain({pool.submit(execute_unit, final): final})
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_init() -> None:
    import signal

    # Ctrl-C goes to the whole process group; the parent decides, workers just stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_dask(tasks: Sequence[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
              then: Then | None = None) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--scheduler needs the optional 'dask' extra: pip install 'evaltools[dask]'") from exc
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler

    def drain(batch: Sequence[UnitTask]) -> None:
        futs = {client.submit(execute_unit, t, pure=False, key=f"evaltools-{t.kind}-{t.safe}-{time.time_ns()}"): t
                for t in batch}
        for fut in as_completed(list(futs)):
            t = futs[fut]
            try:
                res = fut.result()
            except Exception as exc:
                res = _failed_entry(t, exc)
            on_done(t, res)

    try:
        drain(tasks)
        final = then() if then is not None else None
        if final is not None:
            drain([final])
    finally:
        if own:
            client.close()


EXECUTORS: dict[str, Callable[..., None]] = {
    "inline": _run_inline,
    "local": _run_pool,
    "dask": _run_dask,
}


# ---------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------

class _Progress:
    """Units done / failed / remaining and elapsed time, on stderr."""

    _WORDS = {"id": ("selesai", "gagal", "sisa"), "en": ("done", "failed", "remaining")}

    def __init__(self, total: int, enabled: bool, lang: str = "id"):
        self.words = self._WORDS.get(lang, self._WORDS["id"])
        self.total, self.done, self.failed = total, 0, 0
        self.t0 = time.perf_counter()
        self.bar = None
        if enabled and total:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="unit", file=sys.stderr, dynamic_ncols=True,
                                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}] {postfix}")
                self._post()
            except ImportError:
                self.bar = None

    def _post(self) -> None:
        remaining = self.total - self.done - self.failed
        if self.bar is not None:
            w = self.words
            self.bar.set_postfix_str(f"{w[0]}={self.done} {w[1]}={self.failed} {w[2]}={remaining}")

    def update(self, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        if self.bar is not None:
            self._post()
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
        Local worker processes (default: CPU count); 1 runs in this process.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``tcp://host:port``) or client: run the units there.
    lang : {"id", "en"}
        Report language.
    force : bool
        Redo units even when their inputs and code are unchanged.
    engine : {"warm", "fresh"}
        Kernel reuse per worker (warm) or one kernel per notebook (fresh).
    run_id : str, optional
        Folder name under ``out`` (default: the study folder's name, so a rerun resumes).
    notebook : path, optional
        Unit notebook template (default: ``notebooks/unit_report.ipynb``).

    Returns
    -------
    RunResult
        ``failed`` lists units whose notebook raised; ``ok`` is False if any failed.
    """
    if lang not in ("id", "en"):
        raise ValueError(f"lang must be 'id' or 'en', got {lang!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    study_path = Path(study)
    st = load_study(study_path)
    meta = study_meta(st)
    thresholds = report_thresholds(getattr(st, "config", {}) or {})
    out_root = Path(out)
    out_root.mkdir(parents=True, exist_ok=True)
    run_dir = _inside(out_root / safe_name(run_id or study_path.resolve().name or "run"), out_root)
    units_dir = run_dir / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    for stale in [*units_dir.glob(".*.tmp"), *run_dir.glob(".*.tmp"), *units_dir.glob(".*.tmp.*")]:
        with contextlib.suppress(OSError):  # temporary files of a run that was killed mid-write
            stale.unlink()
    work_root = run_dir / ".work"
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
    safe_of = {u: safe_name(u) for u in selected}
    if len(set(safe_of.values())) != len(safe_of):  # pragma: no cover - sha1 prefix collision
        raise ValueError("two unit names map to the same file name")
    pools = st.control_pools(selected, min_regional=MIN_REGIONAL_CONTROLS)

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
    }
    for u in selected:  # keep earlier entries of the selected units until they are redone
        if u in old_units:
            manifest["units"][u] = old_units[u]
    for u, entry in old_units.items():  # and of units not selected this time
        manifest["units"].setdefault(u, entry)

    lock = threading.Lock()

    def save_manifest() -> None:
        with lock:
            write_manifest(run_dir, manifest)

    ratings_by_unit = {str(k): g for k, g in st.ratings.groupby("unit", observed=True, sort=False)}
    no_ratings = st.ratings.iloc[0:0]
    fingerprint = _study_fingerprint(st)
    work = work_root / f"run-{os.getpid()}-{time.time_ns()}"
    tasks: list[UnitTask] = []
    skipped: list[str] = []
    executed: list[str] = []
    failed_all: list[str] = []
    briefing_ok = False
    try:
        work_root.mkdir(parents=True, exist_ok=True)
        for u in selected:
            sub = _restrict(st, u, ratings_by_unit.get(u, no_ratings), pools[u])
            params = {"unit": u, "lang": lang, "thresholds": thresholds, "run_dir": str(run_dir.resolve())}
            ihash = _input_hash([sub.ratings, sub.units, sub.outcomes], {**params, "study": fingerprint})
            prev = manifest["units"].get(u, {})
            s = safe_of[u]
            outputs_exist = all((units_dir / f"{s}.{ext}").exists() for ext in ("ipynb", "html", "json"))
            if (not force and prev.get("status") == "ok" and prev.get("input_hash") == ihash
                    and prev.get("code_hash") == chash and outputs_exist):
                skipped.append(u)
                continue
            part = work / "inputs" / s
            sub.save(part)
            params["study_path"] = str(part)
            manifest["units"][u] = {"file": s, "status": "pending", "input_hash": ihash, "code_hash": chash,
                                    "duration": None, "error": "", "library_version": manifest["library_version"]}
            tasks.append(UnitTask(unit=u, safe=s, notebook=str(nb_path), parameters=params,
                                  units_dir=str(units_dir), work_dir=str(work / "exec"), engine=engine,
                                  kernel_name=kernel_name, timeout=timeout, title=u))
        save_manifest()

        bar = _Progress(len(tasks), progress, lang)
        failed: list[str] = []

        def on_done(t: UnitTask, res: dict) -> None:
            if t.kind == "briefing":
                manifest["briefing"].update(status=res["status"], duration=res["duration"], error=res["error"])
                save_manifest()
                return
            entry = manifest["units"][t.unit]
            entry.update(status=res["status"], duration=res["duration"], error=res["error"],
                         finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            executed.append(t.unit)
            if res["status"] != "ok":
                failed.append(t.unit)
            save_manifest()
            bar.update(res["status"] == "ok")

        bhash = code_hash(BRIEFING_NOTEBOOK)
        prev_b = old.get("briefing") or {}

        def then() -> UnitTask | None:
            bar.close()
            if not briefing:
                return None
            unchanged = (not executed and prev_b.get("status") == "ok" and prev_b.get("code_hash") == bhash
                         and prev_b.get("units") == list(selected) and old.get("lang") == lang
                         and (run_dir / "briefing.html").exists())
            if unchanged and not force:
                manifest["briefing"] = prev_b  # nothing it reads has changed
                return None
            manifest["briefing"] = {"status": "pending", "code_hash": bhash, "units": list(selected)}
            return _briefing_task(st, meta, thresholds, run_dir, work, lang, engine, kernel_name, timeout, selected)

        n_jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
        executor = "dask" if scheduler is not None else "local"
        try:
            EXECUTORS[executor](tasks, on_done, n_jobs, scheduler, then)
        finally:
            bar.close()
        # units that were skipped earlier but failed then stay failed in the briefing
        failed_all = [u for u in selected if manifest["units"].get(u, {}).get("status") == "failed"]
        briefing_ok = (manifest.get("briefing") or {}).get("status") == "ok" if briefing else True
        # the briefing's own record only marks that it finished; keep the run folder tidy
        with contextlib.suppress(FileNotFoundError):
            (run_dir / "briefing.json").unlink()
        write_summary(run_dir, lang=lang)
        manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        save_manifest()
    finally:
        shutdown_warm()  # this process's kernel, if any; pool workers stop theirs at exit
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work_root.rmdir()
    return RunResult(run_dir=run_dir, manifest=manifest, executed=executed, skipped=skipped,
                     failed=failed_all, briefing_ok=briefing_ok)


def _briefing_task(st: Any, meta: dict, thresholds: dict, run_dir: Path, work: Path, lang: str, engine: str,
                   kernel_name: str, timeout: float | None, selected: Sequence[str]) -> UnitTask:
    """The briefing over the collected unit records, as one more task for the executor."""
    part = work / "inputs" / "_study"
    # the whole study without its ratings: unit-period aggregates only, no individual rows
    _restrict(st, None, st.ratings.iloc[0:0], []).save(part)
    params = {"run_dir": str(run_dir.resolve()), "lang": lang, "thresholds": thresholds,
              "study_path": str(part), "units": list(selected)}
    return UnitTask(unit="briefing", safe="briefing", notebook=str(BRIEFING_NOTEBOOK), parameters=params,
                    units_dir=str(run_dir), work_dir=str(work / "exec-briefing"), engine=engine,
                    kernel_name=kernel_name, timeout=timeout, title=meta.get("study_name") or "Briefing",
                    kind="briefing")
