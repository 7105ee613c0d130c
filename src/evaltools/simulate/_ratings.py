"""Scores: the item design of each unit and the rating rows of every rater-subject pair.

Steps of :func:`evaltools.simulate.simulate_study` after the raters: which items a unit
uses and which are its low-agreement ones, the subjects' true item profiles, then one row
per (pair, item) with its latent score ``y*`` (package docstring) rounded to the 1-5 scale
or cut into the ekspektasi levels, and the ratings frame in the contract's columns.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evaltools.asn import BERAKHLAK, KPI_ITEMS, ORDINAL_ITEMS, ROLES

from ._model import EKSPEKTASI, ITEMS, PROFILES
from ._people import People, Units, _skm_ids
from ._raters import Pairs, Raters


@dataclasses.dataclass
class ItemDesign:
    """Items per unit and the subjects' true item profiles."""

    n_kpi: np.ndarray          # 1 or 2 KPI items per unit
    item_mult: np.ndarray      # (unit, item) residual noise factor: > 1 on low-agreement items
    unit_item_ok: np.ndarray   # (unit, item) the unit uses the item
    beta: np.ndarray           # item difficulty
    gamma: np.ndarray          # (subject, item) float32 true profile (0 on the ordinal items)


@dataclasses.dataclass
class Ids:
    """Categorical codes of the persons and respondents who appear in the ratings."""

    used: np.ndarray           # person / respondent appears as subject or rater
    code: np.ndarray           # its code in ``categories`` (valid where used)
    categories: pd.Index       # raw ids: NIPs, then SKM respondent ids
    name_code: np.ndarray      # index into name_labels, -1 for respondents (no name)
    name_labels: pd.Index


@dataclasses.dataclass
class Scores:
    """One row per (pair, item); a pair's rows are contiguous, in pair order."""

    pair_unit: np.ndarray      # int32 unit of each pair
    counts: np.ndarray         # rows per pair
    item: np.ndarray           # int8 item of each row
    score: np.ndarray          # float64: 1-5, or the 1-based level of an ordinal item
    label: np.ndarray          # int8 ekspektasi level code, -1 for numeric items


def role_items() -> np.ndarray:
    """(role, item) who rates what: the atasan everything, peers and self the numeric items,
    subordinates the BerAKHLAK values, the public the service-facing items."""
    out = np.zeros((len(ROLES), len(ITEMS)), dtype=bool)
    num_items = [ITEMS.index(i) for i in BERAKHLAK + KPI_ITEMS]
    out[ROLES.index("atasan"), :] = True
    out[ROLES.index("rekan_kerja"), num_items] = True
    out[ROLES.index("diri_sendiri"), num_items] = True
    out[ROLES.index("bawahan"), [ITEMS.index(i) for i in BERAKHLAK]] = True
    out[ROLES.index("masyarakat"), [ITEMS.index(i) for i in ("Berorientasi Pelayanan", "Akuntabel",
                                                              "Harmonis", "Adaptif", KPI_ITEMS[0])]] = True
    return out


def draw_item_design(rng: np.random.Generator, m: dict, units: Units, people: People) -> ItemDesign:
    """1 or 2 KPI items per unit; ``low_agreement_items`` BerAKHLAK items of each low-agreement
    unit get ``low_agreement_mult`` times the residual noise; subject x item profiles gamma."""
    U, S, n_items = units.n, people.n_subjects, len(ITEMS)
    n_kpi = 1 + (rng.random(U) < 0.5)
    item_mult = np.ones((U, n_items))
    r = rng.random((U, len(BERAKHLAK)))
    low_units = np.flatnonzero(units.profile == PROFILES.index("low_agreement"))
    rank = np.argsort(r, axis=1)[:, : m["low_agreement_items"]]
    item_mult[low_units[:, None], rank[low_units]] = m["low_agreement_mult"]
    unit_item_ok = np.ones((U, n_items), dtype=bool)
    unit_item_ok[:, ITEMS.index(KPI_ITEMS[1])] = n_kpi == 2
    beta = np.array([m["item_difficulty"].get(it, 0.0) for it in ITEMS])
    gamma = rng.standard_normal((S, n_items), dtype=np.float32)
    gamma *= np.float32(m["sd_subject_item"])
    gamma[:, [ITEMS.index(i) for i in ORDINAL_ITEMS]] = 0.0
    return ItemDesign(n_kpi=n_kpi, item_mult=item_mult, unit_item_ok=unit_item_ok, beta=beta, gamma=gamma)


def code_ids(people: People, pairs: Pairs) -> Ids:
    """Codes of the ids in the ratings: NIPs of persons who rate or are rated, then respondents."""
    Q = pairs.n_public
    used = np.zeros(people.n + Q, dtype=bool)
    used[pairs.subject] = True
    used[pairs.rater] = True
    ids = np.concatenate([people.nip, _skm_ids(Q)])
    return Ids(used=used, code=(np.cumsum(used) - 1).astype(np.int32), categories=pd.Index(ids[used]),
               name_code=np.concatenate([people.name_codes, np.full(Q, -1)]).astype(np.int32),
               name_labels=pd.Index(people.name_labels))


