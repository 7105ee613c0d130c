"""Kernels forked from a pool worker's zygote: the same kernel as a started one, gone with the worker."""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

from evaltools import _executors, _kernel_fork, _kernels

pytestmark = pytest.mark.skipif(sys.platform == "win32" or not Path("/proc/self/stat").exists(),
                                reason="needs a fork server and /proc (Linux)")

CELLS = [
    "import os, sys, matplotlib, numpy as np\n"
    "print(os.environ.get('OPENBLAS_NUM_THREADS'), matplotlib.get_backend(), sys.argv[1:2], os.getcwd() == cwd)",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)\nax.plot([0, 1], [1, 0]);",
    "import warnings\nwarnings.warn('seen')\nprint(np.random.rand())",
]


def _outputs(nb) -> list:
    # a traceback or warning names the cell's file under /tmp/ipykernel_<kernel pid>/
    def same(o):
        o = {k: v for k, v in o.items() if k != "execution_count"}
        return {**o, "text": re.sub(r"ipykernel_\d+", "ipykernel_N", o["text"])} if "text" in o else o

    return [[same(o) for o in c.get("outputs", [])] for c in nb.cells if c.cell_type == "code"]


def _state(pid: int) -> str | None:
    """The process's state letter, None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_forked_kernel_runs_a_notebook_as_a_started_kernel_does(tmp_path):
    """Same printed environment (single-threaded BLAS, the inline backend, the launcher's
    arguments, the working directory), the same figure bytes, the same warning and seeded
    draw: a pool worker's kernel (forked) against this process's (a new process)."""
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("cwd = ''")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *map(nbformat.v4.new_code_cell, CELLS)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "probe.ipynb"
    nbformat.write(nb, src)
    opts = dict(engine_name="evaltools-fresh", kernel_name="python3", progress_bar=False,
                parameters={"cwd": str(tmp_path)}, kernel_cwd=str(tmp_path), seed=3)
    _kernels.register_engines()
    here = pm.execute_notebook(str(src), str(tmp_path / "here.ipynb"), **opts)
    pool = _executors.start_pool(1, engine="fresh")
    try:
        there = pool.submit(pm.execute_notebook, str(src), str(tmp_path / "there.ipynb"), **opts).result(timeout=300)
        zygote = pool.submit(_kernel_fork.zygote_pid).result(timeout=60)
    finally:
        pool.shutdown()
    assert zygote is not None  # the worker had a zygote, so its kernel was forked
    got, want = _outputs(there), _outputs(here)
    assert got == want
    printed, figure = got[-3][0], got[-2][0]  # after the parameters and papermill's injected cell
    assert printed["text"].split() == ["1", "module://matplotlib_inline.backend_inline", "['-f']", "True"]
    assert "image/png" in figure["data"]


def test_the_warm_kernel_is_the_zygotes_child_and_stops_with_its_worker():
    pool = _executors.start_pool(1)  # warm: the worker starts its kernel at once
    try:
        assert pool.submit(_kernels.warm_up).result(timeout=300)
        kernel = pool.submit(_kernels.warm_kernel_pid).result(timeout=60)
        zygote = pool.submit(_kernel_fork.zygote_pid).result(timeout=60)
        worker = pool.submit(os.getpid).result(timeout=60)
        assert None not in (kernel, zygote)
        assert _ppid(kernel) == zygote and _ppid(zygote) == worker
    finally:
        pool.shutdown()
    # the worker exits without atexit handlers: its zygote sees the socket close and the
    # kernel sees its parent go (ipykernel polls each second)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and {_state(kernel), _state(zygote)} - {None, "Z"}:
        time.sleep(0.2)
    assert _state(kernel) in (None, "Z") and _state(zygote) in (None, "Z")


def test_this_process_starts_its_kernels_as_processes():
    # the runner's own process (``--jobs 1``) and Dask workers have no zygote
    assert _kernel_fork.zygote_pid() is None
    km, kc = _kernels.start_kernel("python3", 60, None)
    try:
        assert type(km.provisioner).__name__ == "LocalProvisioner"
        assert _ppid(km.provisioner.pid) == os.getpid()
    finally:
        kc.stop_channels()
        from jupyter_core.utils import run_sync

        run_sync(km.shutdown_kernel)(now=True)


def _kill_zygote_then_start_a_kernel() -> tuple:
    import signal

    zygote = _kernel_fork.zygote_pid()
    os.kill(zygote, signal.SIGKILL)
    while _state(zygote) not in (None, "Z"):  # the worker does not reap it: a zombie once dead
        time.sleep(0.01)
    km, kc = _kernels.start_kernel("python3", 60, None)
    try:
        return type(km.provisioner).__name__, _ppid(km.provisioner.pid) == os.getpid(), _kernel_fork.zygote_pid()
    finally:
        kc.stop_channels()
        from jupyter_core.utils import run_sync

        run_sync(km.shutdown_kernel)(now=True)


def test_a_worker_whose_zygote_died_starts_its_kernel_as_a_process():
    pool = _executors.start_pool(1, engine="fresh")
    try:
        name, own_child, zygote = pool.submit(_kill_zygote_then_start_a_kernel).result(timeout=300)
    finally:
        pool.shutdown()
    assert own_child and zygote is None  # started by the worker itself; the zygote given up
    assert name == "ForkProvisioner"      # which fell back to jupyter_client's own launch


def _run_twice(src: str, out: str) -> tuple:
    """In a worker: a notebook whose kernel dies, then the same notebook told to live."""
    import papermill as pm

    opts = dict(engine_name="evaltools-warm", kernel_name="python3", progress_bar=False)
    try:
        pm.execute_notebook(src, out, parameters={"die": True}, **opts)
        died = False
    except Exception as exc:  # the kernel's death, as papermill reports it
        died = type(exc).__name__
    first = _kernels.warm_kernel_pid()
    nb = pm.execute_notebook(src, out, parameters={"die": False}, **opts)
    second = _kernels.warm_kernel_pid()
    return died, first, _ppid(second) == _kernel_fork.zygote_pid(), nb.cells[-1].outputs[0]["text"].strip()


def test_a_kernel_that_dies_mid_notebook_is_replaced_by_a_new_forked_one(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("die = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import os\nif die:\n    os._exit(3)"),
                nbformat.v4.new_code_cell("print('alive', os.getppid() != 1)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "die.ipynb"
    nbformat.write(nb, src)
    pool = _executors.start_pool(1, engine="fresh")
    try:
        died, first, forked, printed = pool.submit(_run_twice, str(src), str(tmp_path / "out.ipynb")).result(timeout=300)
    finally:
        pool.shutdown()
    assert died and first is None          # the dead kernel was let go
    assert forked and printed == "alive True"   # the next one was forked from the zygote too


def _time_out_then_run(src: str, out: str) -> tuple:
    """In a worker: a notebook past its time limit (its kernel is killed), then one that finishes."""
    import papermill as pm

    opts = dict(engine_name="evaltools-warm", kernel_name="python3", progress_bar=False)
    assert _kernels.warm_up()
    stuck = _kernels.warm_kernel_pid()
    t0 = time.monotonic()
    try:
        pm.execute_notebook(src, out, parameters={"wait": 120}, execution_timeout=2, **opts)
        raised = False
    except Exception:
        raised = True
    waited = time.monotonic() - t0
    deadline = time.monotonic() + 10
    while _state(stuck) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = _state(stuck) in (None, "Z")
    pm.execute_notebook(src, out, parameters={"wait": 0}, **opts)
    return raised, waited, gone, _kernels.warm_kernel_pid() not in (None, stuck)


def test_a_forked_kernel_past_its_time_limit_is_killed_and_replaced(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("wait = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import time\ntime.sleep(wait)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "slow.ipynb"
    nbformat.write(nb, src)
    pool = _executors.start_pool(1, engine="fresh")
    try:
        raised, waited, gone, replaced = pool.submit(_time_out_then_run, str(src),
                                                     str(tmp_path / "out.ipynb")).result(timeout=300)
    finally:
        pool.shutdown()
    assert raised and waited < 60   # stopped at its limit, not after the cell's two minutes
    assert gone and replaced
