"""Executing unit notebooks: one task (:func:`execute_unit`) and the executors that run many.

Executors are a small registry (:data:`EXECUTORS`), each a function
``(tasks, on_done, jobs, scheduler, then=None)``; ``tasks`` may be a generator, whose tasks
are submitted as they come (the runner partitions the study while the first units run):

* ``inline``: in this process, one task after the other;
* ``local``: a process pool of ``jobs`` workers (``spawn``), each keeping a warm kernel;
* ``dask``: the same task function submitted to a Dask distributed scheduler.

A pool can be started before the study is loaded (:func:`start_pool`): its workers start
their kernels and import the analysis stack while the parent loads and partitions the study.

Examples
--------
>>> sorted(EXECUTORS)
['dask', 'inline', 'local']
>>> failure_summary("Traceback (most recent call last):\\n  ...\\nValueError: skala tidak dikenal")
'ValueError: skala tidak dikenal'
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from evaltools import _kernel_fork
from evaltools._forkserver import pool_context
from evaltools._io import atomic_write
from evaltools._kernels import register_engines, warm_up
from evaltools.report.pages import export_html
from evaltools.report.records import write_failed_record

__all__ = ["EXECUTORS", "SchedulerUnreachable", "UnitTask", "connect", "execute_unit", "failure_summary",
           "start_pool"]


@dataclasses.dataclass
class UnitTask:
    """Everything a worker needs to produce one unit's report (picklable, paths as str).

    ``work_dir`` is the kernel's working directory: the folder the published notebook
    lives in, so the relative paths among its parameters resolve there, when the
    notebook is re-run by hand too. ``stage_dir`` holds the files being written.
    """

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
    stage_dir: str = ""


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


def failure_summary(error: str, limit: int = 200) -> str:
    """One line for a reader: the error's last line (``Type: message``), shortened.

    The whole error goes to the unit's log; a briefing shows this line and points there.

    Examples
    --------
    >>> failure_summary("KeyError:   'ikm'")
    "KeyError: 'ikm'"
    """
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    last = lines[-1] if lines else "unknown error"
    last = re.sub(r"\s+", " ", last)
    return last if len(last) <= limit else last[: limit - 1] + "…"


def _failed(task: UnitTask, error: str, duration: float = 0.0) -> dict:
    """A failed task's manifest entry; the whole error is written to the unit's log."""
    log = Path(task.units_dir) / f"{task.safe}.log"
    with contextlib.suppress(OSError):
        atomic_write(log, error + "\n")
    rel = f"units/{log.name}" if task.kind == "unit" else log.name
    return {"unit": task.unit, "status": "failed", "duration": round(duration, 3), "error": error,
            "error_summary": failure_summary(error), "log": rel}


def execute_unit(task: UnitTask) -> dict:
    """Execute one unit notebook and publish its .ipynb, .html and .json atomically.

    Returns a manifest entry: ``status`` ("ok" or "failed"), ``duration`` (s), ``error``
    (last lines of the error, empty when ok) and, for a failure, ``error_summary`` (one
    line) and ``log`` (the file holding the error, relative to the run folder). Never
    raises for a failing notebook.
    """
    import nbformat
    import papermill as pm

    register_engines()
    t0 = time.perf_counter()
    units_dir = Path(task.units_dir)
    stage = Path(task.stage_dir or task.work_dir)
    stage.mkdir(parents=True, exist_ok=True)
    Path(task.work_dir).mkdir(parents=True, exist_ok=True)
    staged_nb = stage / f"{task.safe}.ipynb"
    staged_json = stage / f"{task.safe}.json"
    params = dict(task.parameters)
    params.setdefault("record_path", str(staged_json))
    status, error, nb = "ok", "", None
    with contextlib.suppress(FileNotFoundError):
        staged_json.unlink()
    try:
        nb = pm.execute_notebook(
            task.notebook, str(staged_nb), parameters=params, engine_name=f"evaltools-{task.engine}",
            kernel_name=task.kernel_name, progress_bar=False, log_output=False, report_mode=True,
            execution_timeout=task.timeout, kernel_cwd=str(task.work_dir), seed=task.seed,
            # the runner publishes the notebook once, complete (papermill still writes it at the
            # end, or with the error when a cell fails)
            request_save_on_cell_execute=False,
        )
    except Exception as exc:  # the unit's failure is recorded; the run goes on
        status, error = "failed", _error_tail(nb, exc)
        if staged_nb.exists():
            with contextlib.suppress(Exception):
                nb = nbformat.read(str(staged_nb), as_version=4)
    out_nb, out_html, out_json = (units_dir / f"{task.safe}.{ext}" for ext in ("ipynb", "html", "json"))
    if status == "ok" and not staged_json.exists():
        status, error = "failed", "the notebook finished without recording its results (report.record)"
    if nb is not None:
        atomic_write(out_nb, nbformat.writes(nb))
        try:
            export_html(nb, out_html, title=task.title or task.unit)
        except Exception as exc:
            if status == "ok":
                status, error = "failed", "HTML export failed: " + _error_tail(None, exc)
    duration = time.perf_counter() - t0
    if status == "ok":
        os.replace(staged_json, out_json)
        with contextlib.suppress(FileNotFoundError):
            (units_dir / f"{task.safe}.log").unlink()  # the log of an earlier failure
        res = {"unit": task.unit, "status": "ok", "duration": round(duration, 3), "error": ""}
    else:
        res = _failed(task, error, duration)
        write_failed_record(out_json, task.unit, error, summary=res["error_summary"], log=res["log"])
    with contextlib.suppress(FileNotFoundError):
        staged_nb.unlink()
    return res


# ---------------------------------------------------------------------------------------
# executors (registry): in-process, local process pool, Dask
# ---------------------------------------------------------------------------------------

OnDone = Callable[[UnitTask, dict], None]
Then = Callable[[], "UnitTask | None"]


def _failed_entry(task: UnitTask, exc: BaseException) -> dict:
    return _failed(task, _error_tail(None, exc))


def _run_inline(tasks: Iterable[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
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


def _worker_init(environ: dict[str, str] | None = None) -> None:
    import signal

    if environ is not None:
        # a worker forked from the fork server has the server's environment, from when it
        # started: each pool's workers get the caller's as it is now, as spawned ones would
        os.environ.clear()
        os.environ.update(environ)
    # Ctrl-C goes to the whole process group; the parent decides, workers just stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # now, while this worker has no threads: the process its kernels are forked from
    _kernel_fork.start_zygote()


def prewarm_worker() -> None:
    """Import what :func:`execute_unit` uses and compile the page template (a worker's first-unit costs)."""
    import nbformat
    import papermill.execute  # noqa: F401
    import papermill.parameterize  # noqa: F401

    from evaltools.report.pages import _render_page

    register_engines()
    _render_page(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("-")]), "-", "id")


