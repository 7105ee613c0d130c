"""evaltools: evaluation toolkit for staged pilot rollouts of ASN performance appraisal.

``load_study`` reads and validates a study; the statistics live in
``evaltools.reliability``, ``evaltools.calibration`` and ``evaltools.pilot``; the
reports in ``evaltools.report`` and ``evaltools.runner``. Submodules, and the names
above, are imported on first use so that ``import evaltools`` stays cheap.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# each name from its module on first use: the command line starts its worker pool's server
# before it imports pandas (evaltools._forkserver)
_LAZY = {"DataError": "_errors", "Study": "data", "load_study": "data",
         "simulate_study": "simulate", "write_study": "simulate"}
_SUBMODULES = ("reliability", "calibration", "pilot", "simulate", "plots", "report", "runner", "cli", "data")

__all__ = ["DataError", "Study", "load_study", "simulate_study", "write_study", "__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evaltools' has no attribute {name!r}")
