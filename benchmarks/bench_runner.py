"""Benchmark of the report runner: kernel overhead per unit, parallel speed-up, national scale.

Run as ``python benchmarks/bench_runner.py`` (``--quick`` for a small smoke run,
``--national`` for every part below at full size, as ``make bench`` does; ``--only PART ...``
for some parts). Each part's rows are kept in ``benchmarks/results_runner.json`` (a part rerun
alone replaces only its own) and the whole is written as one section to
``benchmarks/results_runner.md``, with each target and PASS / NOT MET, the load average and
the CPU seconds of all processes (the machine is often shared: wall times alone mislead).

1. Fixed overhead per unit, fresh kernel vs warm kernel, measured in the same run on the
   same notebook: the unit-report imports (pandas, matplotlib, the evaltools statistics
   stack) plus one tiny computation cell, executed through ``runner.execute_unit`` (papermill,
   parameter injection, HTML export, JSON publication). Overhead = wall time minus the
   duration papermill records for the computation cell. The peer is papermill's own default
   engine (a fresh kernel per notebook, graceful shutdown) with ``jupyter nbconvert`` as a
   subprocess for the HTML, i.e. what a shell loop over papermill + nbconvert would do.
2. ``--jobs 2`` vs ``--jobs 1`` on the real unit report (warm kernels), same ~100 pilot units,
   end to end (the workers start their kernels while the study loads).
3. (``--national``) a simulated study of 1,000 units (750 pilot units) end to end.
4. (``--cluster``, or ``--national``) a 5,000-unit study written as a partitioned Parquet dataset, run end to
   end through ``--scheduler`` on a local Dask cluster of two worker processes
   (``dask scheduler`` + 2 x ``dask worker``, subprocesses); wall time and the peak resident
   memory of every process (scheduler, workers with their kernels, the runner).
5. (``--profile``, or ``--national``) one typical unit report's computation (the notebook's calls
   on the unit's partition, in-process, without papermill, in the state a warm kernel is in: the
   stack imported and moved out of the garbage collector's reach; each run on a new study object
   loaded from the partition, the pooled effects read from their file, as a notebook does): median
   wall and CPU time of 15, and where the time goes (cProfile).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT / "src"))
# single-threaded BLAS, as the report kernels run (evaltools._kernels.kernel_env), set before numpy
# loads. Not OMP_NUM_THREADS: pyarrow sizes its thread pool by it, and the runner's own process
# (loading, partitioning) runs with the user's environment, where Arrow has every core.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from evaltools import runner  # noqa: E402

IMPORTS = """
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import evaltools
from evaltools import report, plots, reliability, calibration, pilot
pilot.unit_effect, pilot.staggered_att
"""
COMPUTE = "x = float(np.arange(1000).sum())"


def _overhead_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('unit = ""\nrecord_path = None')
    p.metadata["tags"] = ["parameters"]
    c = nbformat.v4.new_code_cell(COMPUTE)
    c.metadata["tags"] = ["compute"]
    nb.cells = [p, nbformat.v4.new_code_cell(IMPORTS.strip()), c,
                nbformat.v4.new_code_cell("report.record({'unit': unit, 'x': x}, record_path);")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _compute_seconds(nb_path: Path) -> float:
    nb = nbformat.read(nb_path, as_version=4)
    return sum(float(c.metadata.get("papermill", {}).get("duration") or 0.0)
               for c in nb.cells if "compute" in c.metadata.get("tags", []))


def overhead(n: int, work: Path) -> dict:
    """Median fixed overhead per unit: fresh engine, warm engine, papermill default + nbconvert."""
    tpl = _overhead_notebook(work / "overhead.ipynb")
    out: dict[str, list[float]] = {"fresh": [], "warm": [], "papermill+nbconvert": []}
    warm_start = float("nan")
    for engine in ("fresh", "warm"):
        units = work / f"units-{engine}"
        for i in range(n + (1 if engine == "warm" else 0)):
            task = runner.UnitTask(unit=f"u{i}", safe=f"u{i}", notebook=str(tpl), parameters={"unit": f"u{i}"},
                                   units_dir=str(units), work_dir=str(work / "exec"), engine=engine)
            t0 = time.perf_counter()
            res = runner.execute_unit(task)
            wall = time.perf_counter() - t0
            assert res["status"] == "ok", res
            over = wall - _compute_seconds(units / f"u{i}.ipynb")
            if engine == "warm" and i == 0:
                warm_start = over  # kernel start + imports, once per worker
                continue
            out[engine].append(over)
        runner._shutdown_warm()
    # the peer: papermill's default engine and an nbconvert subprocess per file
    import papermill as pm

    for i in range(max(2, n // 2)):
        o = work / f"peer{i}.ipynb"
        t0 = time.perf_counter()
        pm.execute_notebook(str(tpl), str(o), parameters={"unit": f"p{i}", "record_path": str(work / f"p{i}.json")},
                            progress_bar=False, kernel_name="python3")
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--no-input", str(o)],
                       check=True, capture_output=True)
        out["papermill+nbconvert"].append(time.perf_counter() - t0 - _compute_seconds(o))
    return {"medians": {k: statistics.median(v) for k, v in out.items()}, "warm_start": warm_start,
            "n": {k: len(v) for k, v in out.items()}, "pool_start": pool_start()}


def pool_start(rounds: int = 3) -> dict:
    """Seconds from a new pool to two workers with warm kernels, the fork server already running
    (median of ``rounds``), and from this process's first pool (the server's start and imports too)."""
    from evaltools import _executors, _kernels

    def once() -> float:
        t0 = time.perf_counter()
        pool = _executors.start_pool(2, engine="fresh")
        try:
            for f in [pool.submit(_kernels.warm_up) for _ in range(2)]:
                assert f.result(timeout=300)
            return time.perf_counter() - t0
        finally:
            pool.shutdown()

    first = once()
    return {"first": first, "running": statistics.median(once() for _ in range(rounds)), "rounds": rounds}


def _simulate(path: Path, n_units: int, subjects: tuple[int, int], seed: int = 11) -> Path:
    from evaltools.simulate import write_study

    write_study(path, seed=seed, n_units=n_units, n_regions=4, subjects_per_unit=subjects)
    return path


_HZ = os.sysconf("SC_CLK_TCK")


def _tree_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of every live descendant of this process, by pid.

    The local pool's workers are children of multiprocessing's fork server, so this
    process's ``RUSAGE_CHILDREN`` never counts them (nor their kernels): the tree is read
    from /proc instead.
    """
    out: dict[int, float] = {}
    todo = [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            if pid != os.getpid():
                with open(f"/proc/{pid}/stat") as fh:
                    f = fh.read().rsplit(")", 1)[1].split()
                out[pid] = (int(f[11]) + int(f[12])) / _HZ
        except (OSError, ValueError, IndexError):
            continue
    return out


class _CPU:
    """CPU seconds of this process and all its descendants over a ``with`` block.

    Descendants are sampled every 0.2 s (a process that ends between two samples loses at
    most its last 0.2 s); where /proc is missing, ``RUSAGE_CHILDREN`` (finished children
    only) stands in.
    """

    def __enter__(self) -> "_CPU":
        import threading

        self._proc = os.path.isdir(f"/proc/{os.getpid()}/task")
        self._own0 = time.process_time()
        self._rc0 = _rusage_children()
        self._start = _tree_cpu() if self._proc else {}
        self._seen: dict[int, float] = dict(self._start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            if self._proc:
                for pid, c in _tree_cpu().items():
                    self._seen[pid] = max(c, self._seen.get(pid, 0.0))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        own = time.process_time() - self._own0
        if self._proc:
            for pid, c in _tree_cpu().items():
                self._seen[pid] = max(c, self._seen.get(pid, 0.0))
            self.seconds = own + sum(c - self._start.get(pid, 0.0) for pid, c in self._seen.items())
        else:
            self.seconds = own + _rusage_children() - self._rc0


def _rusage_children() -> float:
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return b.ru_utime + b.ru_stime


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the cluster's processes, once waited for)."""
    return time.process_time() + _rusage_children()


def _timed_run(study: Path, out: Path, **kw) -> dict:
    """One ``runner.run``: wall, CPU seconds (all processes), load average, the manifest's phases."""
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    with _CPU() as cpu_meter:
        res = runner.run(study, out, engine="warm", **kw)
    wall, cpu = time.perf_counter() - t0, cpu_meter.seconds
    assert res.ok, res.failed
    man = json.loads((res.run_dir / "manifest.json").read_text())
    d = [e["duration"] for e in man["units"].values() if e.get("duration")]
    return {"units": len(res.executed), "failed": len(res.failed), "wall": wall, "cpu": cpu,
            "load": (load0 + os.getloadavg()[0]) / 2, "phases": man.get("timings", {}),
            "median_unit": statistics.median(d) if d else float("nan"), "briefing_ok": res.briefing_ok}


_RUN_CHILD = r"""
import json, sys
from pathlib import Path
if int(sys.argv[3]) > 1:  # as the command line does before its imports
    from evaltools._forkserver import start_early
    start_early()
from evaltools import runner
res = runner.run(Path(sys.argv[1]), Path(sys.argv[2]), engine="warm", jobs=int(sys.argv[3]), progress=False,
                 force=True, briefing=False)
print(json.dumps({"ok": res.ok, "units": len(res.executed), "failed": len(res.failed), "run_dir": str(res.run_dir)}))
"""


def _timed_process(study: Path, out: Path, jobs: int) -> dict:
    """One run in a fresh process, as the CLI makes one: imports, kernels, fork server and all."""
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    with _CPU() as cpu_meter:
        proc = subprocess.run([sys.executable, "-c", _RUN_CHILD, str(study), str(out), str(jobs)], check=True,
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    wall, cpu = time.perf_counter() - t0, cpu_meter.seconds
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["ok"], res
    man = json.loads((Path(res["run_dir"]) / "manifest.json").read_text())
    d = [e["duration"] for e in man["units"].values() if e.get("duration")]
    return {"units": res["units"], "failed": res["failed"], "wall": wall, "cpu": cpu,
            "load": (load0 + os.getloadavg()[0]) / 2, "phases": man.get("timings", {}),
            "median_unit": statistics.median(d) if d else float("nan")}


_CEILING_CHILD = r"""
import sys, tempfile, time
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import evaltools
root = Path(sys.argv[1])
sys.path.insert(0, str(root / "benchmarks"))
from _median_unit import compute, median_unit
fx = median_unit(root, Path(tempfile.mkdtemp(prefix="bench-ceiling-")))
def once():
    compute(evaltools.load_study(fx["partition"]), fx)
once()
print("ready", flush=True)
sys.stdin.readline()
t0 = time.perf_counter()
for _ in range(int(sys.argv[2])):
    once()
print(time.perf_counter() - t0, flush=True)
"""


def parallel_ceiling(n: int = 25) -> dict:
    """The same unit computation (the sample's median unit, in-process) ``n`` times in one process
    alone, then in two processes at once: how much two cores of this host give two identical jobs.

    ``ceiling = alone / side-by-side 1 + alone / side-by-side 2``, the sum of the two processes'
    rates against one alone: what a pool that hands the next unit to whichever worker is free
    can reach (2.0 when two processes run as fast as one).
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def start() -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", _CEILING_CHILD, str(ROOT), str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
        assert p.stdout.readline().strip() == "ready"
        return p

    def go(ps: list) -> list[float]:
        for p in ps:
            p.stdin.write("go\n")
            p.stdin.flush()
        out = [float(p.stdout.readline()) for p in ps]
        for p in ps:
            p.wait()
        return out

    alone = go([start()])[0]
    pair = go([start(), start()])
    alone2 = go([start()])[0]    # before and after: the host's drift shows
    base = min(alone, alone2)
    return {"alone": [alone, alone2], "pair": pair, "ceiling": sum(base / t for t in pair), "n": n}


def jobs_speedup(n_units: int, work: Path, rounds: int = 3) -> dict:
    """``--jobs 1`` and ``--jobs 2`` in alternating order, ``rounds`` times, each in a fresh process.

    The host's speed drifts (the two cores are shared with other machines): one pair of runs
    gave 1.88x and the next 1.52x with the same code, the CPU seconds of the same work moving
    from 46 to 60. The median of the rounds' ratios is the result; every round is kept.
    """
    # n_units units, a quarter of them never-treated controls: about 0.75 n_units reports
    study = _simulate(work / "jobs_study", n_units, (14, 18))
    pairs = []
    for k in range(rounds):
        order = (1, 2) if k % 2 == 0 else (2, 1)
        pairs.append({j: _timed_process(study, work / f"jobs{j}-{k}", j) for j in order})
    ceiling = parallel_ceiling()
    ratios = [p[1]["wall"] / p[2]["wall"] for p in pairs]
    mid = sorted(range(rounds), key=lambda i: ratios[i])[rounds // 2]
    return {"units": pairs[mid][1]["units"], "runs": pairs[mid], "speedup": ratios[mid], "ratios": ratios,
            "walls": [[p[1]["wall"], p[2]["wall"]] for p in pairs], "ceiling": ceiling}


def national(work: Path, jobs: int) -> dict:
    t0 = time.perf_counter()
    study = _simulate(work / "national", 1000, (10, 14))
    t_sim = time.perf_counter() - t0
    return {**_timed_run(study, work / "national_reports", jobs=jobs, progress=True), "simulate": t_sim}


def _peak_rss(pids: dict, peaks: dict) -> None:
    """Fold the current peak RSS (VmHWM) of each process tree into ``peaks`` (MB)."""
    import psutil

    for name, pid in pids.items():
        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in procs:
            try:
                with open(f"/proc/{p.pid}/status") as fh:
                    hwm = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM")) / 1024
            except (OSError, StopIteration):
                continue
            try:
                key = name if p.pid == pid else f"{name} / {' '.join(p.cmdline()[1:3])[:40] or p.name()}"
            except psutil.Error:  # ended between the listing and now
                continue
            peaks[key] = max(peaks.get(key, 0.0), hwm)


def _own_peak_mb() -> float:
    """This process's peak resident memory (VmHWM, MB) since the last reset; ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cluster(work: Path, n_units: int) -> dict:
    """``n_units`` units, ratings partitioned by unit, through a local 2-worker Dask cluster."""
    import resource
    import threading

    dask = str(Path(sys.executable).parent / "dask")
    t0 = time.perf_counter()
    study = work / "cluster_study"
    # in its own process: the simulation's peak (2.3 GB at 5,000 units) is not the runner's
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from evaltools.simulate import "
                    "write_study; write_study(Path(sys.argv[1]), seed=13, n_units=int(sys.argv[2]), n_regions=40, "
                    "subjects_per_unit=(10, 14), format='parquet-dataset')", str(study), str(n_units)],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    t_sim = time.perf_counter() - t0
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    sched_file = work / "scheduler.json"
    procs = {"scheduler": subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                            "--scheduler-file", str(sched_file)], env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)}
    try:
        while not sched_file.exists():
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in (1, 2):
            procs[f"worker {i}"] = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                                     "--no-dashboard", "--host", "127.0.0.1"], env=env, cwd=work,
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from distributed import Client

        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=120)
        peaks: dict[str, float] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                _peak_rss({k: p.pid for k, p in procs.items()}, peaks)
                stop.wait(1.0)

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        # the runner's own peak from here on (Linux: writing 5 to clear_refs resets VmHWM), not
        # what this process held for the benchmark's earlier parts
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        load0, cpu0, t0 = os.getloadavg()[0], _cpu(), time.perf_counter()
        res = runner.run(study, work / "cluster_reports", scheduler=address, progress=True)
        wall = time.perf_counter() - t0
        load = (load0 + os.getloadavg()[0]) / 2
        stop.set()
        th.join()
        peaks["runner (this process)"] = _own_peak_mb()
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(timeout=60)
    # the workers' (and their kernels') CPU counts once they have been waited for
    man = json.loads((res.run_dir / "manifest.json").read_text())
    return {"units": len(res.executed), "failed": len(res.failed), "wall": wall, "simulate": t_sim,
            "briefing_ok": res.briefing_ok, "peaks": peaks, "n_units": n_units, "cpu": _cpu() - cpu0,
            "load": load, "phases": man.get("timings", {})}


