"""Imported once by the fork server the local pool's workers are forked from.

The server imports the unit task's modules (papermill, nbconvert, the report pages) and
renders one empty page, which compiles the page template; then what a report kernel imports
(ipykernel, numpy, pandas, matplotlib, scipy, the evaltools statistics), so that each
worker's kernel is forked with all of it in memory (:mod:`evaltools._kernel_fork`). A worker
forked from it starts without paying any of that before its first unit (1.6 s of imports and
0.35 s for the first page here, per worker; its kernel's start and imports, 2.3 CPU-s).
"""
from __future__ import annotations

import contextlib
import gc
import os

from evaltools._kernel_state import THREAD_VARS, import_stack

# numpy reads these when it loads, here, for every kernel forked from this process: the
# single-threaded BLAS of a report kernel (evaltools._kernels.kernel_env); a value the user
# exported wins. Workers get the caller's own environment back (evaltools._executors._worker_init).
for _var in THREAD_VARS:
    os.environ.setdefault(_var, "1")

from evaltools import _executors, _kernel_fork  # noqa: E402

with contextlib.suppress(Exception):   # a worker without it warms up on its first unit
    _executors.prewarm_worker()
with contextlib.suppress(Exception):   # without them, kernels are started as new processes
    import ipykernel.kernelapp  # noqa: F401

    import_stack()
    _kernel_fork.STACK_LOADED = True
# what is loaded now lives as long as the server and its children: the collector need not
# walk it (and touch, so copy, the pages the children share)
gc.freeze()