def draw_scores(rng: np.random.Generator, m: dict, units: Units, people: People, raters: Raters,
                items: ItemDesign, pairs: Pairs) -> Scores:
    """The rows of every pair (its role's items the unit uses, minus ``item_missing``) and their scores."""
    n_items = len(ITEMS)
    pr_s, pr_r, pr_g = pairs.subject, pairs.rater, pairs.role
    S, s_unit = people.n_subjects, people.unit
    spread = raters.spread
    pr_u = s_unit[pr_s].astype(np.int32)
    n_pairs = len(pr_s)
    # Each pair's rows are contiguous, so per-pair values reach the rows by np.repeat (a
    # streaming copy) rather than a gather; int32/float32 keep national-scale memory in check.
    pair_items = role_items()[pr_g] & items.unit_item_ok[pr_u]
    pair_items &= (np.frombuffer(rng.bytes(pair_items.size), dtype=np.uint8).reshape(pair_items.shape)
                   >= int(round(m["item_missing"] * 256)))
    counts = pair_items.sum(axis=1)
    row_item = np.broadcast_to(np.arange(n_items, dtype=np.int8), pair_items.shape)[pair_items]
    del pair_items
    n_rows = len(row_item)

    def rep(x, dtype):
        return np.repeat(np.asarray(x, dtype=dtype), counts)

    role_shift = np.array([m["role_shift"][g] for g in ROLES])
    role_noise = np.array([m["role_noise"][g] for g in ROLES])
    eta = rng.standard_normal(n_pairs)                      # the rater's impression of the subject
    # y* = mu - severity + shift + spread * (a_u + theta + halo * eta)     one value per pair
    #      + spread * (beta_i + gamma_si + e_rsi)                          one value per row
    pair_spread = spread[pr_r]
    later = pairs.period > units.w0[pr_u]                   # after the unit's first rated period
    dev = rep(m["mu"] - raters.severity[pr_r] - raters.drift[pr_r] * later + role_shift[pr_g]
              + pair_spread * (units.effect[pr_u] + people.theta[pr_s] + raters.halo[pr_r] * eta), np.float32)
    idx = rep(pr_s * n_items, np.int64 if S * n_items >= 2**31 else np.int32)
    idx += row_item
    # (subject, item) tables looked up once per row: beta + gamma (added in place and taken
    # off again: no second subject x item table), and the residual sd with the low-agreement
    # items' multiplier
    gamma, beta = items.gamma, items.beta
    gamma += beta.astype(np.float32)[None, :]
    x = gamma.ravel()[idx]
    gamma -= beta.astype(np.float32)[None, :]
    e = _normal_rows(rng, n_rows)
    e *= (m["sd_residual"] * items.item_mult).astype(np.float32)[s_unit].ravel()[idx]
    del idx
    e *= rep(raters.resid_mult[pr_r] * role_noise[pr_g], np.float32)
    x += e
    del e
    x *= rep(pair_spread, np.float32)
    dev += x
    del x
    ord_codes = [ITEMS.index(i) for i in ORDINAL_ITEMS]
    is_ord = (row_item >= min(ord_codes)) & (row_item <= max(ord_codes))
    c1, c2 = m["ordinal_cuts"]
    score = np.clip(np.rint(dev), 1, 5, dtype=np.float64)
    score[is_ord] = 1.0 + (dev[is_ord] > c1) + (dev[is_ord] > c2)
    del dev
    label = np.full(n_rows, -1, dtype=np.int8)
    label[is_ord] = score[is_ord] - 1
    return Scores(pair_unit=pr_u, counts=counts, item=row_item, score=score, label=label)


def ratings_frame(units: Units, pairs: Pairs, ids: Ids, scores: Scores) -> pd.DataFrame:
    """The ratings in the contract's columns; text columns are categoricals built from codes
    (memory at national scale), ``subject`` and ``rater`` on one category list."""
    counts = scores.counts

    def rep(x, dtype):
        return np.repeat(np.asarray(x, dtype=dtype), counts)

    def cat(codes, categories=None, dtype=None):
        return pd.Categorical.from_codes(codes, categories=categories, dtype=dtype, validate=False)

    ucode = np.int16 if units.n < 2**15 else np.int32
    pr_s, pr_r = pairs.subject, pairs.rater
    return pd.DataFrame({
        "period": cat(rep(pairs.period, np.int8), dtype=pd.CategoricalDtype(units.periods, ordered=True)),
        "unit": cat(rep(scores.pair_unit, ucode), categories=pd.Index(units.names)),
        "subject": cat(rep(ids.code[pr_s], np.int32), categories=ids.categories),
        "subject_name": cat(rep(ids.name_code[pr_s], np.int32), categories=ids.name_labels),
        "rater": cat(rep(ids.code[pr_r], np.int32), categories=ids.categories),
        "rater_name": cat(rep(ids.name_code[pr_r], np.int32), categories=ids.name_labels),
        "rater_role": cat(rep(pairs.role, np.int8), categories=list(ROLES)),
        "item": cat(scores.item, categories=list(ITEMS)),
        "score": scores.score,
        "score_label": cat(scores.label, dtype=pd.CategoricalDtype(list(EKSPEKTASI), ordered=True)),
    }, copy=False)


_NORMAL_TABLE: np.ndarray | None = None


def _normal_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` standard normal draws (float32) by inverse-CDF lookup of 16-bit uniforms.

    Each draw is the normal quantile at the centre of one of 65,536 equal-probability bins
    (rescaled to unit variance; tails reach 4.3 sd). The per-row residual is the largest
    draw of a national-scale study (hundreds of millions); a table lookup on random bytes
    costs a fraction of ``standard_normal`` and is indistinguishable for the rounded scores.
    """
    global _NORMAL_TABLE
    if _NORMAL_TABLE is None:
        from statistics import NormalDist

        inv = NormalDist().inv_cdf   # 65,536 bin centres, once per process
        z = np.array([inv((k + 0.5) / 65536) for k in range(65536)])
        _NORMAL_TABLE = (z / np.sqrt(np.mean(z ** 2))).astype(np.float32)
    return _NORMAL_TABLE[np.frombuffer(rng.bytes(2 * n), dtype=np.uint16)]