#: runs of the profiled unit (the host's speed drifts within a minute: the median of many)
RUNS = 15


def profile_unit() -> dict:
    """cProfile of one typical sample unit's report computation (the notebook's calls, in-process)."""
    import cProfile
    import pstats

    import matplotlib

    matplotlib.use("Agg")
    import evaltools
    from evaltools import _kernel_state

    # the state of a warm report kernel: the stack imported and moved to the GC's permanent
    # generation (without it each full collection walks every object of the stack: ~12 % of
    # a unit here)
    _kernel_state.prepare_kernel()
    import pyarrow as pa

    pa.set_cpu_count(1)  # a report kernel's Arrow has one thread (OMP_NUM_THREADS=1 in kernel_env)
    sys.path.insert(0, str(HERE))
    from _median_unit import compute, median_unit

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        # what the unit's notebook computes: its own partition (ratings, control pool) and its
        # rows of the study's pooled unit effects, as runner.run writes them
        fx = median_unit(ROOT, Path(tmp))
        part, unit = fx["partition"], fx["unit"]
        compute(evaltools.load_study(part), fx)  # imports and caches, as the warm kernel has them
        walls, cpus, loads = [], [], []
        for _ in range(RUNS):
            # a new study object each time, as each notebook loads its own: computing on one
            # study again and again found its objects already out of the young GC generations
            t0 = time.perf_counter()
            st = evaltools.load_study(part)
            loads.append(time.perf_counter() - t0)
            t0, c0 = time.perf_counter(), time.process_time()
            compute(st, fx)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            del st
        # CPU seconds of this process: what the computation costs when other jobs share the cores
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        st = evaltools.load_study(part)
        prof = cProfile.Profile()
        prof.enable()
        compute(st, fx)
        prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for func, (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        mod, _line, name = func
        if "evaltools" in mod and not name.startswith("_"):
            rows.append((ct, f"{Path(mod).parent.name}/{Path(mod).name}:{name}"))
    top = sorted(rows, reverse=True)[:12]
    return {"unit": unit, "n_subjects": fx["n_subjects"], "wall": wall, "cpu": cpu, "top": top,
            "load": os.getloadavg()[0], "runs": len(walls), "fastest": min(walls),
            "partition_load": statistics.median(loads)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--national", action="store_true",
                    help="also run the 1,000-unit study end to end, the 5,000-unit cluster run and the profile")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the national run")
    ap.add_argument("--only-national", action="store_true", help="run only the 1,000-unit study")
    ap.add_argument("--cluster", type=int, nargs="?", const=5000, default=None, metavar="UNITS",
                    help="also run a partitioned study (default 5,000 units) on a local 2-worker Dask cluster")
    ap.add_argument("--profile", action="store_true", help="also profile one typical unit report")
    ap.add_argument("--only", nargs="+", choices=("overhead", "jobs", "national", "cluster", "profile"),
                    help="run only these measurements")
    ap.add_argument("--jobs-units", type=int, default=134, help="units of the --jobs study (~3/4 are pilots)")
    ap.add_argument("--render", action="store_true", help="only rewrite results_runner.md from results_runner.json")
    a = ap.parse_args(argv)
    if a.render:
        page = _page(json.loads((ROOT / "benchmarks" / "results_runner.json").read_text(encoding="utf-8")))
        (ROOT / "benchmarks" / "results_runner.md").write_text(page, encoding="utf-8")
        return 0
    only = set(a.only or [])
    if a.only_national:
        only = {"national"}
    n = 3 if a.quick else 10
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        work = Path(tmp)
        want = (lambda k, default: k in only if only else default)  # noqa: E731
        measured: dict[str, dict] = {}

        def measure(name: str, fn, *args) -> None:
            load0 = os.getloadavg()
            out = fn(*args)
            measured[name] = {"result": out, "load": [load0, os.getloadavg()]}

        if want("overhead", True):
            measure("overhead", overhead, n, work)
        if want("jobs", True):
            measure("jobs", jobs_speedup, 6 if a.quick else a.jobs_units, work)
        if want("national", a.national):
            measure("national", national, work, a.jobs)
        # make bench (--national) includes the cluster run and the profile
        if want("cluster", a.cluster is not None or a.national):
            measure("cluster", cluster, work, 40 if a.quick else a.cluster or 5000)
        if want("profile", a.profile or a.national):
            measure("profile", profile_unit)
    today = dt.date.today().isoformat()
    sections = {name: {"date": today, "load": m["load"], **render(name, m["result"], m["load"], a)}
                for name, m in measured.items()}
    if a.quick:  # a smoke run never replaces the recorded tables
        print(_page(sections))
        return 0
    # each measurement replaces its own part; the others keep what they last recorded
    store = ROOT / "benchmarks" / "results_runner.json"
    recorded = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    recorded.update(sections)
    store.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    page = _page(recorded)
    (ROOT / "benchmarks" / "results_runner.md").write_text(page, encoding="utf-8")
    print(page)
    return 0


#: the order of the parts in the results page
PARTS = ("profile", "overhead", "jobs", "national", "cluster")
CORES = os.cpu_count() or 1


def _load_text(load) -> str:
    (b1, b5, _b15), (a1, _a5, _a15) = load
    return f"{b1:.1f} -> {a1:.1f}"


def _status(ok: bool, load: float) -> str:
    if ok:
        return "PASS"
    # a measurement taken with other jobs on the cores says little about the target
    return "NOT MET" + (f" (loaded: {load:.1f} on {CORES} cores)" if load > CORES else "")


def _phases(ph: dict) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in ph.items()) or "–"


