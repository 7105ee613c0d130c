"""Writing a simulated study: the study folder, its study.toml, the file formats, truth.json.

Every file is written to a temporary name and moved in place, and the same study and key
give the same bytes (gzip without time stamp, rows in a fixed order), so the committed
sample can be regenerated and compared.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltools._io import atomic_path, atomic_write
from evaltools.asn import ORDINAL_ITEMS, ROLES
from evaltools.data import pseudonymize

from ._model import EKSPEKTASI, EXPORT_COLUMNS, OUTCOMES

#: format -> extension of the ratings file ("parquet-dataset": a folder partitioned by unit)
_RATINGS_EXT = {"csv": ".csv.gz", "csv.gz": ".csv.gz", "plain-csv": ".csv", "parquet": ".parquet",
                "parquet-dataset": "", "xlsx": ".xlsx"}


def write_folder(out_dir: str | os.PathLike, *, ratings: pd.DataFrame, units: pd.DataFrame,
                 outcomes: pd.DataFrame, config: dict[str, Any], truth: dict[str, Any], format: str = "csv",
                 export_style: bool = True, key: str | None = None, key_file: str | None = "demo.key") -> Path:
    """The body of :meth:`evaltools.simulate.SimulatedStudy.write` (parameters documented there)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmt = format.lower()
    ext = _RATINGS_EXT.get(fmt)
    if ext is None:
        raise ValueError(f"format '{format}' not supported: use 'csv', 'csv.gz', 'plain-csv', 'parquet', "
                         "'parquet-dataset' or 'xlsx'")
    side_ext = ".csv" if ext in (".csv.gz", ".csv") else (ext or ".parquet")
    if key is None:
        if key_file is not None and (out / key_file).exists():
            key = (out / key_file).read_text(encoding="utf-8").strip()
        elif key_file is None:
            raise ValueError("key_file=None needs an explicit key (the truth's ids are pseudonymized with it)")
        else:
            key = secrets.token_hex(32)
    files = {"ratings": "ratings" + ext, "units": "units" + side_ext, "outcomes": "outcomes" + side_ext}
    cfg = _study_config(config, files=files, export_style=export_style, key_file=key_file)
    text = _render_toml(cfg)
    if tomllib.loads(text) != cfg:  # the hand-written TOML must read back as the config
        raise RuntimeError("study.toml rendering does not round-trip")

    ratings = _file_ratings(ratings, cfg["columns"]["ratings"])
    if fmt == "xlsx" and len(ratings) > 1_048_575:
        raise ValueError(f"{len(ratings)} ratings do not fit one XLSX sheet (1,048,575 rows): use csv or parquet")
    units = units.copy()
    units["first_treated"] = units["first_treated"].astype(object).where(units["first_treated"].notna(), None)
    outcomes = outcomes.copy()
    outcomes["period"] = outcomes["period"].astype(str)

    if key_file is not None:
        atomic_write(out / key_file, key + "\n")
    atomic_write(out / "study.toml", text)
    if fmt == "parquet-dataset":
        _atomic_write_dataset(ratings, out / files["ratings"], cfg["columns"]["ratings"]["unit"])
    else:
        _atomic_write_table(ratings, out / files["ratings"])
    _atomic_write_table(units, out / files["units"])
    _atomic_write_table(outcomes, out / files["outcomes"])
    # the loader's own hash, so the truth joins the loaded study
    truth = _pseudonymize_truth(truth, key.encode("utf-8"), pseudonymize)
    atomic_write(out / "truth.json", _dump_truth(truth))
    return out


def _dump_truth(truth: dict[str, Any]) -> str:
    """JSON with one line per rater / subject record (readable, and a third of the indented size)."""
    parts = []
    for k, v in truth.items():
        if k in ("raters", "subjects"):
            body = ",\n  ".join(json.dumps(r, ensure_ascii=False, allow_nan=False) for r in v)
            parts.append(f" {json.dumps(k)}: [\n  {body}\n ]" if v else f" {json.dumps(k)}: []")
        else:
            parts.append(f" {json.dumps(k)}: " + json.dumps(v, ensure_ascii=False, indent=1, allow_nan=False)
                         .replace("\n", "\n "))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _pseudonymize_truth(truth: dict[str, Any], key: bytes, pseudonymize) -> dict[str, Any]:
    out = dict(truth)
    for part, col in (("raters", "rater"), ("subjects", "subject")):
        recs = truth[part]
        ids = pd.Series([r[col] for r in recs], dtype=object)
        pseud = pseudonymize(ids, key).tolist() if len(ids) else []
        out[part] = [{**r, col: p} for r, p in zip(recs, pseud)]
    out["ids"] = ("subject and rater ids are the pseudonyms evaltools.load_study gives with this study's key "
                  "(HMAC-SHA256); no raw identifier or name is kept here")
    return out


def _base_config(name: str, periods: list[str], seed: int) -> dict[str, Any]:
    return {
        "study": {"name": name, "periods": list(periods), "rater_roles": list(ROLES),
                  "key_env": "EVALTOOLS_KEY"},
        "files": {},
        "columns": {"ratings": {c: c for c in EXPORT_COLUMNS}},
        "scales": {"skala_1_5": {"kind": "numeric", "min": 1, "max": 5},
                   "ekspektasi": {"kind": "ordinal", "levels": list(EKSPEKTASI)}},
        "items": {"default": "skala_1_5", **{i: "ekspektasi" for i in ORDINAL_ITEMS}},
        "outcomes": {o: dict(v) for o, v in OUTCOMES.items()},
        "thresholds": {},
        "simulation": {"generator": "evaltools.simulate", "seed": seed, "truth": "truth.json"},
    }


