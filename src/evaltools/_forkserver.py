"""Where the local pool's workers come from; startable before the caller's own imports.

Kept free of imports beyond the standard library: the command line starts the fork server
first thing (:func:`start_early`), so the server's imports (:mod:`evaltools._pool_server`:
papermill, nbconvert, the report pages) run on one core while the command imports pandas,
pyarrow and the runner on the other, instead of one after the other.
"""
from __future__ import annotations

import multiprocessing as mp

#: what the fork server imports before it forks the first worker
PRELOAD = ["evaltools._pool_server"]


def pool_context():
    """A fork server that has imported the unit task's modules, else spawn.

    Neither inherits the caller's threads or zmq state. A spawned worker imports papermill,
    nbconvert and the report stack itself (about 1.6 s of CPU each) and first re-runs the
    caller's script; a worker forked from the server (started once per process, with
    :data:`PRELOAD` imported) starts with all of it in memory. The server's environment is
    that of its start: the pool's initializer gives each pool's workers the caller's
    environment of the moment.

    Examples
    --------
    >>> pool_context().get_start_method() in ("forkserver", "spawn")
    True
    """
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    # read when the server starts (the first pool of this process); later pools reuse it
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early() -> bool:
    """Start the fork server now, without waiting for its imports; True when there is one.

    The first pool's first worker then waits only for what is left of them.
    """
    if pool_context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return True
