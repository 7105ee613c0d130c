"""Benchmark: TWFE DiD with the wild cluster bootstrap, and exact randomization inference.

Run as ``python benchmarks/bench_pilot_did.py`` (``--quick`` for a small smoke run). Prints a
markdown table and writes it to ``benchmarks/results_pilot_did.md``.

Rows
----
1. ``did`` (CR1) against statsmodels OLS with unit and period dummies and
   ``cov_type="cluster"`` on a panel small enough for dummies; max abs difference of the
   coefficient and of the SE (statsmodels' SE rescaled to the reghdfe K convention).
2. ``did`` with the WCR wild cluster bootstrap (9,999 Rademacher draws, CI by test
   inversion) on a few-cluster panel (30 clusters, 200,000 unit-periods) against a loop
   reference that refits the TWFE model draw by draw (absorbing the fixed effects of every
   bootstrap sample). The loop runs a subset of the same draws and is extrapolated to 9,999;
   the max abs difference is over the bootstrap t statistics of the draws both computed.
3. Exact wild bootstrap enumeration (12 clusters, all 4,096 sign vectors).
4. Exact randomization inference: all C(20, 8) = 125,970 assignments as one matrix product,
   against a Python loop over the same assignments; max abs difference of the p-value.

``wildboottest`` (PyPI) needs numba, which is not a project dependency, so the loop
reference stands in for a peer implementation.
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.pilot import did, randomization_inference
from evaltools.pilot._ols import _ClusteredOLS, _absorb
from evaltools.pilot._panel import _codes
from evaltools.pilot._wild import _rademacher_all, _wcr


def panel(n_units: int, n_periods: int, n_clusters: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    cl = u * n_clusters // n_units  # units nested in clusters (work units)
    treated = (cl < max(1, int(0.4 * n_clusters))).astype(np.int8)
    post = (t >= n_periods // 2).astype(np.int8)
    y = (rng.normal(size=n_units)[u] + 0.3 * t + rng.normal(scale=0.5, size=n_clusters)[cl] * post
         + 0.2 * treated * post + rng.normal(size=u.size))
    return pd.DataFrame({"unit": u, "period": t, "cluster": cl, "treated": treated, "post": post, "y": y})


def timed(fn, repeat: int = 1):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_cr1_vs_statsmodels(n_units: int, n_periods: int, n_clusters: int) -> dict:
    import statsmodels.formula.api as smf

    d = panel(n_units, n_periods, n_clusters, seed=1)
    t_ours, r = timed(lambda: did(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                                  cluster="cluster", inference="cluster"), repeat=3)
    d["D"] = d["treated"] * d["post"]

    def sm_fit():
        return smf.ols("y ~ D + C(unit) + C(period)", d).fit(cov_type="cluster", cov_kwds={"groups": d["cluster"]})

    t_sm, fit = timed(sm_fit)
    n, k_sm, k_ours = len(d), len(fit.params), 1 + (n_periods - 1) + 1
    se_sm = fit.bse["D"] * math.sqrt((n - k_sm) / (n - k_ours))
    diff = max(abs(r.value - fit.params["D"]), abs(r.se - se_sm))
    return {"case": "did CR1 vs statsmodels OLS dummies + cluster",
            "size": f"{n_units} units x {n_periods} periods, {n_clusters} clusters",
            "ours": t_ours, "peer": t_sm, "peer_name": "statsmodels", "diff": diff}


def loop_reference_tstats(d: pd.DataFrame, V: np.ndarray) -> np.ndarray:
    """Refit the TWFE model for each bootstrap sample (one Python iteration per draw)."""
    u, U = _codes(d["unit"].to_numpy())
    t, T = _codes(d["period"].to_numpy())
    cl, G = _codes(d["cluster"].to_numpy())
    D = (d["treated"] * d["post"]).to_numpy(float)
    y = d["y"].to_numpy(float)
    fes = [(u, U), (t, T)]
    Dt = _absorb(D, fes)[:, 0]
    yt = _absorb(y, fes)[:, 0]
    n = len(y)
    K = 1 + (T - 1) + 1
    ssc = G / (G - 1) * (n - 1) / (n - K)
    A = Dt @ Dt
    u_r = yt  # restricted residuals under b = 0: the two-way demeaned outcome
    fitted = y - u_r
    out = np.empty(len(V))
    for b in range(len(V)):
        ystar = fitted + u_r * V[b][cl]
        ys = _absorb(ystar, fes)[:, 0]
        beta = (Dt @ ys) / A
        e = ys - beta * Dt
        S = np.bincount(cl, weights=Dt * e, minlength=G)
        out[b] = beta / math.sqrt(ssc * (S @ S) / A ** 2)
    return out


def bench_wild(n_units: int, n_periods: int, n_clusters: int, n_boot: int, n_loop: int) -> dict:
    d = panel(n_units, n_periods, n_clusters, seed=2)
    t_ours, r = timed(lambda: did(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                                  cluster="cluster", n_boot=n_boot, seed=7))
    assert r.inference == "wild" and r.wild_draws == n_boot
    # the same draws, draw by draw, for the comparison
    m = _ClusteredOLS(d["y"].to_numpy(float), (d["treated"] * d["post"]).to_numpy(float)[:, None],
                      [_codes(d["unit"].to_numpy()), _codes(d["period"].to_numpy())], d["cluster"].to_numpy(),
                      ["did"])
    V = np.random.default_rng(3).integers(0, 2, size=(n_loop, m.G)) * 2.0 - 1.0
    ts_ours = _wcr(m, 0, null=0.0, alpha=0.05, n_boot=n_loop, weights="rademacher", seed=None, ci=False,
                   V=V)["tstar"](0.0)
    t_loop, ts_loop = timed(lambda: loop_reference_tstats(d, V))
    diff = float(np.max(np.abs(ts_ours - ts_loop)))
    return {"case": f"did + wild bootstrap ({n_boot} draws, CI by inversion) vs per-draw refit loop",
            "size": f"{len(d):,} obs ({n_units} units x {n_periods} periods), {n_clusters} clusters",
            "ours": t_ours, "peer": t_loop * n_boot / n_loop,
            "peer_name": f"loop ({n_loop} draws, x{n_boot / n_loop:.0f})", "diff": diff}


def bench_wild_enumerated(n_clusters: int) -> dict:
    d = panel(n_clusters * 5, 8, n_clusters, seed=4)
    t_ours, r = timed(lambda: did(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                                  cluster="cluster"), repeat=3)
    assert r.wild_enumerated
    m = _ClusteredOLS(d["y"].to_numpy(float), (d["treated"] * d["post"]).to_numpy(float)[:, None],
                      [_codes(d["unit"].to_numpy()), _codes(d["period"].to_numpy())], d["cluster"].to_numpy(),
                      ["did"])

    V = _rademacher_all(m.G)
    t_loop, ts_loop = timed(lambda: loop_reference_tstats(d, V))
    p_loop = float(np.mean(np.abs(ts_loop) >= abs(r.t) * (1 - 1e-9)))
    return {"case": f"did + wild bootstrap, exact enumeration (all {2 ** n_clusters} sign vectors)",
            "size": f"{len(d):,} obs, {n_clusters} clusters", "ours": t_ours, "peer": t_loop,
            "peer_name": "loop (all draws)", "diff": abs(r.pval_wild - p_loop)}


def bench_ri(n_units: int, n_treated: int, n_periods: int) -> dict:
    d = panel(n_units, n_periods, n_units, seed=5)
    d["treated"] = (d["unit"] < n_treated).astype(int)
    n_assign = math.comb(n_units, n_treated)
    t_ours, r = timed(lambda: randomization_inference(d, outcome="y", unit="unit", period="period",
                                                      treated="treated", post="post", n_perm=n_assign), repeat=3)
    assert r.exact and r.n_assignments == n_assign

    def loop():
        wide = d.pivot_table(index="unit", columns="post", values="y", aggfunc="mean")
        delta = (wide[1] - wide[0]).to_numpy()
        obs = delta[:n_treated].mean() - delta[n_treated:].mean()
        hits = 0
        for comb in itertools.combinations(range(n_units), n_treated):
            z = np.zeros(n_units, bool)
            z[list(comb)] = True
            s = delta[z].mean() - delta[~z].mean()
            hits += abs(s) >= abs(obs) - 1e-9 * max(1.0, abs(obs))
        return hits / n_assign

    t_loop, p_loop = timed(loop)
    return {"case": f"randomization inference, exact ({n_assign:,} assignments as one matrix product)",
            "size": f"{n_units} units ({n_treated} treated) x {n_periods} periods",
            "ours": t_ours, "peer": t_loop, "peer_name": "Python loop over assignments",
            "diff": abs(r.pval - p_loop)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = ap.parse_args(argv)
    if args.quick:
        rows = [bench_cr1_vs_statsmodels(60, 6, 12),
                bench_wild(2_000, 10, 30, 999, 20),
                bench_wild_enumerated(8),
                bench_ri(14, 6, 4)]
    else:
        rows = [bench_cr1_vs_statsmodels(400, 10, 30),
                bench_wild(20_000, 10, 30, 9_999, 100),
                bench_wild_enumerated(12),
                bench_ri(20, 8, 6)]
    lines = ["| case | size | evaltools (s) | reference (s) | reference | speed-up | max abs diff |",
             "|---|---|---:|---:|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['size']} | {r['ours']:.3f} | {r['peer']:.3f} | {r['peer_name']} | "
                     f"{r['peer'] / r['ours']:.1f}x | {r['diff']:.2e} |")
    table = "\n".join(lines)
    header = ("## evaltools.pilot: did / wild cluster bootstrap / randomization inference"
              + (" (--quick)" if args.quick else "") + "\n\n"
              f"Python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}; "
              "2 shared cores, single run.\n\n")
    print(header + table)
    out = Path(__file__).resolve().parent / "results_pilot_did.md"
    if not args.quick:
        out.write_text(header + table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
