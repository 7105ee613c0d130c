"""Every agreement coefficient that suits the level of measurement, per group."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools._errors import require_columns
from evaltools._notes import note as _note

from ._alpha import _alpha_result
from ._cac import _cac, _cohen, _py, _weights_name
from ._coding import (ICC_TYPES, LEVELS, _SCALES, _add_note, _category_values, _code, _conf_level, _gsum, _n_raters,
                      _value_codes, interpret, weight_matrix)
from ._icc import _icc_core
from ._kendall import _kendall_core


# ---------------------------------------------------------------------------
# agreement(): every suitable coefficient, per group, one pass
# ---------------------------------------------------------------------------

_NESTED_NOTE = _note("conger_nested")
_LEVEL_WEIGHTS = {"nominal": None, "ordinal": "linear", "interval": "quadratic", "ratio": "quadratic"}
_MAX_CATEGORIES = 50
_TEXT_COLUMNS = ("coefficient", "weights", "scale", "label_id", "label_en", "note")
_OUT_COLUMNS = ("coefficient", "weights", "value", "se", "ci_low", "ci_high", "pval", "n_subjects", "n_raters",
                "n_ratings", "scale", "label_id", "label_en", "note")
#: the coefficients besides the ICCs (``coefficients=`` of :func:`agreement`)
_COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "conger_kappa", "brennan_prediger", "gwet_ac1", "gwet_ac2",
                 "cohen_kappa", "krippendorff_alpha", "kendall_w")


def _code_for_level(data: pd.DataFrame, subject: str, rater: str, score: str, by_list: list[str], level: str,
                    categories: Sequence[Any] | None) -> tuple[Any, str]:
    """One coding of the table for every coefficient of the level: numeric scores (and
    their distinct values as categories, up to ``_MAX_CATEGORIES``) or category codes
    (with 1..q ranks for ordinal label scales). Returns the coding and a note for the
    categorical coefficients when the scores are not categorical."""
    sc = data[score]
    is_num = pd.api.types.is_numeric_dtype(sc.dtype) and not isinstance(sc.dtype, pd.CategoricalDtype)
    cat_note = ""
    # one coding of the table serves every coefficient
    if level in ("interval", "ratio") or (is_num and categories is None):
        base = _code(data, subject, rater, score, by=by_list, numeric=True,
                     categorical=categories is not None, categories=categories)
        if base.c is None:
            vc, vals = _value_codes(base.x)
            if len(vals) <= _MAX_CATEGORIES:
                base.c, base.categories = vc, [_py(v) for v in vals]
            else:
                cat_note = _note("many_values", n=len(vals))
        if base.c is not None:
            # each score is its category's value: alpha can take its unit x value table
            # from the kappa family's unit x category counts
            base.cache["x_is_category"] = True
    else:
        base = _code(data, subject, rater, score, by=by_list, categorical=True, categories=categories)
        vals = _category_values(base.categories)
        # ordinal alpha and Kendall's W use ranks only; label scales are coded 1..q
        base.x = (np.arange(1.0, len(base.categories) + 1) if level == "ordinal" else vals)[base.c]
    return base, cat_note


def agreement(data: pd.DataFrame, *, subject: str, rater: str, score: str, level: str = "nominal",
              by: str | Sequence[str] | None = None, categories: Sequence[Any] | None = None,
              alpha: float = 0.05, ci: float | None = None, n_boot: int = 1000, seed: int | None = 0,
              weights: str | np.ndarray | None = "auto",
              coefficients: Sequence[str] | None = None) -> pd.DataFrame:
    """Every agreement coefficient that suits the level of measurement, per group.

    Parameters
    ----------
    level : {"nominal", "ordinal", "interval", "ratio"}
        Nominal: percent agreement, Fleiss' kappa, Conger's kappa, Brennan-Prediger,
        Gwet's AC1, Krippendorff's alpha (and Cohen's kappa when every group has
        exactly two raters). Conger's kappa is reported as not estimable (nan, with the
        reason) in groups whose raters rate fewer than two subjects each on average
        (raters nested in subjects, as peers and the public in 360-degree ratings). Ordinal adds Kendall's W and uses linear weights for
        the kappa family (AC2); interval and ratio use quadratic weights and add the
        six ICCs. ``weights`` overrides the level's default weights.
    by : column name or list, optional
        Groups (e.g. ``["item"]`` or ``["rater_role"]``): computed for all groups in
        one vectorized pass (subjects are coded within groups, every sum is a
        grouped sum).
    categories : sequence, optional
        The scale's full ordered list of levels (needed when a level is never used).
        Without it, the observed values; with more than 50 distinct values the
        categorical coefficients are reported as nan with a note.
    alpha : float
        Significance level: the interval has level ``1 - alpha``. ``ci=`` (the level itself,
        e.g. 0.95) is a deprecated alias that warns.
    n_boot, seed : int
        Bootstrap replicates for Krippendorff's alpha (Hayes & Krippendorff 2007),
        drawn for all groups at once; the fixed default seed keeps reports
        reproducible. ``n_boot=0`` reports alpha without an interval. That bootstrap
        caps its draws at ``25 q`` value pairs (see :func:`krippendorff_alpha`), so
        for large groups its interval is wider than the sampling error; use
        ``krippendorff_alpha(..., bootstrap="subjects")`` for one group when that matters.
    coefficients : sequence of str, optional
        Only these coefficients (names as in the ``coefficient`` column, e.g.
        ``["ICC1k"]``); the others are not computed. Default: every one of the level.

    Returns
    -------
    DataFrame with one row per group and coefficient: the ``by`` columns,
    ``coefficient, weights, value, se, ci_low, ci_high, pval, n_subjects,
    n_raters, n_ratings, scale, label_id, label_en, note``. ``scale`` names the
    interpretation benchmark (Landis & Koch 1977 for kappa-type coefficients, Koo &
    Li 2016 for ICCs, Krippendorff's 0.667 / 0.800 for alpha); ``label_id`` /
    ``label_en`` the band in Indonesian / English.

    Examples
    --------
    >>> import pandas as pd
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> d = pd.DataFrame([(i, j, x) for i, row in enumerate(sf) for j, x in enumerate(row)],
    ...                  columns=["s", "r", "x"])
    >>> out = agreement(d, subject="s", rater="r", score="x", level="interval", n_boot=0)
    >>> out.set_index("coefficient").loc[["ICC1", "ICC3k"], "value"].round(2).tolist()
    [0.17, 0.91]
    """
    conf = _conf_level(alpha, ci, "agreement")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    by_list = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [subject, rater, score, *by_list], what="ratings")
    wts = _LEVEL_WEIGHTS[level] if isinstance(weights, str) and weights == "auto" else weights
    wname = _weights_name(wts)
    want = None if coefficients is None else set(coefficients)
    if want is not None and (unknown := want - set(_COEFFICIENTS) - set(ICC_TYPES)):
        raise ValueError(f"unknown coefficient(s) {sorted(unknown)}; known: {[*_COEFFICIENTS, *ICC_TYPES]}")

    def wanted(name: str) -> bool:
        return want is None or name in want

    base, cat_note = _code_for_level(data, subject, rater, score, by_list, level, categories)
    # one list per output column, a block of G rows per coefficient: the frame is built once
    blocks: list[dict[str, Any]] = []
    cdc = base if base.c is not None else None
    G = base.G
    nr = _n_raters(base)
    m_u = np.bincount(base.u, minlength=base.U)
    n_ratings = _gsum(base.ug, m_u.astype(float), G).astype(int)
    groups = base.groups if base.groups is not None else pd.DataFrame(index=range(1))

    def emit(name: str, res: dict[str, np.ndarray], scale: str | None, weights_label: str = "",
             n_raters: np.ndarray | None = None) -> None:
        block: dict[str, Any] = {"coefficient": name, "weights": weights_label}
        for col in ("value", "se", "ci_low", "ci_high", "pval"):
            block[col] = np.broadcast_to(np.asarray(res[col], dtype=float), (G,))
        block["n_subjects"] = np.broadcast_to(np.asarray(res["n_subjects"], dtype=int), (G,))
        block["n_raters"] = (nr if n_raters is None else n_raters).astype(int)
        block["n_ratings"] = n_ratings
        if scale:
            labs = [interpret(v, scale) for v in block["value"].tolist()]
            block["scale"] = _SCALES[scale][0]
            block["label_id"] = [a for a, _ in labs]
            block["label_en"] = [b for _, b in labs]
        else:
            block["scale"] = block["label_id"] = block["label_en"] = ""
        block["note"] = list(res["note"])
        blocks.append(block)

    def nan_rows(name: str, note: str, scale: str | None, weights_label: str = "") -> None:
        nan = np.full(G, np.nan)
        emit(name, dict(value=nan, se=nan, ci_low=nan, ci_high=nan, pval=nan,
                        n_subjects=np.zeros(G, int), note=np.full(G, note, dtype=object)), scale, weights_label)

    # kappa family
    kinds = [("percent", "percent_agreement", None), ("fleiss", "fleiss_kappa", "landis_koch"),
             ("conger", "conger_kappa", "landis_koch"), ("bp", "brennan_prediger", "landis_koch"),
             ("ac", "gwet_ac1" if wname == "unweighted" else "gwet_ac2", "landis_koch")]
    if cdc is not None:
        W = weight_matrix(wts, cdc.categories)
        # Conger's chance agreement rests on each rater's own distribution of scores; when
        # raters rate fewer than two subjects each on average (raters nested in subjects,
        # as peers and the public in 360-degree ratings) it is not estimable
        per_rater = n_ratings / np.maximum(nr, 1)
        nested = per_rater < 2
        for kind, name, scale in kinds:
            if not wanted(name):
                continue
            if kind == "conger" and nested.all():
                nan_rows(name, _NESTED_NOTE, scale, wname)
                continue
            res = _cac(cdc, kind, np.eye(len(cdc.categories)) if kind == "percent" else W, conf)
            if kind == "conger" and nested.any():
                for key in ("value", "se", "ci_low", "ci_high", "pval"):
                    res[key] = np.where(nested, np.nan, res[key])
                _add_note(res["note"], nested, _NESTED_NOTE)
            emit(name, res, scale, "unweighted" if kind == "percent" else wname)
        if np.all(nr == 2) and wanted("cohen_kappa"):
            emit("cohen_kappa", _cohen(cdc, W, conf), "landis_koch", wname)
    else:
        for kind, name, scale in kinds:
            if wanted(name):
                nan_rows(name, cat_note, scale, "unweighted" if kind == "percent" else wname)
    # Krippendorff's alpha
    if wanted("krippendorff_alpha"):
        try:
            res = _alpha_result(base, level, conf, n_boot, seed, "hayes")
        except ValueError as exc:
            res = _alpha_result(base, level, conf, 0, seed, "hayes")
            _add_note(res["note"], np.ones(G, bool), str(exc))
        emit("krippendorff_alpha", res, "krippendorff", level)
    if level != "nominal" and wanted("kendall_w"):
        emit("kendall_w", _kendall_core(base, True), None, "")
    if level in ("interval", "ratio") and any(wanted(name) for name in ICC_TYPES):
        core = _icc_core(base, conf)
        for name in ICC_TYPES:
            if wanted(name):
                emit(name, core[name], "koo_li", "")
    K = len(blocks)
    if not K:   # none of the coefficients asked for suits the level
        return pd.DataFrame(columns=[*groups.columns, *_OUT_COLUMNS])
    # every column at once (inserting them one by one costs more than the coefficients);
    # the header keeps the group columns' dtype, as the group frame gives it
    tile = np.tile(np.arange(G), K)
    cols: dict[str, Any] = {c: groups[c].array.take(tile) for c in groups.columns}
    for col in _OUT_COLUMNS:
        parts = [b[col] for b in blocks]
        if col in _TEXT_COLUMNS:   # a block's label is one string for its G rows, or one per row
            parts = [np.full(G, p, dtype=object) if isinstance(p, str) else np.asarray(p, dtype=object)
                     for p in parts]
        cols[col] = np.concatenate(parts)
    out = pd.DataFrame(cols, index=pd.RangeIndex(G * K))
    if groups.shape[1]:
        out.columns = out.columns.astype(groups.columns.dtype)
    if base.n_missing:
        # every block holds the G groups in group order
        per_group = (base.missing_by_group if base.missing_by_group is not None
                     else np.full(G, base.n_missing))[np.tile(np.arange(G), K)]
        out["note"] = [n_ if not k else (n_ + "; " if n_ else "") + _note("missing_scores", n=int(k))
                       for n_, k in zip(out["note"], per_group)]
    return out
