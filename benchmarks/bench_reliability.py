"""Benchmark evaltools.reliability against its peers (pingouin, krippendorff).

Run: ``python benchmarks/bench_reliability.py`` (``--quick`` for a small smoke run).
Prints a markdown table and writes it to ``benchmarks/results_reliability.md``.

Cases (sizes from issue 3):
- ``icc`` on 100,000 subjects x 4 raters vs ``pingouin.intraclass_corr`` (run once);
- ``krippendorff_alpha`` on 1,000,000 subjects x 4 raters with 10 % missing, each level,
  starting from the long table, vs ``krippendorff.alpha`` given the ready wide matrix;
- 1,000 bootstrap replicates of alpha on 100,000 subjects (Hayes & Krippendorff and
  subject resampling);
- ``agreement(..., by="item")`` on a 10-million-rating long table with string
  pseudonyms (and again with categorical identifiers), 360-degree design (raters nested in
  subjects), 5 % missing, in a fresh subprocess that reports its peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_icc(n: int, rows: list[dict]) -> None:
    import pingouin as pg

    from evaltools.reliability import icc

    rng = np.random.default_rng(1)
    k = 4
    X = rng.normal(size=(n, 1)) + rng.normal(scale=0.3, size=(1, k)) + rng.normal(size=(n, k))
    df = pd.DataFrame({"s": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n), "x": X.ravel()})
    t_ours, ours = _timed(lambda: icc(df, subject="s", rater="r", score="x"), repeat=3)
    t_peer, ref = _timed(lambda: pg.intraclass_corr(df, targets="s", raters="r", ratings="x"))
    diff = max(np.max(np.abs(ours.icc.to_numpy() - ref.ICC.to_numpy())),
               np.max(np.abs(ours.F.to_numpy() - ref.F.to_numpy())),
               np.max(np.abs(ours.pval.to_numpy() - ref.pval.to_numpy())))
    rows.append(dict(case="icc (6 ICCs, F, p)", size=f"{n:,} subjects x {k} raters", ours=t_ours,
                     peer="pingouin.intraclass_corr", peer_time=t_peer, max_abs_diff=diff,
                     note="pingouin rounds its CI to 2 decimals, so ICC, F and p are compared"))


def bench_alpha(n: int, rows: list[dict]) -> None:
    import krippendorff

    from evaltools.reliability import LEVELS, krippendorff_alpha

    rng = np.random.default_rng(2)
    k = 4
    X = np.clip(rng.integers(1, 6, (n, 1)) + rng.integers(-1, 2, (n, k)), 1, 5).astype(float)
    X[rng.random(X.shape) < 0.10] = np.nan
    df = pd.DataFrame({"s": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n), "x": X.ravel()})
    df = df[df.x.notna()].reset_index(drop=True)   # long format: a missing rating is an absent row
    wide = X.T                                      # krippendorff: raters x units, ready-made
    for level in LEVELS:
        t_ours, ours = _timed(lambda: krippendorff_alpha(df, subject="s", rater="r", score="x", level=level,
                                                         n_boot=0), repeat=3)
        t_peer, ref = _timed(lambda: krippendorff.alpha(wide, level_of_measurement=level), repeat=3)
        rows.append(dict(case=f"krippendorff_alpha {level}", size=f"{n:,} subjects x {k} raters, 10% missing",
                         ours=t_ours, peer="krippendorff.alpha (wide matrix given)", peer_time=t_peer,
                         max_abs_diff=abs(ours.value - ref), note="ours starts from the long table"))


def bench_bootstrap(n: int, n_boot: int, rows: list[dict]) -> None:
    from evaltools.reliability import krippendorff_alpha

    rng = np.random.default_rng(3)
    k = 4
    X = np.clip(rng.integers(1, 6, (n, 1)) + rng.integers(-1, 2, (n, k)), 1, 5).astype(float)
    X[rng.random(X.shape) < 0.10] = np.nan
    df = pd.DataFrame({"s": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n), "x": X.ravel()}).dropna()
    for method in ("hayes", "subjects"):
        t, est = _timed(lambda: krippendorff_alpha(df, subject="s", rater="r", score="x", level="ordinal",
                                                   n_boot=n_boot, seed=1, bootstrap=method))
        rows.append(dict(case=f"alpha bootstrap ({method})", size=f"{n_boot:,} replicates, {n:,} subjects",
                         ours=t, peer="", peer_time=np.nan, max_abs_diff=np.nan,
                         note=f"alpha {est.value:.4f}, 95% CI [{est.ci_low:.4f}, {est.ci_high:.4f}]"))


_AGREEMENT_CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from evaltools.reliability import agreement
n_ratings = int(sys.argv[1])
rng = np.random.default_rng(4)
n_items, k = 20, 5                      # BerAKHLAK values + unit KPIs; 5 raters (360 degrees) per subject
n_subj = n_ratings // (n_items * k)
subj = np.repeat(np.arange(n_subj), k)
rater = rng.integers(0, n_subj * 3, subj.size)          # raters nested in subjects (peers, public)
true = rng.normal(3, 0.8, n_subj)
S = np.tile(subj, n_items)
x = np.clip(np.rint(true[S] + rng.normal(0, 0.8, S.size)), 1, 5)
x[rng.random(S.size) < 0.05] = np.nan                   # missing ratings
ids = pd.Series(np.char.add("P-", np.arange(n_subj * 3).astype("U12")))
items = np.array([f"item {i:02d}" for i in range(n_items)])
if sys.argv[2] == "str":      # as evaltools.data delivers them: str pseudonyms and item names
    df = pd.DataFrame({"subject": ids.to_numpy()[S], "rater": ids.to_numpy()[np.tile(rater, n_items)],
                       "item": items[np.repeat(np.arange(n_items), subj.size)], "score": x})
else:                         # the same table with categorical identifiers
    df = pd.DataFrame({"subject": pd.Categorical.from_codes(S, ids[:n_subj]),
                       "rater": pd.Categorical.from_codes(np.tile(rater, n_items), ids),
                       "item": pd.Categorical.from_codes(np.repeat(np.arange(n_items), subj.size), items),
                       "score": x})
df = df.drop_duplicates(["item", "subject", "rater"], ignore_index=True)
del S, x
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
out = agreement(df, subject="subject", rater="rater", score="score", level="interval", by="item",
                categories=[1, 2, 3, 4, 5])
t = time.perf_counter() - t0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save(sys.argv[3], out[["value", "se", "ci_low", "ci_high", "pval"]].to_numpy(dtype=float))
print(json.dumps(dict(n=len(df), seconds=t, peak_gb=rss1 / 1e6, before_gb=rss0 / 1e6, rows=len(out),
                      coefficients=sorted(set(out.coefficient)))))
"""


