"""Papermill engines for the report kernels: ``evaltools-fresh`` and ``evaltools-warm``.

Module-level engine classes, registered with papermill's engine registry by
:func:`register_engines` (the runner calls it before executing). There is no
``papermill.engine`` entry point on purpose: papermill loads its entry points while it is
itself being imported, and this module imports papermill, so an entry point pointing here
makes ``import evaltools._kernels`` circular on a fresh installation.

* ``evaltools-fresh``: one new kernel per notebook, shut down immediately (not gracefully:
  a graceful shutdown sometimes waits seconds for nothing), started again once if the first
  start fails (two kernels starting at once can race for an address).
* ``evaltools-warm``: each worker thread keeps one kernel with the analysis stack imported
  (:func:`prepare_kernel`) and, before each notebook, resets its namespace, matplotlib state,
  warnings filters, working directory and random seeds (:func:`reset_kernel`), so a notebook
  costs its own computation and little else.

Both engines take two extra keywords from ``papermill.execute_notebook``: ``kernel_cwd``
(the kernel's working directory) and ``seed`` (Python and NumPy seeds set before the first
cell, so both engines give the same results).

Examples
--------
>>> register_engines()
>>> from papermill.engines import papermill_engines
>>> papermill_engines.get_engine("evaltools-warm") is WarmEngine
True
"""
from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from evaltools import _kernel_fork
from evaltools._kernel_state import THREAD_VARS, prepare_kernel, reset_kernel


def _import_jsonschema() -> None:
    """Import jsonschema (under nbformat and papermill) without building the IRI grammar.

    jsonschema checks the "iri" string format with rfc3987_syntax when that is installed
    (JupyterLab's dependencies bring it), and rfc3987_syntax builds a parser at import: 2.0 s
    of every process that imports papermill. The notebook schema uses no such format and
    jsonschema treats the module as optional, so it is hidden while jsonschema is imported
    (only then: a later ``import rfc3987_syntax`` works as usual).
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
    finally:
        del sys.modules["rfc3987_syntax"]


_import_jsonschema()

from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import NBClientEngine, papermill_engines  # noqa: E402
from papermill.log import logger  # noqa: E402
from papermill.utils import merge_kwargs, remove_args  # noqa: E402

__all__ = ["FreshEngine", "WarmEngine", "KERNEL_ENGINES", "kernel_env", "prepare_kernel", "register_engines",
           "reset_kernel", "shutdown_warm", "start_kernel", "warm_up"]

_KERNEL_START_ATTEMPTS = 2

# Executed once in a warm kernel: the imports every unit notebook needs, then a snapshot of
# the state that reset_kernel restores before each notebook.
_WARM_PRELUDE = "__import__('evaltools._kernel_state')._kernel_state.prepare_kernel()"
# binds no name: the reset empties the namespace it runs in
_WARM_RESET = "__import__('evaltools._kernel_state')._kernel_state.reset_kernel({cwd!r}, {seed})"


class _WarmSlot(threading.local):
    km: Any = None
    kc: Any = None
    kernel_name: str | None = None


_WARM = _WarmSlot()
#: warm kernels this process started ahead of a notebook (:func:`warm_up`); read by the tests
WARM_STARTS = 0


def shutdown_warm() -> None:
    """Stop this thread's warm kernel now (also registered with atexit)."""
    km, kc = _WARM.km, _WARM.kc
    _WARM.km = _WARM.kc = None
    if km is None:
        return
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        if kc is not None:
            kc.stop_channels()
    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(km.cleanup_resources)()


def kernel_env() -> dict[str, str]:
    """The environment of a report kernel: this process's, with single-threaded BLAS.

    The runner's parallelism is across units (``--jobs`` kernels side by side); a unit's
    matrices are small, and OpenBLAS threads that busy-wait for a core another kernel holds
    make every kernel slower: on this 2-core machine four sample-study unit reports took
    7.5 s with OpenBLAS's default threads and 3.9 s with one thread (one kernel), and two
    kernels side by side took 14.1 s each against 8.0 s. A value the user exported wins.

    Examples
    --------
    >>> "OPENBLAS_NUM_THREADS" in kernel_env()
    True
    """
    env = dict(os.environ)
    for var in THREAD_VARS:
        env.setdefault(var, "1")
    return env


def start_kernel(kernel_name: str, startup_timeout: float, cwd: str | None):
    """Start a kernel and a ready client; try once more if the first start fails.

    Two kernels starting at the same moment can collide (a port, a connection file); the
    second attempt gets fresh addresses. Unix sockets are used where available.
    """
    from jupyter_client import manager
    from jupyter_core.utils import run_sync

    last: BaseException | None = None

    for _attempt in range(_KERNEL_START_ATTEMPTS):
        opts: dict[str, Any] = {"kernel_name": kernel_name}
        if os.name == "posix":
            # Unix sockets: no TCP port to race for, nothing listening on the network
            sock_dir = Path(tempfile.gettempdir()) / f"evaltools-{os.getuid()}"
            sock_dir.mkdir(mode=0o700, exist_ok=True)
            opts.update(transport="ipc", ip=str(sock_dir / f"k-{uuid.uuid4().hex[:12]}"))
        km = manager.AsyncKernelManager(**opts)
        forked = _kernel_fork.provisioner(km)  # in a pool worker: forked from its zygote
        if forked is not None:
            km.provisioner = forked
        # history in memory, as nbclient does: no sqlite file shared (and locked) by parallel kernels
        start: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                                 "extra_arguments": ["--HistoryManager.hist_file=:memory:"],
                                 "env": kernel_env()}
        if cwd:
            start["cwd"] = cwd
        try:
            run_sync(km.start_kernel)(**start)
            kc = km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=startup_timeout)
            return km, kc
        except Exception as exc:  # port race, slow start: clean up and try again
            last = exc
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()
    raise RuntimeError(f"kernel failed to start twice: {last}") from last


