"""The post-pilot window over which a pilot unit still has control units to compare with.

In a staged rollout where every unit pilots sooner or later, no unit stays untreated over
an early unit's whole post period; the units of later waves are its controls until they
start themselves (not-yet-treated controls; Callaway & Sant'Anna 2021, sec. 2.2). The
window is chosen from the rollout dates alone, never from the outcomes, so picking it is
no search for a significant result.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd


@dataclasses.dataclass(frozen=True)
class ControlWindow:
    """Which post periods a pilot unit's effect is measured over, and against which units.

    Attributes
    ----------
    post_periods : int or None
        Number of post periods from the unit's first pilot period on; None: all of them.
    n_controls : int
        Units other than the pilot unit not piloting in any period of that window.
    controls : str
        ``"never"`` (none of them pilots before the panel ends) or ``"not_yet"`` (some
        start later in the panel and count as controls until then).
    first_period, last_period : Any
        The window's first and last period labels.
    """

    post_periods: int | None
    n_controls: int
    controls: str
    first_period: Any
    last_period: Any

    def to_frame(self) -> pd.DataFrame:
        """One row with the attributes as columns."""
        return pd.DataFrame([dataclasses.asdict(self)])


def control_window(data: pd.DataFrame, *, unit: Any, unit_col: str = "unit", period: str = "period",
                   first_treated: str = "first_treated", min_controls: int = 2) -> ControlWindow:
    """The longest post window, from the unit's first pilot period on, with ``min_controls`` controls.

    The whole post period when at least ``min_controls`` units never pilot in the panel;
    otherwise the longest window that ends before enough later-wave units start (they are
    its not-yet-treated controls); short of that, the longest window with one control (an
    estimate without a test); else the whole post period (the unit's estimate says why). Pass ``post_periods`` to
    :func:`evaltools.pilot.unit_effect`.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per (unit, period), as for ``unit_effect``.
    unit : the pilot unit.
    unit_col, period, first_treated : str
        Column names (``first_treated`` as for ``unit_effect``).
    min_controls : int
        Controls the window must leave (2: the prediction test of ``unit_did_test`` needs
        two controls to estimate their spread).

    Returns
    -------
    ControlWindow

    Examples
    --------
    Four units pilot one period apart and none stays out: the first is measured over the
    two periods before the third one starts, against the third and the fourth.

    >>> df = pd.DataFrame({"unit": ["A", "B", "C", "D"] * 5, "period": [p for p in range(1, 6) for _ in "ABCD"],
    ...                    "first_treated": [2, 3, 4, 5] * 5, "y": 0.0})
    >>> w = control_window(df, unit="A")
    >>> w.post_periods, w.n_controls, w.controls, w.last_period
    (2, 2, 'not_yet', 3)
    >>> control_window(df.assign(first_treated=[2, 0, 0, 5] * 5), unit="A").post_periods is None
    True
    """
    from evaltools.pilot._panel import _first_treated_pos, _period_order

    periods = _period_order(data[period])
    ft = _first_treated_pos(data.groupby(unit_col, sort=False, observed=True)[first_treated].first(),
                            periods, first_treated)
    g = int(ft.get(unit, -1))
    if g < 0:
        raise ValueError(f"unit {unit!r} has no first treated period in column '{first_treated}'")
    others = ft.drop(unit).to_numpy()
    n_post = len(periods) - g
    # controls of a window of k post periods: never piloting, or starting after its last period
    k = np.arange(1, n_post + 1)
    n = (others < 0).sum() + (others[None, :] > (g + k - 1)[:, None]).sum(axis=1)
    # short of min_controls everywhere: the longest window with any control (an estimate
    # without a test, which the unit's result explains)
    enough = n >= min_controls if (n >= min_controls).any() else n >= 1
    if enough[-1] or not enough.any():
        k_used, post = n_post, None
    else:
        k_used = int(k[enough].max())
        post = k_used
    n_used = int(n[k_used - 1])
    started = others[others >= 0]
    controls = "not_yet" if (started > g + k_used - 1).any() else "never"
    plain = lambda v: v.item() if isinstance(v, np.generic) else v   # noqa: E731 - labels as Python values
    return ControlWindow(post_periods=post, n_controls=n_used, controls=controls, first_period=plain(periods[g]),
                         last_period=plain(periods[g + k_used - 1]))
