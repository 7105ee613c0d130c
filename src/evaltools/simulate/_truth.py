"""The ground truth of a simulated study: raters, subjects, units, effects, model reliability.

The last step of :func:`evaltools.simulate.simulate_study`. Rater and subject truth are
frames (cheap at national scale; ids share the ratings' categories); the rest is a small
JSON-able dict with one record per unit.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltools.asn import BERAKHLAK, KPI_ITEMS, ORDINAL_ITEMS, ROLES

from ._model import _KUADRAN, EKSPEKTASI, EXPECTED_CODE, EXPECTED_VERDICT, ITEMS, KINDS, OUTCOMES, ORG_PREDIKAT, \
    PREDIKAT, PROFILES
from ._outcomes import Outcomes, effect_summary
from ._people import People, Units
from ._raters import Pairs, Raters
from ._ratings import Ids, ItemDesign, role_items


def study_truth(m: dict, units: Units, people: People, raters: Raters, items: ItemDesign, pairs: Pairs,
                ids: Ids, pair_unit: np.ndarray, n_rows: int, outcomes: Outcomes,
                params: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """``(truth_frames, truth_meta)`` of :class:`evaltools.simulate.SimulatedStudy`."""
    raters_t, rater_ids = rater_truth(units, people, raters, pairs, ids)
    subjects_t, subj_ids = subject_truth(m, units, people, ids)
    num_beta = items.beta[[ITEMS.index(i) for i in BERAKHLAK + KPI_ITEMS]]
    who = role_items()
    meta = {
        "description": "Ground truth of a simulated study (evaltools.simulate); latent scores are on the 1-5 "
                       "scale before rounding; severity > 0 means harsher (scores lower by severity).",
        "periods": units.periods, "waves": units.waves,
        "units": unit_truth(units, items, outcomes),
        "effects": effect_summary(units, outcomes.effects),
        "period_effects": {o: [round(float(x), 6) for x in outcomes.period_effects[o]] for o in OUTCOMES},
        "variance_components": {
            "scale": "latent 1-5 score scale before rounding, for an ok (calibrated) rater",
            "unit": m["sd_unit"] ** 2, "subject": m["sd_subject"] ** 2,
            "item": round(float(np.var(num_beta)), 6), "subject_item": m["sd_subject_item"] ** 2,
            "rater": m["severity_ok_sd"] ** 2, "rater_subject": m["halo_ok"] ** 2,
            "residual": m["sd_residual"] ** 2,
            "empirical": {
                "subject_within_unit": round(float(np.var(people.theta[subj_ids])) if len(subj_ids)
                                             else float("nan"), 6),
                "rater_severity_all": round(float(np.var(raters.severity[rater_ids])) if len(rater_ids)
                                            else float("nan"), 6),
            },
        },
        "reliability": model_reliability(m, units, raters, items, pairs, pair_unit),
        "roles": {g: {"shift": m["role_shift"][g], "noise_factor": m["role_noise"][g],
                      "presence": m["presence"].get(g)} for g in ROLES},
        "items": {it: {"difficulty": float(items.beta[i]), "kind": "ordinal" if it in ORDINAL_ITEMS else "numeric",
                       "rated_by": [g for gi, g in enumerate(ROLES) if who[gi, i]]}
                  for i, it in enumerate(ITEMS)},
        "ordinal_cuts": list(m["ordinal_cuts"]),
        "params": {**params, "n_ratings": int(n_rows), "n_subjects": int(people.n_subjects),
                   "n_public_raters": int(pairs.n_public)},
    }
    return {"raters": raters_t, "subjects": subjects_t}, meta


def rater_truth(units: Units, people: People, raters: Raters, pairs: Pairs, ids: Ids):
    """One row per rater: unit, primary role (and all roles), severity, spread, halo, kind, drift."""
    P, Q = people.n, pairs.n_public
    has_role = np.zeros((P + Q, len(ROLES)), dtype=bool)
    has_role[pairs.rater, pairs.role] = True
    rater_ids = np.flatnonzero(has_role.any(axis=1))
    prio = [ROLES.index(g) for g in ("atasan", "bawahan", "rekan_kerja", "masyarakat", "diri_sendiri")]
    prim = np.array(prio)[np.argmax(has_role[rater_ids][:, prio], axis=1)]
    r_unit = np.concatenate([people.person_unit, np.zeros(Q, dtype=np.int64)])
    r_unit[P:] = people.unit[pairs.public_subject]
    frame = pd.DataFrame({
        "rater": pd.Categorical.from_codes(ids.code[rater_ids], categories=ids.categories, validate=False),
        "unit": pd.Categorical.from_codes(r_unit[rater_ids], categories=units.names),
        "role": pd.Categorical.from_codes(prim, categories=list(ROLES)), "roles": _role_lists(has_role[rater_ids]),
        "severity": np.round(raters.severity[rater_ids], 6), "spread": np.round(raters.spread[rater_ids], 6),
        "halo": np.round(raters.halo[rater_ids], 6),
        "kind": pd.Categorical.from_codes(raters.kind[rater_ids], categories=KINDS),
        "drift": np.round(raters.drift[rater_ids], 6),
    })
    return frame, rater_ids


def subject_truth(m: dict, units: Units, people: People, ids: Ids):
    """One row per rated subject: unit, true score and the rater-free hasil, perilaku and predikat.

    The ekspektasi level of Hasil / Perilaku Kerja is an ok atasan's latent score without
    noise through the ordinal cuts; the predikat follows the kuadran matrix. True
    performance does not change between periods in this simulator.
    """
    subj_ids = np.flatnonzero(ids.used[:people.n_subjects])
    true_score = people.true_score[subj_ids]
    frame = pd.DataFrame({"subject": pd.Categorical.from_codes(ids.code[subj_ids], categories=ids.categories,
                                                               validate=False),
                          "unit": pd.Categorical.from_codes(people.unit[subj_ids], categories=units.names),
                          "true_score": np.round(true_score, 6)})
    lat = {it: true_score + m["item_difficulty"].get(it, 0.0) for it in ORDINAL_ITEMS}
    lvl = {it: 1 + (lat[it] > m["ordinal_cuts"][0]).astype(np.int64) + (lat[it] > m["ordinal_cuts"][1])
           for it in ORDINAL_ITEMS}
    hasil, perilaku = lvl[ORDINAL_ITEMS[0]] - 1, lvl[ORDINAL_ITEMS[1]] - 1
    frame["true_hasil"] = pd.Categorical.from_codes(hasil, categories=list(EKSPEKTASI), ordered=True)
    frame["true_perilaku"] = pd.Categorical.from_codes(perilaku, categories=list(EKSPEKTASI), ordered=True)
    frame["true_predikat"] = pd.Categorical.from_codes(_KUADRAN[hasil, perilaku], categories=list(PREDIKAT),
                                                       ordered=True)
    return frame, subj_ids


def unit_truth(units: Units, items: ItemDesign, outcomes: Outcomes) -> dict[str, dict[str, Any]]:
    """unit -> profile, wave, first_treated, expected verdict code, true effect per outcome, ..."""
    first_treated = units.first_treated
    out = {}
    for u in range(units.n):  # one record per unit (a handful of fields, not per subject)
        pc = int(units.profile[u])
        prof = PROFILES[pc] if pc >= 0 else "control"
        out[str(units.names[u])] = {
            "region": units.region_names[units.region[u]], "profile": prof, "wave": int(units.wave[u]),
            "first_treated": first_treated[u],
            "expected_verdict": EXPECTED_VERDICT[prof],  # deprecated alias of expected_code
            "expected_code": EXPECTED_CODE[prof],
            "true_effect": {o: round(float(outcomes.effects[o][u]), 6) for o in OUTCOMES},
            "baseline": {o: round(float(outcomes.baselines[o][u]), 6) for o in OUTCOMES},
            "unit_effect": round(float(units.effect[u]), 6), "org_predikat": ORG_PREDIKAT[units.org[u]],
            "n_subjects": int(units.n_subjects[u]), "kpi_items": list(KPI_ITEMS[: int(items.n_kpi[u])]),
            "low_agreement_items": [ITEMS[i] for i in np.flatnonzero(items.item_mult[u] > 1)],
            "rated_periods": units.periods[int(units.w0[u]):] if units.rated[u] else [],
        }
    return out


def _role_lists(has: np.ndarray) -> pd.Categorical:
    # 32 possible role sets: build each label once, then index
    bits = (has * (1 << np.arange(has.shape[1]))).sum(axis=1)
    labels = [";".join(g for j, g in enumerate(ROLES) if b >> j & 1) for b in range(1 << len(ROLES))]
    return pd.Categorical.from_codes(bits, categories=labels)


def model_reliability(m: dict, units: Units, raters: Raters, items: ItemDesign, pairs: Pairs,
                      pair_unit: np.ndarray) -> dict[str, dict[str, Any]]:
    """Model ICC of one numeric rating by one atasan / rekan / bawahan rater, per unit and item.

    With y = s_r (T + eta + e) - severity_r (module doc), two raters' ratings of one
    subject-item share ``E[s]^2 var(T)``; one rating has variance
    ``E[s^2 (var(T) + halo^2 + sd_e^2)] + var(severity)``: ICC = ratio, the absolute-agreement
    ICC(1) of McGraw & Wong (1996, Psychological Methods 1(1), Table 4) on the latent scale
    (rounding to integers lowers it a little). ``icc_mean`` applies Spearman-Brown to the
    mean number ``k`` of such raters per subject-item.
    """
    U, unit_names, item_mult = units.n, units.names, items.item_mult
    pr_r, pr_g, pr_u = pairs.rater, pairs.role, pair_unit
    severity, spread, halo, resid_mult = raters.severity, raters.spread, raters.halo, raters.resid_mult
    sel = np.isin(pr_g, [ROLES.index(g) for g in ("atasan", "rekan_kerja", "bawahan")])
    # one entry per (unit, rater) in the pool
    key = np.unique(pr_u[sel].astype(np.int64) * (len(severity) + 1) + pr_r[sel])
    ru = key // (len(severity) + 1)
    rr = key % (len(severity) + 1)
    cnt = np.bincount(ru, minlength=U).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = lambda x: np.bincount(ru, weights=x, minlength=U) / cnt  # noqa: E731
        es = mean(spread[rr])
        es2 = mean(spread[rr] ** 2)
        es2h = mean(spread[rr] ** 2 * halo[rr] ** 2)
        es2e = mean(spread[rr] ** 2 * resid_mult[rr] ** 2)
        vsev = mean(severity[rr] ** 2) - mean(severity[rr]) ** 2
    # raters per subject-item: pairs per subject in the pool, averaged
    n_subj_pairs = np.bincount(pr_u[sel], minlength=U).astype(float)
    n_subj = np.bincount(pr_u[sel & (pr_g == ROLES.index("atasan"))], minlength=U).astype(float)
    var_t = m["sd_subject"] ** 2 + m["sd_subject_item"] ** 2
    out = {}
    numeric = BERAKHLAK + KPI_ITEMS
    for u in np.flatnonzero(units.rated):
        if cnt[u] < 2:
            out[str(unit_names[u])] = {"icc_single": None, "note": "fewer than two raters"}
            continue
        by_item = {}
        for it in numeric:
            e2 = es2e[u] * (m["sd_residual"] * item_mult[u, ITEMS.index(it)]) ** 2
            by_item[it] = float(es[u] ** 2 * var_t / (es2[u] * var_t + es2h[u] + e2 + vsev[u]))
        icc = float(np.mean([by_item[i] for i in BERAKHLAK]))
        k = float(n_subj_pairs[u] / n_subj[u]) if n_subj[u] else float("nan")
        out[str(unit_names[u])] = {
            "icc_single": round(icc, 6),
            "icc_mean": round(k * icc / (1 + (k - 1) * icc), 6) if k == k else None,
            "k_raters": round(k, 4) if k == k else None,
            "icc_single_by_item": {i: round(v, 6) for i, v in by_item.items()},
            "rater_severity_var": round(float(vsev[u]), 6),
            "note": "model ICC(1) on the latent scale, atasan/rekan_kerja/bawahan raters, BerAKHLAK items; "
                    "per period",
        }
    return out
