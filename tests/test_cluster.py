"""A real Dask cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The same small study runs through ``--scheduler`` and on this machine; every unit's
recorded results must be equal. The processes are started and stopped by the test; it
skips with the reason where the loopback interface cannot be opened.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaltools import cli

pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")


def _loopback_ok() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if DASK is None:
        pytest.skip("the `dask` command is not on the path")
    if not _loopback_ok():
        pytest.skip("cannot open a port on 127.0.0.1")
    tmp = tmp_path_factory.mktemp("cluster")
    sched_file = tmp / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    logs = [open(tmp / f"{n}.log", "wb") for n in ("scheduler", "worker1", "worker2")]
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file)], env=env, stdout=logs[0],
                              stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            if procs[0].poll() is not None:
                pytest.skip(f"dask scheduler did not start: {(tmp / 'scheduler.log').read_text()[-500:]}")
            time.sleep(0.2)
        if not sched_file.exists():
            pytest.skip("dask scheduler did not write its address within 60 s")
        address = json.loads(sched_file.read_text())["address"]
        for log in logs[1:]:
            procs.append(subprocess.Popen([DASK, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"], env=env, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=tmp))
        from distributed import Client

        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from evaltools.simulate import simulate_study

    sim = simulate_study(seed=3, n_units=4, n_regions=1, subjects_per_unit=(8, 10), waves=["2024-S1"],
                         control_share=0.5)
    path = tmp_path_factory.mktemp("study") / "klaster"
    sim.write(path)
    return path


def _records(run_dir: Path) -> dict:
    out = {}
    for f in sorted((run_dir / "units").glob("*.json")):
        doc = json.loads(f.read_text())
        doc.pop("library_version", None)
        out[f.name] = doc
    return out


def test_cluster_run_equals_local_run(cluster, study, tmp_path):
    from evaltools import runner

    assert cli.main(["run", "--study", str(study), "--out", str(tmp_path / "dask"), "--scheduler", cluster,
                     "--no-progress"]) == 0
    # the local side: both units in this process, no briefing (the cluster run checks that one)
    local_res = runner.run(study, tmp_path / "local", jobs=1, progress=False, briefing=False)
    assert local_res.ok
    remote, local = _records(tmp_path / "dask" / "klaster"), _records(local_res.run_dir)
    assert len(local) == 2 and remote == local
    man = json.loads((tmp_path / "dask" / "klaster" / "manifest.json").read_text())
    assert man["briefing"]["status"] == "ok"
    assert all(e["status"] == "ok" for e in man["units"].values())
    # every worker started its kernel ahead of its first notebook (runner.warm_dask), the
    # worker that had no unit to run included
    from distributed import Client

    with Client(cluster, timeout=30) as c:
        starts = c.run(lambda: __import__("evaltools._kernels", fromlist=["x"]).WARM_STARTS)
    assert len(starts) == 2 and all(n == 1 for n in starts.values()), starts
