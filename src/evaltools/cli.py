"""The ``evaltools`` command.

::

    evaltools run      [--study data/sample] [--out reports] [--units U ...] [--jobs N]
                       [--scheduler tcp://host:port] [--lang id|en] [--force] [--engine warm|fresh]
    evaltools simulate --out DIR --seed N [--units N] [--regions N] [--subjects LOW HIGH] [--format csv]
                       [--force]
    evaltools summary  --study DIR --out DIR

Exit status: 0 done; 1 a unit's notebook (or the briefing) failed, the failed units named;
2 bad input (a study that does not load, an unknown unit, an ``--out`` that is a file or
already holds a study); 3 the ``--scheduler`` did not answer (nothing written); 4 another
run holds the run folder (it is named); 130 interrupted.

Examples
--------
>>> main(["simulate", "--out", "/dev/null", "--seed", "1"])
2
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_NO_SCHEDULER", "EXIT_LOCKED"]

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_SCHEDULER = 3
EXIT_LOCKED = 4


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evaltools", description="Evaluate staged pilots of ASN performance appraisal.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="per-unit reports and the policy briefing")
    r.add_argument("--study", default="data/sample", help="study folder (default: data/sample)")
    r.add_argument("--out", default="reports", help="reports root (default: reports)")
    r.add_argument("--units", nargs="+", default=None, metavar="UNIT", help="only these pilot units")
    r.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://host:8786 (needs the 'dask' extra)")
    r.add_argument("--lang", choices=("id", "en"), default="id", help="report language (default: id)")
    r.add_argument("--force", action="store_true", help="redo units whose inputs and code are unchanged")
    r.add_argument("--engine", choices=("warm", "fresh"), default="warm",
                   help="warm: one kernel per worker, reset between units (default); fresh: one kernel per unit")
    r.add_argument("--run-id", default=None,
                   help="folder name under --out (default: the study folder's name, plus -en for --lang en)")
    r.add_argument("--no-progress", action="store_true",
                   help="no progress output (a terminal gets a bar, a log file plain lines)")

    s = sub.add_parser("simulate", help="write a simulated study folder (synthetic data with known truth)")
    s.add_argument("--out", required=True, help="folder to write")
    s.add_argument("--seed", type=int, required=True, help="random seed (same seed, same study)")
    s.add_argument("--units", type=int, default=None, help="number of work units")
    s.add_argument("--regions", type=int, default=None, help="number of regions")
    s.add_argument("--subjects", type=int, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="employees rated per unit (inclusive range)")
    s.add_argument("--control-share", type=float, default=None, help="share of never-treated units")
    s.add_argument("--format", default="csv", choices=("csv", "csv.gz", "plain-csv", "parquet", "parquet-dataset",
                                                       "xlsx"),
                   help="table format (default: csv = gzipped ratings; parquet-dataset = a ratings folder "
                        "partitioned by unit)")
    s.add_argument("--force", action="store_true", help="write into a folder that is not empty (replaces its study)")

    m = sub.add_parser("summary", help="data summary: counts per unit, period, role and item")
    m.add_argument("--study", required=True, help="study folder")
    m.add_argument("--out", required=True, help="folder for summary.md and summary.xlsx")
    return p


def _cmd_run(a: argparse.Namespace) -> int:
    from evaltools import runner

    res = runner.run(a.study, a.out, units=a.units, jobs=a.jobs, scheduler=a.scheduler, lang=a.lang,
                     force=a.force, engine=a.engine, run_id=a.run_id, progress=not a.no_progress)
    print(f"{res.run_dir}: {len(res.executed)} unit(s) run, {len(res.skipped)} unchanged, "
          f"{len(res.failed)} failed")
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    if res.failed:
        print("failed units: " + ", ".join(res.failed), file=sys.stderr)
        for u in res.failed:
            print(_failure_line(u, res.manifest["units"].get(u, {}), res.run_dir), file=sys.stderr)
    if not res.briefing_ok:
        print(_failure_line("briefing", res.manifest.get("briefing") or {}, res.run_dir), file=sys.stderr)
    return 0 if res.ok else EXIT_FAILED


def _failure_line(name: str, entry: dict, run_dir) -> str:
    """One line per failure: what failed, the error's last line, where the whole error is."""
    from evaltools._executors import failure_summary

    summary = entry.get("error_summary") or failure_summary(entry.get("error", ""))
    log = f" (log: {run_dir / entry['log']})" if entry.get("log") else ""
    return f"  {name} failed: {summary}{log}"


def _check_simulate_out(out: str, force: bool) -> None:
    from pathlib import Path

    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder: give a folder to write the study into")
    if p.is_dir() and any(p.iterdir()) and not force:
        what = "a study (study.toml)" if (p / "study.toml").exists() else "files"
        raise ValueError(f"--out {out} already holds {what}; choose a new folder, or pass --force to replace it")


def _cmd_simulate(a: argparse.Namespace) -> int:
    from evaltools.simulate import write_study

    _check_simulate_out(a.out, a.force)
    kw = {}
    if a.units is not None:
        kw["n_units"] = a.units
    if a.regions is not None:
        kw["n_regions"] = a.regions
    if a.subjects is not None:
        kw["subjects_per_unit"] = tuple(a.subjects)
    if a.control_share is not None:
        kw["control_share"] = a.control_share
    sim = write_study(a.out, seed=a.seed, format=a.format, **kw)
    print(f"{a.out}: {sim.units.shape[0]} units, {sim.ratings.shape[0]} ratings")
    return 0


def _cmd_summary(a: argparse.Namespace) -> int:
    import evaltools
    from evaltools import report

    study = evaltools.load_study(a.study)
    md, xl = report.write_data_summary(study, a.out)
    print(f"{md}\n{xl}")
    return 0


_COMMANDS = {"run": _cmd_run, "simulate": _cmd_simulate, "summary": _cmd_summary}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evaltools`` console script; returns the exit status (module doc)."""
    a = build_parser().parse_args(argv)
    if a.command == "run" and a.scheduler is None and (a.jobs or os.cpu_count() or 1) > 1:
        # the pool's fork server imports the unit task's modules while this process imports its own
        from evaltools._forkserver import start_early

        start_early()
    from evaltools._errors import DataError
    from evaltools._executors import SchedulerUnreachable
    from evaltools._runfolder import RunLocked

    try:
        return _COMMANDS[a.command](a)
    except SchedulerUnreachable as exc:
        print(f"evaltools {a.command}: {exc}", file=sys.stderr)
        return EXIT_NO_SCHEDULER
    except RunLocked as exc:
        print(f"evaltools {a.command}: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (DataError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError) as exc:
        print(f"evaltools {a.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; finished units are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
