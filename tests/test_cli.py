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
