"""Benchmark: unit_effect (synthetic control + placebo-in-space inference) vs a naive loop.

The naive peer fits the pilot unit and every placebo with scipy SLSQP, one donor at a time,
the way a direct transcription of ADH (2010) would. Both run in the same process on the same
simulated factor-model panel (one pilot unit, N control units, 12 periods, 8 pre-periods).

    python benchmarks/bench_pilot_synth.py            # 200 control units (the issue's target)
    python benchmarks/bench_pilot_synth.py --quick    # 30 control units, smoke run
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from evaltools.pilot import unit_effect


def make_panel(n_controls: int, n_periods: int = 12, first: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n_periods, 3)).cumsum(axis=0)
    L = rng.uniform(0, 1, size=(n_controls + 1, 3))
    Y = F @ L.T + rng.normal(scale=0.5, size=(n_periods, n_controls + 1)) + 75
    Y[first:, 0] += 2.0
    periods = [f"P{t:02d}" for t in range(n_periods)]
    units = [f"U{i:04d}" for i in range(n_controls + 1)]
    df = pd.DataFrame({
        "unit": np.repeat(units, n_periods), "period": np.tile(periods, n_controls + 1),
        "first_treated": np.repeat([periods[first]] + [None] * n_controls, n_periods),
        "ikm": Y.T.ravel(),
    })
    df["period"] = pd.Categorical(df["period"], categories=periods, ordered=True)
    df["first_treated"] = pd.Categorical(df["first_treated"], categories=periods, ordered=True)
    return df, Y, first


def slsqp_weights(A, b):
    J = A.shape[1]
    res = optimize.minimize(lambda w: np.sum((A @ w - b) ** 2), np.full(J, 1 / J),
                            jac=lambda w: 2 * A.T @ (A @ w - b), method="SLSQP",
                            bounds=[(0, 1)] * J,
                            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                          "jac": lambda w: np.ones((1, J))}],
                            options={"ftol": 1e-10, "maxiter": 500})
    return res.x


def naive(Y, first, n_placebos):
    """Per-unit SLSQP loop: the pilot unit, then the first ``n_placebos`` controls in its place."""
    pre = slice(0, first)
    donors = np.arange(1, Y.shape[1])
    w0 = slsqp_weights(Y[pre][:, donors], Y[pre, 0])
    gap0 = Y[:, 0] - Y[:, donors] @ w0
    effects, pre_rmspe = [], []
    for j in donors[:n_placebos]:
        others = donors[donors != j]
        w = slsqp_weights(Y[pre][:, others], Y[pre, j])
        gap = Y[:, j] - Y[:, others] @ w
        effects.append(gap[first:].mean())
        pre_rmspe.append(np.sqrt(np.mean(gap[:first] ** 2)))
    return w0, gap0[first:].mean(), np.array(effects), np.array(pre_rmspe)


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30 control units instead of 200")
    ap.add_argument("--naive-placebos", type=int, default=None,
                    help="placebo refits run by the naive loop (default: all with --quick, 10 otherwise; "
                         "its total time is extrapolated from the time per refit)")
    args = ap.parse_args(argv)
    n = 30 if args.quick else 200
    k = args.naive_placebos if args.naive_placebos is not None else (n if args.quick else 10)
    k = min(k, n)
    df, Y, first = make_panel(n)

    unit_effect(df.iloc[: 12 * 5].copy(), unit="U0000", outcome="ikm")  # warm imports
    t0 = time.perf_counter()
    ours = unit_effect(df, unit="U0000", outcome="ikm")
    t_ours = time.perf_counter() - t0

    # the covariate variant: predictor weights V by Nelder-Mead (ADH 2010), placebos reuse V
    rng = np.random.default_rng(1)
    dfc = df.copy()
    dfc["n_employees"] = np.repeat(rng.integers(20, 400, n + 1), 12).astype(float)
    dfc["budget"] = np.repeat(rng.normal(size=n + 1), 12)
    t0 = time.perf_counter()
    unit_effect(dfc, unit="U0000", outcome="ikm", covariates=["n_employees", "budget"])
    t_cov = time.perf_counter() - t0

    t0 = time.perf_counter()
    w_ref, eff_ref, pl_eff_ref, pl_pre_ref = naive(Y, first, k)
    t_measured = time.perf_counter() - t0
    # every fit (pilot unit + placebos) solves a problem of the same size
    t_naive = t_measured / (k + 1) * (n + 1)
    extrapolated = k < n

    w_ours = ours.weights.set_index("unit")["weight"].reindex([f"U{i:04d}" for i in range(1, n + 1)]).to_numpy()
    pl_pre = ours.placebos["pre_rmspe"].to_numpy()[:k]
    pl_eff = ours.placebos["effect"].to_numpy()[:k]
    unique = pl_pre > 1e-6  # an exact interpolation (pre-RMSPE ~ 0) is typically not unique
    pre = slice(0, first)
    loss = lambda w, j, others: np.sum((Y[pre][:, others] @ w - Y[pre, j]) ** 2)  # noqa: E731
    donors = np.arange(1, n + 1)
    rows = [
        ("control units", n, n, ""),
        ("periods (pre / post)", f"{first} / {12 - first}", f"{first} / {12 - first}", ""),
        ("wall time, fit + all placebos [s]", f"{t_ours:.3f}",
         f"{t_naive:.1f}" + (f" (extrapolated from {k + 1} fits, {t_measured:.1f} s)" if extrapolated else ""),
         f"{t_naive / t_ours:.0f}x"),
        ("wall time with 2 covariates (V search) [s]", f"{t_cov:.3f}", "", ""),
        ("effect (avg post gap)", f"{ours.effect:.6f}", f"{eff_ref:.6f}", f"{abs(ours.effect - eff_ref):.2e}"),
        ("max abs weight diff, pilot unit", "", "", f"{np.max(np.abs(w_ours - w_ref)):.2e}"),
        ("pre-period loss, pilot unit", f"{loss(w_ours, 0, donors):.6g}", f"{loss(w_ref, 0, donors):.6g}", ""),
        (f"max placebo pre-RMSPE ({k} placebos)", f"{pl_pre.max():.2e}", f"{pl_pre_ref.max():.2e}", ""),
        (f"max abs placebo effect diff, {int(unique.sum())} placebos with a unique (inexact) fit", "", "",
         f"{np.max(np.abs(pl_eff - pl_eff_ref)[unique]):.2e}" if unique.any() else "n/a"),
        (f"max abs placebo effect diff, {int((~unique).sum())} exactly interpolated placebos", "", "",
         f"{np.max(np.abs(pl_eff - pl_eff_ref)[~unique]):.2e}" if (~unique).any() else "n/a"),
        ("placebo p-value (RMSPE ratio), placebo CI", f"{ours.pval:.4f}, [{ours.ci_low:.3f}, {ours.ci_high:.3f}]",
         "", ""),
    ]
    table = ["| quantity | evaltools `unit_effect` (NNLS) | naive SLSQP loop | ratio / abs diff |",
             "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    verdict = "PASS" if max(t_ours, t_cov) < 5 else "FAIL"
    text = ("## unit_effect: synthetic control with placebo inference\n\n"
            f"Simulated factor-model panel, one pilot unit and {n} control units, 12 periods; "
            "placebo-in-space refits for every control. Target: < 5 s "
            f"({verdict}: {t_ours:.2f} s). Timings are single runs on a shared 2-core machine.\n\n"
            + "\n".join(table) + "\n\n"
            "Differences in weights come from SLSQP stopping at its tolerance (its solutions meet "
            "sum(w) = 1 only to about 1e-8 and the active set to about 1e-6); the NNLS solution is "
            "the exact active-set optimum. A placebo fit from 199 donors over 8 pre-periods "
            "can interpolate its unit exactly (pre-RMSPE ~ 0 for both solvers); such optima are not unique, "
            "so two exact solutions can give different post-period gaps (last row); unit_effect notes "
            "when many placebo fits are exact.\n")
    print(text)
    if not args.quick:
        out = Path(__file__).with_name("results_pilot_synth.md")
        out.write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
