"""The ``evaltools`` command: options, simulate, summary, errors."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from evaltools import cli


def test_run_options_parse():
    a = cli.build_parser().parse_args(["run", "--study", "s", "--out", "o", "--units", "A", "B", "--jobs", "3",
                                       "--scheduler", "tcp://h:8786", "--lang", "en", "--force", "--engine", "fresh"])
    assert (a.study, a.out, a.units, a.jobs, a.scheduler, a.lang, a.force, a.engine) == \
        ("s", "o", ["A", "B"], 3, "tcp://h:8786", "en", True, "fresh")
    d = cli.build_parser().parse_args(["run"])
    assert (d.study, d.out, d.jobs, d.lang, d.engine, d.force) == ("data/sample", "reports", None, "id", "warm", False)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--lang", "fr"])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "sim"
    assert cli.main(["simulate", "--out", str(out), "--seed", "4", "--units", "4", "--regions", "1",
                     "--subjects", "10", "12"]) == 0
    return out


def test_simulate_writes_a_study(simulated):
    assert (simulated / "study.toml").is_file()
    units = pd.read_csv(simulated / "units.csv")
    assert len(units) == 4
    import evaltools

    st = evaltools.load_study(simulated)
    n = st.ratings.groupby("unit", observed=True)["subject"].nunique()
    assert n.between(10, 12).all()


def test_summary_writes_counts_without_identifiers(simulated, tmp_path):
    assert cli.main(["summary", "--study", str(simulated), "--out", str(tmp_path)]) == 0
    md = (tmp_path / "summary.md").read_text()
    assert "n_subjects" in md and "n_ratings" in md
    raw = pd.read_csv(simulated / "ratings.csv.gz", dtype=str)
    nips = set(raw["nip"]) | set(raw["nip_penilai"])
    names = set(raw["nama"].dropna())
    with zipfile.ZipFile(tmp_path / "summary.xlsx") as z:
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for text in (md, xml):
        assert not (set(re.findall(r"\d{18}", text)) & nips)
        assert not [n for n in names if len(n) > 5 and n in text]
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporary files


def test_bad_study_exits_2(tmp_path, capsys):
    assert cli.main(["run", "--study", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert "evaltools run" in capsys.readouterr().err


def test_unknown_unit_exits_2_naming_it(simulated, tmp_path, capsys):
    assert cli.main(["run", "--study", str(simulated), "--out", str(tmp_path), "--units", "Dinas Tidak Ada",
                     "--no-progress"]) == 2
    assert "Dinas Tidak Ada" in capsys.readouterr().err
    assert not list(tmp_path.rglob(".work"))  # nothing half-made left behind


def test_console_script_entry_point():
    r = subprocess.run([sys.executable, "-c", "import sys; from evaltools.cli import main; sys.exit(main(['--help']))"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "run" in r.stdout and "simulate" in r.stdout and "summary" in r.stdout


def test_simulate_refuses_an_existing_study_unless_forced(simulated, tmp_path, capsys):
    before = (simulated / "study.toml").read_bytes()
    assert cli.main(["simulate", "--out", str(simulated), "--seed", "5", "--units", "3"]) == 2
    err = capsys.readouterr().err
    assert "already holds a study" in err and "--force" in err
    assert (simulated / "study.toml").read_bytes() == before
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(simulated, copy)
    assert cli.main(["simulate", "--out", str(copy), "--seed", "5", "--units", "3", "--force"]) == 0
    assert len(pd.read_csv(copy / "units.csv")) == 3


def test_simulate_out_is_a_file_is_a_clear_error(simulated, capsys):
    assert cli.main(["simulate", "--out", str(simulated / "study.toml"), "--seed", "5"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err


def test_simulate_parquet_dataset_is_hive_partitioned_by_unit(tmp_path):
    import pyarrow.dataset as pads

    out = tmp_path / "ds"
    assert cli.main(["simulate", "--out", str(out), "--seed", "4", "--units", "4", "--regions", "1",
                     "--subjects", "10", "12", "--format", "parquet-dataset"]) == 0
    assert 'ratings = "ratings"' in (out / "study.toml").read_text()
    rated = pd.read_parquet(out / "units.parquet")["unit"]
    parts = sorted(p.name for p in (out / "ratings").iterdir())
    assert parts and all(p.startswith("unit_kerja=") for p in parts)
    table = pads.dataset(out / "ratings", format="parquet", partitioning="hive").to_table().to_pandas()
    assert set(table["unit_kerja"].astype(str)) <= set(rated.astype(str))
    # one unit's partition holds that unit's rows only
    one = pads.dataset(out / "ratings" / parts[0], format="parquet").to_table().to_pandas()
    from urllib.parse import unquote

    name = unquote(parts[0].split("=", 1)[1])
    assert len(one) == (table["unit_kerja"].astype(str) == name).sum() > 0


def _make_n(*args: str) -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(["make", "-n", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not __import__("shutil").which("make"), reason="make is not installed")
def test_makefile_paths_of_the_analyst():
    import os

    lab = next(ln for ln in _make_n("lab").splitlines() if "jupyter" in ln)
    assert "jupyter lab" in lab and "--ServerApp.root_dir=" in lab and "notebooks/" not in lab
    assert ("--allow-root" in lab) == (os.getuid() == 0)
    report = _make_n("report", "LANG_REPORT=en", "RUN_ID=uji-en")
    assert "--lang en" in report and "--run-id uji-en" in report
    summary = _make_n("summary")
    out = re.search(r"evaltools summary .*--out (\S+)", summary).group(1)
    assert out != "reports" and out.rstrip("/") != "reports/sample"


_ORDER_PROBE = r"""
import sys
from multiprocessing import forkserver
import evaltools._forkserver as fs
seen = {}
real = fs.start_early
def probe():
    seen["pandas_loaded"] = "pandas" in sys.modules
    return real()
fs.start_early = probe
from evaltools import cli
assert "pandas" not in sys.modules, "importing the command imported pandas"
code = cli.main(["run", "--study", sys.argv[1], "--out", sys.argv[2], "--jobs", "2"])
print(code, seen, forkserver._forkserver._forkserver_pid is not None)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows")
def test_run_starts_the_pool_server_before_its_own_imports(tmp_path):
    # the server's imports (papermill, nbconvert, pages) overlap the command's (pandas, the
    # runner) only if it is started before them; a study that does not load stops the run early
    proc = subprocess.run([sys.executable, "-c", _ORDER_PROBE, str(tmp_path / "missing"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "{'pandas_loaded':", "False}", "True"], proc.stdout
