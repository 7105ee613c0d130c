"""PermenPANRB 6/2022 predikat (kuadran kinerja) and the SE MenPANRB 3/2023 distribution pattern."""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from evaltools import asn
from evaltools._notes import note as _note


EKSPEKTASI_LEVELS: list[str] = list(asn.EKSPEKTASI_LEVELS)
PREDIKAT_LEVELS: list[str] = list(asn.PREDIKAT_LEVELS)
ORG_PREDIKAT_LEVELS: list[str] = list(asn.ORG_PREDIKAT_LEVELS)
# Kuadran kinerja (PermenPANRB 6/2022): rows = Hasil Kerja, columns = Perilaku Kerja, both
# coded 0 = Di Bawah, 1 = Sesuai, 2 = Di Atas; entries index PREDIKAT_LEVELS.
_KUADRAN = np.array(asn.KUADRAN)
# SE MenPANRB 3/2023 pattern (secondary source, unconfirmed: every number is a default)
DISTRIBUTION_PATTERN: dict[str, list[dict[str, Any]]] = asn.DISTRIBUTION_PATTERN

# ---------------------------------------------------------------------------
# predikat (PermenPANRB 6/2022) and the distribution pattern (SE MenPANRB 3/2023)
# ---------------------------------------------------------------------------

_EKSP_ALIASES = {
    "di bawah ekspektasi": 0, "di bawah": 0, "dibawah ekspektasi": 0, "dibawah": 0,
    "sesuai ekspektasi": 1, "sesuai": 1,
    "di atas ekspektasi": 2, "di atas": 2, "diatas ekspektasi": 2, "diatas": 2,
}
_PRED_ALIASES = {p.lower(): k for k, p in enumerate(PREDIKAT_LEVELS)}
_PRED_ALIASES.update({"kurang": 1, "misconduct": 1, "kurang / misconduct": 1})