def warm_kernel_pid() -> int | None:
    """The process id of this thread's warm kernel (None without one)."""
    prov = getattr(_WARM.km, "provisioner", None)
    return getattr(prov, "pid", None)


def _execute_quiet(kc, code: str, timeout: float) -> dict:
    """Run ``code`` in the kernel behind ``kc`` without output; the shell reply's content."""
    from jupyter_core.utils import run_sync

    msg_id = kc.execute(code, silent=True, store_history=False)
    deadline = time.monotonic() + timeout
    while True:
        msg = run_sync(kc.get_shell_msg)(timeout=max(deadline - time.monotonic(), 0.1))
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg.get("content", {})


def warm_up(kernel_name: str = "python3", startup_timeout: float = 60.0) -> bool:
    """Start this thread's warm kernel and import the analysis stack, ahead of its first notebook.

    A worker calls this while the runner is still loading the study, so the first unit
    does not wait for the kernel (the ``evaltools-warm`` engine reuses it). Returns True
    when a kernel is ready.
    """
    if _WARM.km is not None and _WARM.kernel_name == kernel_name:
        return True
    global WARM_STARTS
    WARM_STARTS += 1
    _WARM.km, _WARM.kc = start_kernel(kernel_name, startup_timeout, None)
    _WARM.kernel_name = kernel_name
    atexit.register(shutdown_warm)
    content = _execute_quiet(_WARM.kc, _WARM_PRELUDE, timeout=300)
    if content.get("status") != "ok":
        shutdown_warm()
        raise RuntimeError(f"warm kernel preparation failed: {content.get('ename')}: {content.get('evalue')}")
    return True


def _client_kwargs(kernel_name, log_output, stdout_file, stderr_file, start_timeout, execution_timeout,
                   kwargs):
    # the keyword handling of papermill's NBClientEngine.execute_managed_notebook
    kwargs = remove_args(["input_path"], **kwargs)
    safe = remove_args(["timeout", "startup_timeout"], **kwargs)
    return merge_kwargs(safe, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)


class FreshEngine(NBClientEngine):
    """One new kernel per notebook; started again once on failure, shut down immediately."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        from jupyter_core.utils import run_sync

        cwd = kwargs.pop("kernel_cwd", None)
        seed = int(kwargs.pop("seed", 0) or 0)
        km, kc = start_kernel(kernel_name, start_timeout, cwd)
        final = _client_kwargs(kernel_name, log_output, stdout_file, stderr_file, start_timeout,
                               execution_timeout, kwargs)
        client = PapermillNotebookClient(nb_man, km=km, **final)
        client.kc = kc
        try:
            # same seeds and working directory as a warm kernel gets, so both engines agree
            client.wait_for_reply(kc.execute(_WARM_RESET.format(cwd=str(cwd or os.getcwd()), seed=seed),
                                             silent=True, store_history=False))
            return client.execute()
        finally:
            with contextlib.suppress(Exception):
                kc.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()


class WarmEngine(NBClientEngine):
    """Reuse this worker's kernel: reset it, then run the notebook's cells in it."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        cwd = kwargs.pop("kernel_cwd", None) or os.getcwd()
        seed = int(kwargs.pop("seed", 0) or 0)
        final = _client_kwargs(kernel_name, log_output, stdout_file, stderr_file, start_timeout,
                               execution_timeout, kwargs)
        alive = _WARM.km is not None and _WARM.kernel_name == kernel_name
        if alive:
            from jupyter_core.utils import run_sync

            try:
                alive = bool(run_sync(_WARM.km.is_alive)())
            except Exception:
                alive = False
            if not alive:
                shutdown_warm()
        if not alive:
            _WARM.km, _WARM.kc = start_kernel(kernel_name, start_timeout, cwd)
            _WARM.kernel_name = kernel_name
            atexit.register(shutdown_warm)
            client = PapermillNotebookClient(nb_man, km=_WARM.km, **final)
            client.kc = _WARM.kc
            client.wait_for_reply(_WARM.kc.execute(_WARM_PRELUDE, silent=True, store_history=False))
        client = PapermillNotebookClient(nb_man, km=_WARM.km, **final)
        client.kc = _WARM.kc
        reply = client.wait_for_reply(
            _WARM.kc.execute(_WARM_RESET.format(cwd=str(cwd), seed=seed), silent=True, store_history=False))
        if reply is None or reply.get("content", {}).get("status") != "ok":
            # a kernel we cannot reset cannot be trusted for the next unit
            content = (reply or {}).get("content", {})
            shutdown_warm()
            raise RuntimeError(f"warm kernel reset failed: {content.get('ename')}: {content.get('evalue')}")
        try:
            return client.execute()
        except BaseException:
            # a kernel that died or timed out mid-notebook is replaced on the next unit
            shutdown_warm()
            raise


#: engine name (``--engine``) -> papermill engine class
KERNEL_ENGINES: dict[str, type[NBClientEngine]] = {"fresh": FreshEngine, "warm": WarmEngine}


def register_engines() -> None:
    """Register the engines with papermill under ``evaltools-<name>`` (idempotent).

    Registration is explicit rather than by entry point (see the module docstring).
    """
    for name, engine in KERNEL_ENGINES.items():
        papermill_engines.register(f"evaltools-{name}", engine)