def start_pool(jobs: int, kernel_name: str = "python3", engine: str = "warm"):
    """A process pool of ``jobs`` workers whose kernels start now (``engine="warm"``).

    Each worker gets one warm-up task; while the tasks run the caller loads and partitions the
    study. Workers come from the fork server (:func:`evaltools._forkserver.pool_context`) and
    fork their kernels (:mod:`evaltools._kernel_fork`): two workers had warm kernels 0.6 s
    after the pool was made once the server had its imports (3.7 s with the server's start),
    against 2.5 s for one kernel started as a process. Pass the pool as ``scheduler`` to the
    ``local`` executor.
    """
    import threading
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=pool_context(), initializer=_worker_init,
                               initargs=(dict(os.environ),))
    if engine == "warm":
        def submit_warmups() -> None:
            # one blocking task per worker: each idle worker takes one, so every worker warms up
            with contextlib.suppress(RuntimeError):   # the run ended before the workers started
                for _ in range(jobs):
                    pool.submit(warm_up, kernel_name)

        # a submit starts a worker, and the first waits for the fork server to import the unit
        # task's modules (1.5-2.3 s here): on a thread of its own, so the caller loads the study
        # meanwhile
        threading.Thread(target=submit_warmups, name="evaltools-pool-start", daemon=True).start()
    return pool


