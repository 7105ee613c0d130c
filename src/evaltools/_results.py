"""Small result objects shared by the statistics modules.

Every scalar estimate carries its uncertainty and, when undefined, the reason in
``note``; ``to_frame()`` gives one tidy row so notebooks, the briefing and users'
own code read results the same way.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

__all__ = ["Estimate"]


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        return f"{x:.4g}"
    return str(x)


@dataclasses.dataclass
class Estimate:
    """A scalar estimate with its uncertainty.

    Attributes
    ----------
    name : str
        What was estimated (e.g. ``"fleiss_kappa"``).
    value, se, ci_low, ci_high, pval : float
        Point estimate, standard error, confidence limits and p-value
        (``nan`` where not defined or not computed).
    n_subjects, n_raters : int
        Sample size behind the estimate (for impact estimates ``n_subjects``
        counts units/clusters and ``n_raters`` is 0).
    note : str
        Why a value is ``nan`` or how it was computed (empty when unremarkable).
    extra : dict
        Estimator-specific additions (test statistic, degrees of freedom, ...);
        each becomes a column of ``to_frame()``.

    Examples
    --------
    >>> est = Estimate("cohen_kappa", value=0.5, se=0.2732, ci_low=-0.0355, ci_high=1.0, n_subjects=6,
    ...                n_raters=2, extra={"z": 1.73})
    >>> print(est)
    cohen_kappa: 0.5 (SE 0.2732), CI [-0.0355, 1]; n_subjects=6, n_raters=2
    >>> est.z, est.to_frame().loc["cohen_kappa", ["value", "z"]].tolist()
    (1.73, [0.5, 1.73])
    >>> Estimate("fleiss_kappa", note="no subject was rated by two or more raters").value
    nan
    """

    name: str
    value: float = math.nan
    se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    pval: float = math.nan
    n_subjects: int = 0
    n_raters: int = 0
    note: str = ""
    extra: dict = dataclasses.field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        # extras read like attributes (e.g. ``res.z``) without widening the dataclass
        extra = self.__dict__.get("extra", {})
        if key in extra:
            return extra[key]
        raise AttributeError(key)

    def to_frame(self) -> pd.DataFrame:
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("name", "extra")}
        row.update(self.extra)
        return pd.DataFrame([row], index=pd.Index([self.name], name="statistic"))

    def __str__(self) -> str:
        head = f"{self.name}: {_fmt(self.value)}"
        if not math.isnan(self.se):
            head += f" (SE {_fmt(self.se)})"
        if not (math.isnan(self.ci_low) or math.isnan(self.ci_high)):
            head += f", CI [{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"
        if not math.isnan(self.pval):
            head += f", p = {_fmt(self.pval)}"
        head += f"; n_subjects={self.n_subjects}, n_raters={self.n_raters}"
        if self.note:
            head += f"\nnote: {self.note}"
        return head

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()