def _study_config(cfg: dict[str, Any], *, files: dict[str, str], export_style: bool,
                  key_file: str | None) -> dict[str, Any]:
    out = json.loads(json.dumps(cfg))
    out["files"] = dict(files)
    if key_file is not None:
        out["study"] = {**{k: v for k, v in out["study"].items() if k != "key_env"}, "key_file": key_file,
                        "key_env": out["study"].get("key_env", "EVALTOOLS_KEY")}
    out["columns"]["ratings"] = dict(EXPORT_COLUMNS) if export_style else {c: c for c in EXPORT_COLUMNS}
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k, ensure_ascii=False)


_COMMENTS = {
    ("study", "key_file"): "DEMO ONLY: a real study sets its key in $EVALTOOLS_KEY and commits no key",
    ("study", "key_env"): "environment variable holding the pseudonymization key (takes precedence)",
}


def _render_toml(cfg: dict[str, Any]) -> str:
    lines = ["# Study definition read by evaltools.load_study (written by evaltools.simulate).", ""]

    def table(path: list[str], d: dict[str, Any], header_comment: str | None = None):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        if scalars or not subs:
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]"
                         + (f"  # {header_comment}" if header_comment else ""))
            if not scalars and path == ["thresholds"]:
                lines.append("# read by evaltools.report (free-form keys documented there)")
            for k, v in scalars.items():
                c = _COMMENTS.get((path[0], k)) if len(path) == 1 else None
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}" + (f"  # {c}" if c else ""))
            lines.append("")
        for k, v in subs.items():
            table(path + [k], v)

    notes = {"files": ".csv, .csv.gz, .parquet or .xlsx",
             "columns": None, "thresholds": "verdict thresholds"}
    for top, d in cfg.items():
        if top == "columns":
            for k, v in d.items():
                table(["columns", k], v, "contract name = column name in the file")
        else:
            table([top], d, notes.get(top))
    return "\n".join(lines).rstrip() + "\n"


def _file_ratings(r: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """The ratings as an export carries them: score as text (numbers or level labels), sorted."""
    num = r["score_label"].isna().to_numpy()
    codes = np.where(num, r["score"].to_numpy() - 1, 5 + r["score_label"].cat.codes.to_numpy()).astype(np.int16)
    text = pd.Categorical.from_codes(codes, categories=["1", "2", "3", "4", "5", *EKSPEKTASI])
    out = pd.DataFrame({c: r[c] for c in EXPORT_COLUMNS if c != "score"})
    out["score"] = text
    order = np.lexsort([out[c].cat.codes.to_numpy() for c in ("item", "rater", "rater_role", "subject", "unit",
                                                              "period")])
    out = out.iloc[order].reset_index(drop=True)
    return out.rename(columns=mapping)[[mapping[c] for c in EXPORT_COLUMNS]]


def _atomic_write_dataset(df: pd.DataFrame, path: Path, unit_column: str) -> None:
    """Ratings as a hive-partitioned Parquet folder, one partition per unit, swapped in whole.

    ``preserve_order``: a partition's rows in the frame's order, not in the order the
    writer's threads finish, so the same study gives the same bytes.
    """
    import pyarrow as pa
    import pyarrow.dataset as pads

    plain = df.copy()
    for c in plain.columns:
        if isinstance(plain[c].dtype, pd.CategoricalDtype) or plain[c].dtype == object:
            plain[c] = plain[c].astype(object).where(plain[c].notna(), None).astype("string")
    table = pa.Table.from_pandas(plain, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    pads.write_dataset(table, tmp, format="parquet", partitioning=[unit_column], partitioning_flavor="hive",
                       basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
                       preserve_order=True)
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _atomic_write_table(df: pd.DataFrame, path: Path) -> None:
    name = path.name
    # atomic_path keeps the extension at the end of the temporary name: the writers pick the format from it
    with atomic_path(path) as tmp:
        if name.endswith(".csv.gz"):
            # no file name and no time stamp in the gzip header: same data, same bytes
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9,
                                                        mtime=0) as gz, \
                    io.TextIOWrapper(gz, encoding="utf-8", newline="") as fh:
                df.to_csv(fh, index=False)
        elif name.endswith(".csv"):
            df.to_csv(tmp, index=False)
        elif name.endswith(".parquet"):
            plain = df.copy()
            for c in plain.columns:
                if isinstance(plain[c].dtype, pd.CategoricalDtype) or plain[c].dtype == object:
                    plain[c] = plain[c].astype(object).where(plain[c].notna(), None).astype("string")
            plain.to_parquet(tmp, index=False)
        elif name.endswith(".xlsx"):
            plain = df.copy()
            for c in plain.columns:
                if isinstance(plain[c].dtype, pd.CategoricalDtype):
                    plain[c] = plain[c].astype(object)
            plain.to_excel(tmp, index=False, engine="openpyxl")
        else:
            raise ValueError(f"unsupported table file '{name}'")