def render(name: str, r: dict, load, a) -> dict:
    """Rows of the runner's results table and the detail lines of one measurement."""
    mean_load = (load[0][0] + load[1][0]) / 2
    lt = _load_text(load)
    rows, detail = [], []
    if name == "overhead":
        m = r["medians"]
        rows += [
            f"| fixed overhead per unit, warm kernel vs fresh kernel (median of {r['n']['warm']} / {r['n']['fresh']}) "
            f"| {m['warm']:.3f} s | {m['fresh']:.3f} s | {m['fresh'] / m['warm']:.1f}x | | {lt} |",
            f"| fixed overhead per unit, warm kernel vs papermill default + `nbconvert` subprocess (median of "
            f"{r['n']['papermill+nbconvert']}) | {m['warm']:.3f} s | {m['papermill+nbconvert']:.3f} s | "
            f"{m['papermill+nbconvert'] / m['warm']:.1f}x | | {lt} |",
            f"| warm kernel start + imports (once per worker), kernel started as a process (`--jobs 1`, Dask "
            f"workers) | {r['warm_start']:.2f} s | | | | {lt} |",
        ]
        if "pool_start" in r:
            ps = r["pool_start"]
            rows.append(f"| local pool of 2 workers ready with warm kernels (forked from the pool's server; median of "
                        f"{ps['rounds']}, the server running) | {ps['running']:.2f} s | | | | {lt} |")
            rows.append(f"| the same, this process's first pool (the server's start and imports included) | "
                        f"{ps['first']:.2f} s | | | | {lt} |")
        detail.append("Overhead = wall time of `runner.execute_unit` (papermill, parameters, HTML export, JSON) minus "
                      "the duration papermill records for the notebook's computation cell; the notebook imports the "
                      "unit-report stack (numpy, pandas, matplotlib, evaltools statistics).")
    elif name == "jobs":
        r1, r2 = r["runs"][1], r["runs"][2]
        ok = r["speedup"] >= 1.8
        rounds = (f"; median of {len(r['ratios'])} rounds: " + ", ".join(
            f"{w1:.1f} / {w2:.1f} s = {q:.2f}x" for (w1, w2), q in zip(r["walls"], r["ratios"]))) \
            if "ratios" in r else ""
        rows.append(f"| real unit report, {r['units']} units end to end, `--jobs 2` vs `--jobs 1` (warm kernels, "
                    f"each run a fresh process{rounds}) | "
                    f"{r2['wall']:.1f} s | {r1['wall']:.1f} s | {r['speedup']:.2f}x | >= 1.8x: "
                    f"{_status(ok, mean_load)} | {lt} |")
        if "ceiling" in r:
            c = r["ceiling"]
            rows.append(f"| floor of the same run: the sample's median unit computed {c['n']} times in one process "
                        f"alone ({min(c['alone']):.1f} s; {max(c['alone']):.1f} s when run again after) and in two "
                        f"processes at once ({' and '.join(f'{t:.1f}' for t in c['pair'])} s): the throughput two cores "
                        f"give two identical jobs | "
                        f"{max(c['pair']):.1f} s | {min(c['alone']):.1f} s | {c['ceiling']:.2f}x | "
                        f"`--jobs 2` reached {r['speedup'] / c['ceiling']:.0%} of it | {lt} |")
        for j, rr in ((1, r1), (2, r2)):
            detail.append(f"- `--jobs {j}`: {rr['wall']:.1f} s wall, {rr['cpu']:.1f} CPU s in all processes "
                          f"(load {rr['load']:.1f}); median unit {rr['median_unit']:.2f} s; phases in the runner: "
                          f"{_phases(rr['phases'])} (units overlap partitioning).")
    elif name == "national":
        ok = r["wall"] < 240
        rows.append(f"| 1,000-unit simulated study ({r['units']} pilot units, {r['failed']} failed), end to end, "
                    f"`--jobs {a.jobs}` | {r['wall'] / 60:.1f} min | | | < 4 min: {_status(ok, mean_load)} | {lt} |")
        detail.append(f"- 1,000-unit study: {r['cpu']:.0f} CPU s in all processes (load {r['load']:.1f}); median unit "
                      f"{r['median_unit']:.2f} s; briefing ok: {r['briefing_ok']}; phases: {_phases(r['phases'])}.")
    elif name == "cluster":
        worst = max(r["peaks"].values())
        size = f"{r['n_units']:,}-unit"
        full = r["n_units"] >= 5000
        rows.append(f"| {size} partitioned study ({r['units']} pilot units, {r['failed']} failed) on a local Dask "
                    f"cluster, 2 worker processes, end to end | {r['wall'] / 60:.1f} min; largest process "
                    f"{worst:.0f} MB | | | < 2 GB per process: {'PASS' if worst < 2048 else 'NOT MET'}"
                    f"{'' if full else ' (not the 5,000-unit run: a smoke at this size)'} | {lt} |")
        detail += [f"- cluster run: {r['cpu']:.0f} CPU s in all processes (load {r['load']:.1f}); briefing ok: "
                   f"{r['briefing_ok']}; phases in the runner: {_phases(r['phases'])}. Peak resident memory (MB):",
                   "", "| process | peak RSS (MB) |", "|---|---|"]
        detail += [f"| {k} | {v:.0f} |" for k, v in sorted(r["peaks"].items())] + [""]
    elif name == "profile":
        ok = r["wall"] <= 0.3
        runs = r.get("runs", 7)
        fastest = f"; fastest {r['fastest']:.3f} s" if "fastest" in r else ""
        if "partition_load" in r:
            fastest += f"; before it, the notebook's load of the unit's partition: {r['partition_load']:.3f} s"
        rows.append(f"| one typical unit report's computation ({r['unit']!s}, {r['n_subjects']} employees), "
                    f"in-process in a warm kernel's state, a new study object per run, median of {runs}{fastest}: "
                    f"wall (CPU s of the process) | "
                    f"{r['wall']:.3f} s ({r['cpu']:.3f} CPU s) | | | <= 0.3 s: {_status(ok, mean_load)} | {lt} |")
        detail += ["Where that unit's computation goes (cProfile, cumulative seconds of public evaltools functions; "
                   "nested calls count in their callers too, and profiling inflates every call):", "",
                   "| function | cumulative s |", "|---|---|"]
        detail += [f"| `{fn}` | {ct:.3f} |" for ct, fn in r["top"]] + [""]
    return {"rows": rows, "detail": detail}


def _page(recorded: dict) -> str:
    lines = ["## Runner (`evaltools.runner`)", "",
             f"Machine: {CORES} cores, shared with other jobs; each row says the 1-minute load average before -> "
             f"after its measurement and the date it was taken (a part rerun alone, e.g. `--only jobs`, replaces "
             f"only its own rows). Python {sys.version.split()[0]}. \"NOT MET (loaded ...)\" is a target missed while "
             f"other jobs held the cores; the CPU seconds of all processes in the notes below are what each run "
             f"cost whatever the load.", "",
             "| measure | ours | peer | ratio (peer / ours) | target | load avg (date) |", "|---|---|---|---|---|---|"]
    for name in PARTS:
        part = recorded.get(name)
        if part:
            lines += [row[: row.rindex("|")].rstrip() + f" ({part['date']}) |" for row in part["rows"]]
    lines.append("")
    missing = [name for name in PARTS if name not in recorded]
    if missing:
        lines += [f"Not measured with this code yet: {', '.join(missing)} (`python benchmarks/bench_runner.py "
                  f"--national` measures every part; `--only {' '.join(missing)}` these).", ""]
    for name in PARTS:
        part = recorded.get(name)
        if part and part["detail"]:
            lines += part["detail"] + [""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