def _as_series(x: Any, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        return x
    if np.isscalar(x) or x is None:
        return pd.Series([x], name=name)
    return pd.Series(list(x), name=name)


def _ekspektasi_codes(x: pd.Series, argname: str) -> np.ndarray:
    """0/1/2 codes (Di Bawah/Sesuai/Di Atas) or -1 for missing; labels or 1..3 codes."""
    vals = x.astype(object).to_numpy()
    out = np.full(len(vals), -1, dtype=np.int64)
    for k, v in enumerate(vals):   # label parsing; predikat arrays are per-unit sized
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            if float(v) in (1.0, 2.0, 3.0):
                out[k] = int(v) - 1
                continue
        elif isinstance(v, str) and v.strip().lower() in _EKSP_ALIASES:
            out[k] = _EKSP_ALIASES[v.strip().lower()]
            continue
        elif isinstance(v, str) and v.strip() in ("1", "2", "3"):
            out[k] = int(v.strip()) - 1
            continue
        raise ValueError(f"{argname}: unknown rating {v!r} at position {k}; expected one of "
                         f"{EKSPEKTASI_LEVELS} or the codes 1..3 (1 = Di Bawah Ekspektasi)")
    return out


def _fast_eksp_codes(x: pd.Series, argname: str) -> np.ndarray:
    # map unique values once, then broadcast: vectorised over large Series
    if isinstance(x.dtype, pd.CategoricalDtype):
        cats = pd.Series(x.cat.categories)
        cc = _ekspektasi_codes(cats, argname)
        codes = x.cat.codes.to_numpy()
        return np.where(codes >= 0, cc[np.clip(codes, 0, None)], -1)
    codes, uniq = pd.factorize(x, use_na_sentinel=True)
    uc = _ekspektasi_codes(pd.Series(uniq, dtype=object), argname)
    return np.where(codes >= 0, uc[np.clip(codes, 0, None)] if uc.size else -1, -1)


def predikat(hasil_kerja: Any, perilaku_kerja: Any) -> pd.Series:
    """Predikat Kinerja Pegawai from the kuadran kinerja of PermenPANRB 6/2022.

    Parameters
    ----------
    hasil_kerja, perilaku_kerja : Series (or array-like / scalar)
        Ratings ``Di Bawah Ekspektasi`` / ``Sesuai Ekspektasi`` / ``Di Atas Ekspektasi``
        (case-insensitive, "Ekspektasi" may be omitted) or the study's ordinal codes
        1..3 with 1 = Di Bawah Ekspektasi. Missing values give a missing predikat.

    Returns
    -------
    Series of an ordered Categorical ``Sangat Kurang < Kurang/Misconduct <
    Butuh Perbaikan < Baik < Sangat Baik`` (index of ``hasil_kerja`` when a Series).

    Notes
    -----
    The 3 x 3 matrix (rows Hasil, columns Perilaku, Di Bawah/Sesuai/Di Atas)::

        Di Atas : Kurang/Misconduct  Baik             Sangat Baik
        Sesuai  : Kurang/Misconduct  Baik             Baik
        Di Bawah: Sangat Kurang      Butuh Perbaikan  Butuh Perbaikan

    Examples
    --------
    >>> predikat(["Di Atas Ekspektasi", "Sesuai Ekspektasi"], ["Di Atas Ekspektasi", "Di Bawah Ekspektasi"]).tolist()
    ['Sangat Baik', 'Kurang/Misconduct']
    """
    h = _as_series(hasil_kerja, "hasil_kerja")
    p = _as_series(perilaku_kerja, "perilaku_kerja")
    if len(h) != len(p):
        raise ValueError(f"hasil_kerja and perilaku_kerja differ in length ({len(h)} vs {len(p)})")
    hc = _fast_eksp_codes(h, "hasil_kerja")
    pc = _fast_eksp_codes(p, "perilaku_kerja")
    ok = (hc >= 0) & (pc >= 0)
    codes = np.where(ok, _KUADRAN[np.clip(hc, 0, 2), np.clip(pc, 0, 2)], -1)
    cat = pd.Categorical.from_codes(codes, categories=PREDIKAT_LEVELS, ordered=True)
    return pd.Series(cat, index=h.index, name="predikat")


def _predikat_codes(x: pd.Series, argname: str) -> np.ndarray:
    codes, uniq = pd.factorize(x.astype(object), use_na_sentinel=True)
    uc = np.empty(len(uniq), dtype=np.int64)
    for k, v in enumerate(uniq):
        key = str(v).strip().lower()
        if key not in _PRED_ALIASES:
            raise ValueError(f"{argname}: unknown predikat {v!r}; expected one of {PREDIKAT_LEVELS}")
        uc[k] = _PRED_ALIASES[key]
    return np.where(codes >= 0, uc[np.clip(codes, 0, None)] if uc.size else -1, -1)


def check_predikat(stored: Any, hasil: Any, perilaku: Any) -> pd.DataFrame:
    """Flag stored predikat values that disagree with the kuadran matrix.

    Returns
    -------
    DataFrame (index of ``stored``) with ``stored``, ``expected`` (from
    :func:`predikat`), ``agrees`` (bool; ``False`` also when the stored value is
    missing but the ratings are not) and ``difference`` (stored minus expected, in
    predikat steps; positive = stored more favourable).

    Examples
    --------
    >>> check_predikat(["Baik"], ["Di Atas Ekspektasi"], ["Sesuai Ekspektasi"])["agrees"].tolist()
    [True]
    """
    st = _as_series(stored, "stored")
    h = _as_series(hasil, "hasil")
    p = _as_series(perilaku, "perilaku")
    if not (len(st) == len(h) == len(p)):
        raise ValueError("stored, hasil and perilaku must have the same length")
    h.index = st.index
    p.index = st.index
    exp = predikat(h, p)
    sc = _predikat_codes(st, "stored")
    ec = exp.cat.codes.to_numpy()
    agrees = (sc == ec)
    diff = np.where((sc >= 0) & (ec >= 0), sc - ec, np.nan)
    return pd.DataFrame({
        "stored": pd.Categorical.from_codes(sc, categories=PREDIKAT_LEVELS, ordered=True),
        "expected": exp.to_numpy(), "agrees": agrees, "difference": diff,
    }, index=st.index)


def _exact_multinomial_p(obs: np.ndarray, probs: np.ndarray) -> float:
    """Exact multinomial goodness-of-fit p-value: the probability of every outcome no
    more likely than the observed one (Read & Cressie 1988, sec. 8.1; R package EMT),
    by enumerating all compositions of n into k cells (vectorised)."""
    n, k = int(obs.sum()), len(obs)
    # compositions via stars and bars: choose k-1 bar positions among n+k-1 slots
    bars = np.array(list(itertools.combinations(range(n + k - 1), k - 1)), dtype=np.int64)
    if bars.size == 0:
        return 1.0
    ext = np.column_stack([np.full(len(bars), -1), bars, np.full(len(bars), n + k - 1)])
    counts = np.diff(ext, axis=1) - 1
    with np.errstate(divide="ignore"):
        logp = scipy.stats.multinomial.logpmf(counts, n, probs)
        lobs = scipy.stats.multinomial.logpmf(obs, n, probs)
    return float(np.clip(np.exp(logp[logp <= lobs + 1e-7]).sum(), 0, 1))


def distribution_check(predikat: Any, org_predikat: str, *, pattern: Mapping[str, list[dict]] | None = None,
                       tolerance: float = 0.0, rounding: str = "nearest",
                       reference: Mapping[str, float] | None = None, exact_max_n: int = 40,
                       small_unit: int = 10) -> pd.DataFrame:
    """A unit's predikat distribution against the SE MenPANRB 3/2023 pattern.

    Parameters
    ----------
    predikat : Series or array-like
        The unit's employee predikat labels (missing values ignored).
    org_predikat : str
        Predikat Kinerja Organisasi: Istimewa, Baik, Butuh Perbaikan, Kurang, Sangat Kurang.
    pattern : mapping, optional
        Replaces :data:`DISTRIBUTION_PATTERN` (same structure).
    tolerance : float
        Soft bound in share points: maxima are raised and minima lowered by it
        (0 = strict).
    rounding : {"nearest", "lenient", "strict"}
        How a share bound becomes a head count: ``nearest`` rounds ``share x n``
        half up; ``lenient`` rounds in the unit's favour (maxima up, minima down);
        ``strict`` the other way. Small units are where this matters.
    reference : mapping predikat -> share, optional
        Reference distribution for a goodness-of-fit test: exact multinomial when
        ``n <= exact_max_n``, Pearson chi-square otherwise.
    small_unit : int
        Units below this size get a note that the pattern is advisory.

    Returns
    -------
    DataFrame, one row per rule (plus ``goodness_of_fit`` when ``reference`` is given):
    ``rule``, ``predikat``, ``limit_share``, ``limit_count``, ``observed_count``,
    ``observed_share``, ``ok``, ``deviation`` (people beyond the bound, 0 when ok),
    ``pval``, ``message``. ``attrs`` carries ``n`` and the observed counts.

    Examples
    --------
    >>> dc = distribution_check(["Baik"] * 8 + ["Sangat Baik", "Butuh Perbaikan"], "Baik")
    >>> dc[["rule", "ok"]].values.tolist()          # Baik is the largest group but above 70 %
    [['largest', True], ['max', False], ['min_count', True]]
    """
    if rounding not in ("nearest", "lenient", "strict"):
        raise ValueError("rounding must be 'nearest', 'lenient' or 'strict'")
    pat = dict(pattern) if pattern is not None else DISTRIBUTION_PATTERN
    org = str(org_predikat).strip()
    lookup = {k.lower(): k for k in pat}
    if org.lower() not in lookup:
        raise ValueError(f"org_predikat: unknown organisation predikat {org_predikat!r}; expected one of {list(pat)}")
    rules = pat[lookup[org.lower()]]
    ps = _as_series(predikat, "predikat")
    pc = _predikat_codes(ps, "predikat")
    pc = pc[pc >= 0]
    n = int(pc.size)
    counts = np.bincount(pc, minlength=5)
    cnt = dict(zip(PREDIKAT_LEVELS, counts.tolist()))
    rows = []

    def to_count(share: float, kind: str) -> int:
        x = share * n
        if rounding == "nearest":
            return int(math.floor(x + 0.5 + 1e-9))
        up = (kind == "max") == (rounding == "lenient")
        return int(math.ceil(x - 1e-9)) if up else int(math.floor(x + 1e-9))

    for rule in rules:
        kind = rule["kind"]
        cats = list(rule["categories"])
        for c in cats:
            if c not in PREDIKAT_LEVELS:
                raise ValueError(f"pattern: unknown predikat {c!r} in rule {rule}")
        obs = int(sum(cnt[c] for c in cats))
        label = " + ".join(cats)
        share = rule.get("share", np.nan)
        said = dict(group=label, k=obs, n=n)
        if kind == "max":
            lim_share = min(1.0, share + tolerance)
            lim = to_count(lim_share, "max")
            ok = obs <= lim
            dev = max(0, obs - lim)
            said.update(share=obs / n if n else 0, need=lim, need_share=lim_share)
        elif kind == "min":
            lim_share = max(0.0, share - tolerance)
            lim = to_count(lim_share, "min")
            ok = obs >= lim
            dev = max(0, lim - obs)
            said.update(share=obs / n if n else 0, need=lim, need_share=lim_share)
        elif kind == "min_count":
            lim_share = np.nan
            lim = int(rule.get("count", 1))
            ok = obs >= lim
            dev = max(0, lim - obs)
            said.update(need=lim)
        elif kind == "largest":
            lim_share = np.nan
            others = max(cnt[c] for c in PREDIKAT_LEVELS if c not in cats)
            lim = others
            ok = obs >= others
            dev = max(0, others - obs)
            said.update(other=others)
        else:
            raise ValueError(f"pattern: unknown rule kind {kind!r}")
        # a rule met is stated, a rule missed is a deviation; an empty unit misses every rule
        msg = _note(("rule_" if ok else "dist_") + kind, **said) if n else _note("no_predikat")
        ok = ok and n > 0
        if 0 < n < small_unit:
            msg += "; " + _note("small_unit", n=n, min_n=small_unit)
        rows.append({"rule": kind, "predikat": label, "limit_share": lim_share, "limit_count": lim,
                     "observed_count": obs, "observed_share": obs / n if n else np.nan, "ok": bool(ok),
                     "deviation": int(dev), "pval": np.nan, "message": msg})
    if reference is not None:
        probs = np.array([float(reference.get(c, 0.0)) for c in PREDIKAT_LEVELS])
        unknown = set(reference) - set(PREDIKAT_LEVELS)
        if unknown:
            raise ValueError(f"reference: unknown predikat {sorted(unknown)}")
        if not np.isclose(probs.sum(), 1.0, atol=1e-6):
            raise ValueError(f"reference shares must sum to 1 (they sum to {probs.sum():.4f})")
        if n == 0:
            pval, how = np.nan, _note("no_predikat")
        elif np.any((probs == 0) & (counts > 0)):
            pval, how = 0.0, _note("gof_zero_share")
        elif n <= exact_max_n:
            keep = probs > 0
            pval = _exact_multinomial_p(counts[keep], probs[keep])
            how = _note("gof_exact")
        else:
            keep = probs > 0
            exp_c = probs[keep] * n
            stat = float(((counts[keep] - exp_c) ** 2 / exp_c).sum())
            pval = float(scipy.stats.chi2.sf(stat, keep.sum() - 1))
            how = _note("gof_chi2", stat=stat, df=int(keep.sum() - 1)) + \
                ("; " + _note("gof_small_expected") if (exp_c < 5).any() else "")
        rows.append({"rule": "goodness_of_fit", "predikat": "all", "limit_share": np.nan, "limit_count": np.nan,
                     "observed_count": n, "observed_share": 1.0 if n else np.nan,
                     "ok": bool(pval >= 0.05) if np.isfinite(pval) else False, "deviation": 0,
                     "pval": pval, "message": how})
    out = pd.DataFrame(rows)
    out.attrs.update({"n": n, "counts": cnt, "org_predikat": lookup[org.lower()]})
    return out