def _run_pool(tasks: Iterable[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
              then: Then | None = None) -> None:
    """``tasks`` may be a generator: each task is submitted as soon as it is made, so the
    workers run the first units while the caller still partitions the later ones."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    given = isinstance(scheduler, ProcessPoolExecutor)
    tasks = iter(tasks)
    head: list[UnitTask] = []
    if not given:  # a pool of our own only for two tasks or more
        head = list(itertools.islice(tasks, 2))
        if jobs <= 1 or len(head) <= 1:
            return _run_inline([*head, *tasks], on_done, jobs, scheduler, then)
    pool = scheduler if given else start_pool(jobs, head[0].kernel_name, head[0].engine)
    pending: dict = {}

    def collect(timeout: float | None) -> None:
        done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        for fut in done:
            t = pending.pop(fut)
            try:
                res = fut.result()
            except Exception as exc:  # a worker process that died
                res = _failed_entry(t, exc)
            on_done(t, res)

    try:
        for t in itertools.chain(head, tasks):
            pending[pool.submit(execute_unit, t)] = t
            collect(0)  # report what finished meanwhile, without waiting
        while pending:
            collect(None)
        # the follow-up (the briefing) runs in a worker whose kernel is already warm
        final = then() if then is not None else None
        if final is not None:
            pending[pool.submit(execute_unit, final)] = final
            while pending:
                collect(None)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    if not given:
        pool.shutdown(wait=True)


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler given with ``--scheduler`` did not answer."""


#: seconds to wait for a Dask scheduler to answer before giving up
SCHEDULER_TIMEOUT = 10.0


def connect(scheduler: Any, timeout: float | None = None):
    """A Dask client for ``scheduler`` (an address or a client), or :class:`SchedulerUnreachable`.

    Examples
    --------
    >>> connect("tcp://127.0.0.1:1", timeout=0.5)
    Traceback (most recent call last):
    ...
    evaltools._executors.SchedulerUnreachable: no Dask scheduler answered at tcp://127.0.0.1:1 within 0.5 s ...
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--scheduler needs the optional 'dask' extra: pip install 'evaltools[dask]'") from exc
    if isinstance(scheduler, Client):
        return scheduler
    wait = SCHEDULER_TIMEOUT if timeout is None else timeout
    try:
        return Client(scheduler, timeout=wait)
    except Exception as exc:  # OSError, TimeoutError, a malformed address: all mean "not there"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerUnreachable(
            f"no Dask scheduler answered at {scheduler} within {wait:g} s ({reason}); start one with "
            f"`dask scheduler` and workers with `dask worker {scheduler}`, or leave out --scheduler to run "
            "on this machine") from None


def warm_dask(client: Any, kernel_name: str = "python3", engine: str = "warm") -> list:
    """One :func:`warm_up` task per thread of every Dask worker, submitted now and not awaited.

    The workers start their kernels and import the analysis stack while the runner loads
    and partitions the study, as the local pool's workers do (:func:`start_pool`); a unit
    submitted later queues behind its worker's warm-up. Keep the returned futures until
    the run ends (Dask forgets a task whose futures are released). A warm-up that fails
    is not an error of the run: the unit then starts its kernel itself and reports why
    it could not.
    """
    if engine != "warm":
        return []
    try:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # the units still run; they start their kernels themselves
        return []
    futs = []
    for addr, w in workers.items():
        for k in range(int(w.get("nthreads", 1) or 1)):
            futs.append(client.submit(warm_up, kernel_name, workers=[addr], allow_other_workers=False, pure=False,
                                      key=f"evaltools-warm-up-{k}-{addr}-{time.time_ns()}"))
    return futs


def _run_dask(tasks: Iterable[UnitTask], on_done: OnDone, jobs: int, scheduler: Any,
              then: Then | None = None) -> None:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = connect(scheduler)

    def drain(batch: Iterable[UnitTask]) -> None:
        # submitted one by one as the caller makes them (a generator partitions while workers run)
        futs: dict = {}
        ac = as_completed()

        def report(done) -> None:
            for fut in done:
                t = futs.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:
                    res = _failed_entry(t, exc)
                on_done(t, res)

        for t in batch:
            fut = client.submit(execute_unit, t, pure=False, key=f"evaltools-{t.kind}-{t.safe}-{time.time_ns()}")
            futs[fut] = t
            ac.add(fut)
            if ac.has_ready():
                report(ac.next_batch(block=False))
        for fut in ac:
            report([fut])

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

class Progress:
    """Units done / failed / remaining and elapsed time, on stderr.

    A terminal gets a progress bar; a log file or pipe gets plain short lines (a bar there
    becomes one line of carriage returns several KB long), at most one every
    ``every`` seconds, plus the first and the last.
    """

    _WORDS = {"id": ("selesai", "gagal", "sisa"), "en": ("done", "failed", "remaining")}

    def __init__(self, total: int, enabled: bool, lang: str = "id", *, stream: TextIO | None = None,
                 every: float = 5.0):
        self.words = self._WORDS.get(lang, self._WORDS["id"])
        self.total, self.done, self.failed = total, 0, 0
        self.t0 = self._last = time.perf_counter()
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.bar = None
        self.lines = enabled and total > 0
        isatty = getattr(self.stream, "isatty", lambda: False)
        if self.lines and isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="unit", file=self.stream, dynamic_ncols=True,
                                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}] {postfix}")
                self.lines = False
                self._post()
            except ImportError:
                self.bar = None

    def _counts(self) -> str:
        w = self.words
        remaining = self.total - self.done - self.failed
        return f"{w[0]}={self.done} {w[1]}={self.failed} {w[2]}={remaining}"

    def _post(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(self._counts())

    def update(self, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        if self.bar is not None:
            self._post()
            self.bar.update(1)
        elif self.lines:
            now = time.perf_counter()
            n = self.done + self.failed
            if n == 1 or n == self.total or now - self._last >= self.every:
                self._last = now
                el = int(now - self.t0)
                print(f"evaltools: {n}/{self.total} unit {self._counts()} [{el // 60:02d}:{el % 60:02d}]",
                      file=self.stream, flush=True)

    def skip(self) -> None:
        """One unit fewer to do (it is up to date): the total is counted as tasks are made."""
        self.total -= 1
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
