"""What a warm report kernel runs in itself: the imports once, the reset before each notebook.

Kept apart from :mod:`evaltools._kernels` (the engines, on the runner's side) so that a
kernel imports the analysis stack only: papermill and nbformat pull in jsonschema's format
checkers, about 2.4 s of a kernel's start here.
"""
from __future__ import annotations

import gc
import importlib
import os
import random
import sys
import warnings
from typing import Any

#: math-library thread pools a report kernel gets one thread of, unless the user set them
#: (read when numpy loads: :func:`evaltools._kernels.kernel_env` and the pool's fork server)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")
_WARM_IMPORTS = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "evaltools", "evaltools.report",
                 "evaltools.plots", "evaltools.reliability", "evaltools.calibration", "evaltools.pilot")
_KSTATE: dict[str, Any] = {}


def import_stack() -> None:
    """Import what every unit notebook uses (in a kernel, or in a process kernels are forked from)."""
    for mod in _WARM_IMPORTS:
        importlib.import_module(mod)
    # the lazily exported pilot functions import their submodules on first attribute access
    import evaltools.pilot as pilot

    for name in pilot.__all__:
        getattr(pilot, name)


def prepare_kernel() -> None:
    """(In a kernel.) Import the analysis stack once and snapshot the state to restore."""
    import_stack()
    import matplotlib

    _KSTATE["rc"] = dict(matplotlib.rcParams)
    _KSTATE["warnings"] = list(warnings.filters)
    _KSTATE["path"] = list(sys.path)
    # The reset between notebooks (IPython's reset) runs a full garbage collection, which
    # walked every object of the imported stack each time: 120 ms of a unit's 0.7 s. The
    # stack lives as long as the kernel, so it moves to the permanent generation once and
    # each collection walks only what the last notebook made.
    gc.collect()
    gc.freeze()


def _restore_warning_filters(saved: list) -> None:
    # through the public API, which also invalidates the "already warned" registries
    warnings.resetwarnings()
    for action, message, category, module, lineno in reversed(saved):
        # entries hold compiled patterns, or plain strings when added to the list directly
        warnings.filterwarnings(action, getattr(message, "pattern", message) or "", category,
                                getattr(module, "pattern", module) or "", lineno)


def reset_kernel(cwd: str, seed: int = 0) -> None:
    """(In a kernel.) Make the kernel look fresh: namespace, figures, rcParams, warnings, seeds, cwd."""
    from IPython import get_ipython

    ip = get_ipython()
    ip.reset(new_session=True)  # user namespace, Out history and execution count
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    if "rc" in _KSTATE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_KSTATE["rc"])
    if "warnings" in _KSTATE:
        _restore_warning_filters(_KSTATE["warnings"])
    if "path" in _KSTATE:
        sys.path[:] = _KSTATE["path"]
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    os.chdir(cwd)


