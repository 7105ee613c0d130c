"""The calibration worklist: what a calibration meeting should look at first."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._adjust import adjusted_scores
from ._crossed import _clean
from ._effects import rater_effects


def calibration_worklist(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                         unit: str | None = None, role: str | None = None, period: str | None = None,
                         hasil_item: str | None = "Hasil Kerja",
                         perilaku_item: str | None = "Perilaku Kerja", method: str = "blup",
                         max_subjects: int | None = 50, effects: pd.DataFrame | None = None,
                         **thresholds: Any) -> pd.DataFrame:
    """What a calibration meeting should look at first, per unit, ordered by impact.

    For each unit: raters flagged by :func:`rater_effects` (with the rule that fired
    as evidence; impact = |severity| x subjects rated for severe/lenient raters,
    (1 - sd_ratio) x subjects for central, halo x subjects for halo), and subjects
    whose predikat changes after severity adjustment (:func:`adjusted_scores`; impact =
    predikat steps moved x 1, then |score shift|). Subject identifiers are the study's
    pseudonyms (the data contract pseudonymizes at load); no names are used.

    Parameters
    ----------
    unit : str, optional
        Unit column (one worklist block per unit); without it the whole table is one unit.
    role, period : str, optional
        Passed to :func:`rater_effects` (role shifts removed; subject levels per period).
        For the predikat changes give one period's ratings (one Hasil/Perilaku pair per
        subject).
    max_subjects : int, optional
        Keep at most this many subject rows per unit (the highest impact ones).
    effects : DataFrame, optional
        A :func:`rater_effects` table already computed on the same ratings (e.g. by the
        report), used instead of refitting; each unit block uses the rows of its raters.
    **thresholds
        Passed to :func:`rater_effects` (``severity_threshold``, ``central_threshold``,
        ``halo_threshold``, ``min_ratings``).

    Returns
    -------
    DataFrame with ``unit``, ``priority`` (1 = first, within unit), ``kind``
    (``rater``/``subject``), ``id``, ``issue``, ``evidence``, ``impact``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s, r = np.repeat(np.arange(60), 4), np.tile(np.arange(8), 30)   # 8 raters, 4 per subject
    >>> y = rng.normal(0, 1, 60)[s] - np.where(r == 0, 1.0, 0.0) + rng.normal(0, 0.3, s.size)
    >>> wl = calibration_worklist(pd.DataFrame({"s": s, "r": r, "y": y}), subject="s", rater="r", score="y")
    >>> wl.loc[0, ["priority", "kind", "id", "issue"]].astype(str).tolist()   # the harsh rater comes first
    ['1', 'rater', '0', 'severe']
    """
    d = _clean(data, [subject, rater, item, unit, role, period], score)
    units = [None] if unit is None else list(pd.unique(d[unit]))
    ordinal_items = [x for x in (hasil_item, perilaku_item) if x is not None]
    blocks = []
    for u in units:   # one block per unit, as the unit notebooks are
        du = d if u is None else d[d[unit] == u]
        is_ord = du[item].isin(ordinal_items).to_numpy() if item is not None else np.zeros(len(du), bool)
        num = du[~is_ord]
        rows = []
        fx = None
        if effects is not None:
            fx = effects[effects.index.isin(pd.unique(num[rater]))]
        elif len(num) and num[rater].nunique() >= 2:
            fx = rater_effects(num, subject=subject, rater=rater, score=score, item=item, role=role, period=period,
                               **thresholds)
        if fx is not None:
            flagged = fx[fx["flag"] != "ok"]
            for rid, fr in flagged.iterrows():
                fl = fr["flag"]
                if fl in ("severe", "lenient"):
                    imp = abs(fr["severity"]) * fr["n_subjects"]
                elif fl == "central":
                    imp = (1 - fr["sd_ratio"]) * fr["n_subjects"]
                else:
                    imp = fr["halo"] * fr["n_subjects"]
                ev = (f"{fr['flag_rule']}; severity {fr['severity']:+.2f} (SE {fr['se']:.2f}), "
                      f"sd_ratio {fr['sd_ratio']:.2f}, halo {fr['halo']:+.2f}, "
                      f"{int(fr['n_ratings'])} ratings of {int(fr['n_subjects'])} subjects")
                rows.append({"kind": "rater", "id": rid, "issue": fr["flags"], "evidence": ev, "impact": float(imp)})
        if fx is not None:
            adj = adjusted_scores(du, subject=subject, rater=rater, score=score, item=item, method=method,
                                  hasil_item=hasil_item, perilaku_item=perilaku_item,
                                  effects=fx if method == "fixed" else None)
            if "predikat_changed" in adj:
                ch = adj[adj["predikat_changed"]]
                steps = (ch["predikat_adjusted"].cat.codes - ch["predikat_raw"].cat.codes).to_numpy()
                sub_rows = pd.DataFrame({
                    "kind": "subject", "id": ch.index.to_numpy(),
                    "issue": [f"predikat {a} -> {b} after severity adjustment"
                              for a, b in zip(ch["predikat_raw"], ch["predikat_adjusted"])],
                    "evidence": [f"score {r:.2f} -> {s:.2f} (shift {t:+.2f}); {k} predikat step(s)"
                                 for r, s, t, k in zip(ch["raw_score"], ch["adjusted_score"], ch["shift"], steps)],
                    "impact": np.abs(steps) + np.abs(ch["shift"].fillna(0).to_numpy()) / 10,
                })
                sub_rows = sub_rows.sort_values("impact", ascending=False)
                if max_subjects is not None:
                    sub_rows = sub_rows.head(max_subjects)
                rows.extend(sub_rows.to_dict("records"))
        block = pd.DataFrame(rows, columns=["kind", "id", "issue", "evidence", "impact"])
        block = block.sort_values("impact", ascending=False, kind="stable").reset_index(drop=True)
        block.insert(0, "priority", np.arange(1, len(block) + 1))
        block.insert(0, "unit", u)
        blocks.append(block)
    out = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(
        columns=["unit", "priority", "kind", "id", "issue", "evidence", "impact"])
    return out
