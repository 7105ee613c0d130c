"""The simulated study the report's docstring examples run on (one setup, not one per example)."""
from __future__ import annotations

import tempfile
import weakref
from typing import Any


def example_study(**simulate: Any) -> Any:
    """A study simulated by ``evaltools.simulate.simulate_study(**simulate)``, loaded from a
    temporary folder that is removed when the study is (or at exit).

    Examples
    --------
    >>> study = example_study(n_units=4, subjects_per_unit=(6, 6), seed=1)
    >>> len(study.units)
    4
    """
    import evaltools
    from evaltools.simulate import simulate_study

    tmp = tempfile.TemporaryDirectory()
    study = evaltools.load_study(simulate_study(**simulate).write(tmp.name))
    weakref.finalize(study, tmp.cleanup)  # the study may read its files lazily: the folder lives as long
    return study
