"""Benchmark: evaltools.pilot.staggered_att vs the csdid package (Callaway & Sant'Anna 2021).

Each run (ATT(g,t) + the dynamic / event-study aggregation, doubly robust, never-treated
controls) executes in a fresh subprocess so that peak memory (ru_maxrss) is measured
per run; the reported memory is the increase of the peak resident set over the
process's footprint after imports and data generation. Sizes: mpdta (500 counties x
5 years), 5,000 and 200,000 units x 12 periods with 4 waves; each with analytic SEs and
with 999 multiplier-bootstrap draws. The max abs difference compares ATT(g,t) and the
dynamic effects (plus their analytic SEs when no bootstrap).

Usage: python benchmarks/bench_pilot_staggered.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MPDTA = HERE.parents[1] / "shared" / "reference" / "did" / "mpdta.csv"

CHILD = r'''
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
impl, size, n_boot, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
mpdta = sys.argv[5]
if size == "mpdta":
    d = pd.read_csv(mpdta)
    cols = dict(y="lemp", id="countyreal", t="year", g="first.treat")
else:
    n, T = int(size), 12
    rng = np.random.default_rng(2021)
    waves = np.array([0, 4, 6, 8, 10])
    g = rng.choice(waves, size=n, p=[.4, .15, .15, .15, .15])
    t = np.arange(1, T + 1)
    e = t[None, :] - g[:, None]
    y = (rng.normal(size=n)[:, None] + 0.1 * t[None, :] + rng.normal(size=(n, T))
         + np.where((g[:, None] > 0) & (e >= 0), 1.0 + 0.1 * e, 0.0))
    d = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n), "g": np.repeat(g, T),
                      "y": y.ravel()})
    cols = dict(y="y", id="id", t="t", g="g")
if impl == "evaltools":
    from evaltools.pilot import staggered_att
else:
    from csdid.att_gt import ATTgt
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if impl == "evaltools":
    r = staggered_att(d, outcome=cols["y"], unit=cols["id"], period=cols["t"], first_treated=cols["g"],
                      n_boot=n_boot, seed=1)
    a = r.aggregate("dynamic")
    att, se, dyn, dyn_se = (r.group_time.att.tolist(), r.group_time.se.tolist(), a.table.att.tolist(),
                            a.table.se.tolist())
else:
    m = ATTgt(yname=cols["y"], gname=cols["g"], idname=cols["id"], tname=cols["t"], data=d,
              biters=max(n_boot, 1)).fit(est_method="dr", bstrap=n_boot > 0)
    m.aggte(typec="dynamic")
    flat = lambda v: np.ravel(np.asarray(v, dtype=float)).tolist()
    att, se = flat(m.results["att"]), flat(m.results["se"])
    dyn, dyn_se = flat(m.atte["att_egt"]), flat(m.atte["se_egt"])
el = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
json.dump(dict(seconds=el, peak_mb=peak / 1024, delta_mb=(peak - base) / 1024, att=att, se=se, dyn=dyn,
               dyn_se=dyn_se), open(out, "w"))
'''


def run(impl: str, size: str, n_boot: int, timeout: float) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        try:
            subprocess.run([sys.executable, "-c", CHILD, impl, size, str(n_boot), out, str(MPDTA)],
                           check=True, timeout=timeout, stdout=subprocess.DEVNULL)
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
            print(f"  {impl} {size} boot={n_boot}: {type(exc).__name__}", file=sys.stderr)
            return None
        return json.load(open(out))


def maxdiff(a: dict, b: dict, with_se: bool) -> float:
    import numpy as np
    keys = ["att", "dyn"] + (["se", "dyn_se"] if with_se else [])
    return float(max(np.nanmax(np.abs(np.asarray(a[k], float) - np.asarray(b[k], float))) for k in keys))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    sizes = ["mpdta", "5000"] if args.quick else ["mpdta", "5000", "200000"]
    rows = []
    for size in sizes:
        if size == "mpdta" and not MPDTA.exists():
            continue
        for n_boot in (0, 999):
            ours = run("evaltools", size, n_boot, args.timeout)
            peer = run("csdid", size, n_boot, args.timeout)
            if ours is None:
                continue
            label = "mpdta (500 x 5)" if size == "mpdta" else f"{int(size):,} x 12"
            row = dict(data=label, bootstrap=n_boot, ours_s=ours["seconds"], ours_mb=ours["delta_mb"])
            if peer is not None:
                row.update(csdid_s=peer["seconds"], csdid_mb=peer["delta_mb"],
                           speedup=peer["seconds"] / ours["seconds"],
                           maxdiff=maxdiff(ours, peer, with_se=n_boot == 0))
            rows.append(row)
            print(row, flush=True)
    lines = [
        "## pilot: staggered_att (Callaway & Sant'Anna) vs csdid",
        "",
        "ATT(g,t) (doubly robust, never-treated controls) + dynamic aggregation; each run in a fresh "
        "subprocess; memory = increase of peak RSS over the post-import/post-data footprint. "
        "max abs diff over ATT(g,t) and dynamic effects (and their analytic SEs when bootstrap = 0; "
        "bootstrap SEs differ by random draws).",
        "",
        "| data | bootstrap | evaltools s | csdid s | speed-up | evaltools peak MB | csdid peak MB | max abs diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cs = (f"{r['csdid_s']:.3f} | {r['speedup']:.1f}x" if "csdid_s" in r else "n/a | n/a")
        cm = f"{r['csdid_mb']:.0f}" if "csdid_mb" in r else "n/a"
        md = f"{r['maxdiff']:.1e}" if "maxdiff" in r else "n/a"
        lines.append(f"| {r['data']} | {r['bootstrap']} | {r['ours_s']:.3f} | {cs} | {r['ours_mb']:.0f} | {cm} | {md} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (HERE / "results_pilot_staggered.md").write_text(text)


if __name__ == "__main__":
    main()