def bench_agreement(n_ratings: int, rows: list[dict]) -> None:
    """The same table with str ids (the path without categorical codes, as the floor of
    comparison) and with categorical ids (as load_study delivers them), each in a fresh
    process; the two results are compared value by value."""
    import tempfile

    info, vals = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for ids in ("str", "cat"):
            out = os.path.join(tmp, f"{ids}.npy")
            res = subprocess.run([sys.executable, "-c", _AGREEMENT_CHILD, str(n_ratings), ids, out],
                                 capture_output=True, text=True, check=True)
            info[ids] = json.loads(res.stdout.strip().splitlines()[-1])
            vals[ids] = np.load(out)
    a, b = vals["str"], vals["cat"]
    both = np.isfinite(a) & np.isfinite(b)
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    diff = float(np.max(np.abs(a[both] - b[both]))) if both.any() else np.nan
    for ids, label in (("str", "str ids"), ("cat", "categorical ids")):
        i = info[ids]
        cat = ids == "cat"
        rows.append(dict(case='agreement(level="interval", by="item")',
                         size=f"{i['n']:,} ratings, 20 items, {label}", ours=i["seconds"],
                         peer="same table, str ids" if cat else "", peer_time=info["str"]["seconds"] if cat else np.nan,
                         max_abs_diff=diff if cat else np.nan,
                         note=(f"peak RSS of the whole process {i['peak_gb']:.2f} GB (before the call "
                               f"{i['before_gb']:.2f} GB); {i['rows']} rows, {len(i['coefficients'])} coefficients"
                               + (f"; value/se/ci/p equal to the str-id run (nan in the same cells: {same_nan})"
                                  if cat else ""))))


def to_markdown(rows: list[dict]) -> str:
    lines = ["| case | size | ours (s) | peer | peer (s) | speed-up | max abs diff | note |",
             "|---|---|---:|---|---:|---:|---:|---|"]
    for r in rows:
        ratio = r["peer_time"] / r["ours"] if np.isfinite(r["peer_time"]) else np.nan
        fmt = (lambda v, f: "" if not np.isfinite(v) else f.format(v))
        lines.append(f"| {r['case']} | {r['size']} | {r['ours']:.3f} | {r['peer']} | "
                     f"{fmt(r['peer_time'], '{:.3f}')} | {fmt(ratio, '{:.0f}x' if ratio >= 10 else '{:.1f}x')} | "
                     f"{fmt(r['max_abs_diff'], '{:.1e}')} | {r['note']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    q = args.quick
    rows: list[dict] = []
    bench_icc(2_000 if q else 100_000, rows)
    bench_alpha(20_000 if q else 1_000_000, rows)
    bench_bootstrap(10_000 if q else 100_000, 100 if q else 1_000, rows)
    bench_agreement(200_000 if q else 10_000_000, rows)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    head = ("# evaltools.reliability benchmark\n\n"
            f"{'Quick smoke run (--quick).' if q else 'Issue 3 sizes.'} Timings are wall-clock seconds on a "
            "shared 2-core machine, ours and the peer measured in the same run: best of 3 for icc (ours) and "
            "for both sides of krippendorff_alpha; pingouin and the bootstrap/agreement cases run once. "
            f"Load average at the end of the run (1/5/15 min): {load}.\n\n")
    text = head + to_markdown(rows)
    print(text)
    if not q:
        (HERE / "results_reliability.md").write_text(text)


if __name__ == "__main__":
    main()
