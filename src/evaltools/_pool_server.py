"""Imported once by the fork server the local pool's workers are forked from.

The server imports the unit task's modules (papermill, nbconvert, the report pages) and
renders one empty page, which compiles the page template; each worker forked from it
starts with all of that in memory instead of paying it before its first unit (1.6 s of
imports and 0.35 s for the first page here, per worker).
"""
from __future__ import annotations

import contextlib

from evaltools import _executors

with contextlib.suppress(Exception):   # a worker without it warms up on its first unit
    _executors.prewarm_worker()
