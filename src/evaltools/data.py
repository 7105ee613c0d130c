"""The study data contract: load, validate and pseudonymize a study folder.

A study is a folder with ``study.toml`` and three tables (CSV, gzipped CSV, Parquet
or XLSX, chosen by extension):

- ``ratings``: period, unit, subject, rater, rater_role, item, score
- ``units``: unit, region, first_treated (empty = never treated), optional covariates
- ``outcomes``: unit, period, one column per outcome (optionally a subject column)

``study.toml`` declares the period order, the rating scale of each item, the rater
roles, the outcomes (and which are "higher is better"), the key used to pseudonymize
identifiers, and a column mapping (contract name = column name in the file) so a user
can point it at an e-Kinerja or SIASN export without editing it.

Every problem of every file is collected (up to a limit) and raised together as one
:class:`DataError` naming the file, the row (the spreadsheet line number: the header is
line 1, so the first record is row 2; for Parquet the 1-based record number) and the
column. Input files are only ever read.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, Problem, closest, require_columns

__all__ = [
    "DataError",
    "Scale",
    "Study",
    "load_study",
    "pseudonymize",
    "read_table",
    "require_columns",
    "RATING_COLUMNS",
    "UNIT_COLUMNS",
    "OUTCOME_KEYS",
]

RATING_COLUMNS = ("period", "unit", "subject", "rater", "rater_role", "item", "score")
UNIT_COLUMNS = ("unit", "region", "first_treated")
OUTCOME_KEYS = ("unit", "period")
#: contract columns holding personal names: read only to be dropped
NAME_COLUMNS = ("subject_name", "rater_name")
#: columns whose values are person identifiers and get pseudonymized
ID_COLUMNS = ("subject", "rater")
DEFAULT_ROLES = ("atasan", "rekan_kerja", "bawahan", "masyarakat", "diri_sendiri")
DEFAULT_KEY_ENV = "EVALTOOLS_KEY"
MAX_PROBLEMS = 50
PSEUDONYM_PREFIX = "P-"
_PSEUDONYM_RE = re.compile(r"^P-[0-9a-f]{16}$")
# NIP: 18 digits (PNS and PPPK), the old 9-digit NIP; written with or without spaces
_NIP_RE = re.compile(r"^(\d{18}|\d{9})$")
# a personal name: words of letters (any script) with dots, apostrophes or commas; one word
# is enough, since many Indonesians have a single name (Sukarno, Suharto)
_NAME_RE = re.compile(r"^(?=.*[^\W\d_]{3})[^\W\d_](?:[^\W\d_]|[.,'])*(?:\s+[^\W\d_](?:[^\W\d_]|[.,'])*)*$")


# --------------------------------------------------------------------------- scales
@dataclasses.dataclass(frozen=True)
class Scale:
    """A declared rating scale.

    ``kind="numeric"`` scores are numbers in ``[min, max]``; ``kind="ordinal"`` scores
    are labels from ``levels`` (lowest first), stored as their 1-based code so the
    agreement statistics read both kinds the same way.
    """

    name: str
    kind: str
    min: float
    max: float
    levels: tuple[str, ...] = ()
    step: float | None = 1.0

    @property
    def categories(self) -> list[float]:
        """The scale's full list of numeric codes (what categorical coefficients need)."""
        if self.kind == "ordinal":
            return [float(i) for i in range(1, len(self.levels) + 1)]
        if self.step:
            n = int(round((self.max - self.min) / self.step)) + 1
            return [float(self.min + i * self.step) for i in range(n)]
        return []

    def label(self, code: float) -> str:
        if self.kind == "ordinal" and code == code:
            return self.levels[int(code) - 1]
        return f"{code:g}"


def _parse_scales(cfg: dict, problems: list[Problem], file: str) -> dict[str, Scale]:
    scales = {}
    for name, spec in (cfg.get("scales") or {}).items():
        kind = str(spec.get("kind", "numeric"))
        if kind == "ordinal":
            levels = tuple(str(x) for x in spec.get("levels", ()))
            if len(levels) < 2:
                problems.append(Problem(f"scale '{name}' is ordinal but declares fewer than two levels",
                                        file=file, column=f"scales.{name}.levels"))
                continue
            scales[name] = Scale(name, "ordinal", 1.0, float(len(levels)), levels, 1.0)
        elif kind == "numeric":
            try:
                lo, hi = float(spec["min"]), float(spec["max"])
            except (KeyError, TypeError, ValueError):
                problems.append(Problem(f"numeric scale '{name}' needs numbers 'min' and 'max'",
                                        file=file, column=f"scales.{name}"))
                continue
            step = spec.get("step", 1)
            scales[name] = Scale(name, "numeric", lo, hi, (), None if step in (0, None) else float(step))
        else:
            problems.append(Problem(f"scale '{name}' has unknown kind '{kind}' (use 'numeric' or 'ordinal')",
                                    file=file, column=f"scales.{name}.kind"))
    return scales


# ---------------------------------------------------------------------- reading
def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV (optionally gzipped), Parquet or XLSX table with every cell as text.

    Text keeps 18-digit NIPs and leading zeros intact; types are assigned during
    validation, where a bad cell can be reported by row and column.
    """
    path = Path(path)
    name = path.name.lower()
    if not path.exists():
        raise DataError("file not found", file=str(path))
    try:
        if name.endswith((".csv", ".csv.gz", ".txt")):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
                             encoding="utf-8-sig")
        elif name.endswith(".parquet"):
            df = pd.read_parquet(path)
            df = df.astype({c: str for c in df.columns if not pd.api.types.is_string_dtype(df[c])}).where(df.notna())
        elif name.endswith((".xlsx", ".xlsm")):
            df = pd.read_excel(path, dtype=str, keep_default_na=False, na_values=[""], engine="openpyxl")
        else:
            raise DataError("unsupported file type (use .csv, .csv.gz, .parquet or .xlsx)", file=str(path))
    except DataError:
        raise
    except Exception as exc:  # the reader's own message, attributed to the file
        raise DataError(f"could not be read: {exc}", file=str(path)) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _row_numbers(path: Path) -> int:
    """Offset from a 0-based record index to the row number shown to the user."""
    return 1 if path.name.lower().endswith(".parquet") else 2


class _Collector:
    """Collects problems of one file, keeping the first ``MAX_PROBLEMS`` and a count."""

    def __init__(self, file: str, offset: int):
        self.file, self.offset = file, offset
        # problems name the column as the user's file spells it
        self.source_names: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.more = 0

    def add(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            if column is not None:
                column = ",".join(self.source_names.get(c, c) for c in column.split(","))
            self.problems.append(Problem(message, file=self.file,
                                         row=None if row is None else int(row) + self.offset, column=column))
        else:
            self.more += 1

    def add_rows(self, mask: np.ndarray, column: str, message) -> None:
        """One problem per flagged record; ``message(i)`` builds the text for record i."""
        idx = np.flatnonzero(np.asarray(mask))
        room = max(MAX_PROBLEMS - len(self.problems), 0)
        for i in idx[:room]:
            self.add(message(i), row=i, column=column)
        self.more += max(len(idx) - room, 0)


def _map_columns(df: pd.DataFrame, mapping: dict[str, str], required: Sequence[str], col: _Collector,
                 what: str) -> pd.DataFrame:
    """Rename file columns to contract names; report required ones that are missing."""
    rename = {}
    for contract, source in mapping.items():
        if source in df.columns:
            rename[source] = contract
        elif contract in required or contract in NAME_COLUMNS:
            if contract in df.columns:
                continue
            hint = closest(source, df.columns)
            col.add(f"missing column '{source}' (mapped to '{contract}' in study.toml)"
                    + (f"; did you mean '{hint}'?" if hint else ""), column=source)
    df = df.rename(columns=rename)
    col.source_names.update({contract: source for source, contract in rename.items()})
    for contract in required:
        if contract in df.columns or contract in mapping:
            continue
        hint = closest(contract, df.columns)
        col.add(f"missing column in {what}" + (f"; did you mean '{hint}'?" if hint else
                                               f" (columns present: {', '.join(df.columns)})"), column=contract)
    return df


def _open_table(root: Path, files: dict, name: str, colmaps: dict,
                required: Sequence[str]) -> tuple[Path, pd.DataFrame, _Collector]:
    """Read table ``name``, map its columns to contract names, and start its problem list."""
    path = root / files[name]
    col = _Collector(str(path), _row_numbers(path))
    df = _map_columns(read_table(path), dict(colmaps.get(name, {})), required, col, name)
    if len(df) == 0:
        col.add("the table is empty")
    return path, df, col


def _check_missing(df: pd.DataFrame, columns: Iterable[str], col: _Collector) -> None:
    for c in columns:
        if c in df.columns:
            bad = df[c].isna().to_numpy() | (df[c].astype(str).str.strip() == "").to_numpy()
            col.add_rows(bad, c, lambda i: "empty value")


def _check_duplicates(df: pd.DataFrame, keys: Sequence[str], col: _Collector) -> None:
    if not all(k in df.columns for k in keys):
        return
    keys = list(keys)
    gid = df.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(gid, return_index=True)
    later = np.ones(len(df), bool)
    later[first] = False
    if not later.any():
        return
    first_of = first[np.searchsorted(np.unique(gid), gid)]
    col.add_rows(later, ",".join(keys), lambda i: f"duplicate key ({', '.join(keys)}) = "
                 f"({', '.join(str(df[k].iloc[i]) for k in keys)}), first seen at row {first_of[i] + col.offset}")


# ----------------------------------------------------------------- pseudonyms
def looks_identifying(values: pd.Series) -> pd.Series:
    """True where a value looks like a NIP (18 or 9 digits, spaces allowed) or a name."""
    s = values.astype(str).str.strip()
    digits = s.str.replace(r"[\s.\-]", "", regex=True)
    return digits.str.fullmatch(_NIP_RE) | s.str.fullmatch(_NAME_RE)


def pseudonymize(values: pd.Series, key: bytes) -> pd.Series:
    """Replace identifiers with a keyed hash: ``P-`` + 16 hex digits of HMAC-SHA256.

    The identifier is normalized first (spaces, dots and dashes removed, upper case), so
    ``"19660801 198803 1 001"`` and ``"196608011988031001"`` get one pseudonym; the same
    key gives the same pseudonym in every run, so periods and files can be linked.
    Each distinct value is hashed once.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    norm = pd.Index(uniques).astype(str).str.replace(r"[\s.\-]", "", regex=True).str.upper()
    hashed = np.array([PSEUDONYM_PREFIX + hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
                       for v in norm], dtype=object)
    out = np.where(codes >= 0, hashed[np.maximum(codes, 0)] if len(hashed) else None, None)
    return pd.Series(out, index=values.index, name=values.name, dtype="str")


def _load_key(cfg: dict, root: Path, file: str) -> tuple[bytes | None, str]:
    sec = cfg.get("study", {})
    env = sec.get("key_env", DEFAULT_KEY_ENV)
    if os.environ.get(env):
        return os.environ[env].strip().encode("utf-8"), f"environment variable {env}"
    kf = sec.get("key_file")
    if kf:
        p = (root / kf)
        if not p.exists():
            raise DataError(f"key_file '{kf}' named in study.toml does not exist", file=file, column="study.key_file")
        text = p.read_text(encoding="utf-8").strip()
        if not text:
            raise DataError(f"key file '{kf}' is empty", file=str(p))
        return text.encode("utf-8"), f"key file {kf}"
    return None, ""


# ------------------------------------------------------------------- the study
@dataclasses.dataclass
class Study:
    """A validated, pseudonymized study.

    Attributes
    ----------
    ratings : DataFrame
        ``period`` (ordered categorical), ``unit``, ``subject``, ``rater`` (pseudonyms),
        ``rater_role`` (categorical), ``item``, ``score`` (float: the numeric score, or the
        1-based level code of an ordinal item), ``score_label`` (ordered categorical of the
        ordinal labels; missing for numeric items).
    units : DataFrame
        ``unit``, ``region``, ``first_treated`` (ordered categorical, missing = never
        treated), ``first_treated_idx`` (1-based period position, 0 = never treated) and
        the covariates as given (numeric where every value parses as a number).
    outcomes : DataFrame
        ``unit``, ``period`` (ordered categorical), ``t`` (1-based period position),
        optional ``subject``, and one float column per outcome.
    """

    name: str
    path: Path | None
    periods: list[str]
    roles: list[str]
    scales: dict[str, Scale]
    outcome_info: dict[str, dict]
    config: dict
    ratings: pd.DataFrame
    units: pd.DataFrame
    outcomes: pd.DataFrame
    item_scales: dict[str, str] = dataclasses.field(default_factory=dict)
    default_scale: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)

    # -- metadata helpers
    def scale_for(self, item: str) -> Scale:
        """The declared scale of ``item``."""
        return self.scales[self.item_scales.get(item, self.default_scale)]

    def categories(self, item: str) -> list[float]:
        return self.scale_for(item).categories

    @property
    def thresholds(self) -> dict:
        return dict(self.config.get("thresholds", {}))

    @property
    def outcome_names(self) -> list[str]:
        return list(self.outcome_info)

    @property
    def pilot_units(self) -> list[str]:
        """Units whose pilot has started (``first_treated_idx > 0``), in the units table's order
        (the order the runner reports them in)."""
        u = self.units
        return [str(x) for x in u.loc[u["first_treated_idx"].fillna(0).astype(int) > 0, "unit"]]

    def panel(self) -> pd.DataFrame:
        """Outcomes joined with the units table: one row per (unit, period)."""
        return self.outcomes.merge(self.units, on="unit", how="left", validate="many_to_one")

    def subset(self, units: Iterable[str]) -> "Study":
        """The same study restricted to ``units`` (ratings, units and outcomes)."""
        keep = set(units)
        return dataclasses.replace(
            self,
            ratings=self.ratings[self.ratings["unit"].isin(keep)].reset_index(drop=True),
            units=self.units[self.units["unit"].isin(keep)].reset_index(drop=True),
            outcomes=self.outcomes[self.outcomes["unit"].isin(keep)].reset_index(drop=True),
        )

    # -- aggregate description (no individual rows)
    def summary(self) -> dict[str, pd.DataFrame]:
        """Counts that describe the study without any individual-level row.

        Returns ``{"units": ..., "items": ..., "roles": ..., "periods": ...}``; the units
        table gives per unit its region, pilot start, subjects, raters, ratings, mean raters
        per rated subject-item and the share of the declared 360° roles missing per subject.
        """
        r = self.ratings
        per_unit = r.groupby("unit", observed=True).agg(
            n_ratings=("score", "size"), n_subjects=("subject", "nunique"), n_raters=("rater", "nunique"))
        spi = r.groupby(["unit", "period", "subject", "item"], observed=True).size()
        per_unit["raters_per_subject_item"] = spi.groupby(level="unit", observed=True).mean()
        roles_seen = r.groupby(["unit", "period", "subject"], observed=True)["rater_role"].nunique()
        n_roles = max(len(self.roles), 1)
        per_unit["share_roles_missing"] = 1 - roles_seen.groupby(level="unit", observed=True).mean() / n_roles
        units = self.units.set_index("unit")[["region", "first_treated"]].join(per_unit, how="left")
        units[["n_ratings", "n_subjects", "n_raters"]] = units[["n_ratings", "n_subjects", "n_raters"]].fillna(0).astype(int)
        items = r.groupby("item", observed=True).agg(n_ratings=("score", "size"), mean=("score", "mean"),
                                                     sd=("score", "std"), n_raters=("rater", "nunique"))
        items["scale"] = [self.scale_for(i).name for i in items.index]
        roles = r.groupby("rater_role", observed=False).agg(n_ratings=("score", "size"), mean=("score", "mean"),
                                                            n_raters=("rater", "nunique"))
        periods = r.groupby("period", observed=False).agg(n_ratings=("score", "size"), n_units=("unit", "nunique"),
                                                          n_subjects=("subject", "nunique"))
        oc = self.outcomes.groupby("period", observed=False)[self.outcome_names].mean()
        periods = periods.join(oc.add_prefix("mean_"))
        return {"units": units.reset_index(), "items": items.reset_index(), "roles": roles.reset_index(),
                "periods": periods.reset_index()}

    # -- partitions: the validated tables, no raw identifiers, for one or more units
    def save(self, directory: str | os.PathLike, units: Iterable[str] | None = None) -> Path:
        """Write the (optionally unit-restricted) study as Parquet + ``study.json``.

        The partition holds pseudonymized data only; :func:`load_study` reads it back
        without revalidating. Files are written to a temporary folder renamed into place.
        """
        study = self if units is None else self.subset(units)
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            for name in ("ratings", "units", "outcomes"):
                getattr(study, name).to_parquet(tmp / f"{name}.parquet", index=False)
            meta = {"name": study.name, "periods": study.periods, "roles": study.roles,
                    "scales": {k: dataclasses.asdict(v) for k, v in study.scales.items()},
                    "item_scales": study.item_scales, "default_scale": study.default_scale,
                    "outcome_info": study.outcome_info, "config": study.config, "notes": study.notes,
                    "format": "evaltools-partition-1"}
            (tmp / "study.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str),
                                           encoding="utf-8")
            if directory.exists():
                old = directory.with_name(directory.name + ".old")
                os.replace(directory, old)
                os.replace(tmp, directory)
                _rmtree(old)
            else:
                os.replace(tmp, directory)
        except BaseException:
            _rmtree(tmp)
            raise
        return directory

    def control_pools(self, units: Iterable[str] | None = None, *, min_regional: int = 10) -> dict[str, list[str]]:
        """The never-treated units each pilot unit in ``units`` (default: all) is compared with.

        Units of one region share labour markets, budgets and regional policy, so the region's
        never-treated units are the donors when there are ``min_regional`` or more of them;
        with fewer, every never-treated unit is the pool.
        """
        u = self.units
        names = u["unit"].astype(str)
        never = u["first_treated_idx"].fillna(0).astype(int).to_numpy() == 0
        region = u["region"].astype(str) if "region" in u else pd.Series("", index=u.index)
        all_ctrl = names[never].tolist()
        by_region = names[never].groupby(region[never].to_numpy(), sort=False).agg(list).to_dict()
        reg_of = dict(zip(names, region))
        pools = {}
        for unit in self.pilot_units if units is None else units:
            pool = by_region.get(reg_of.get(unit, ""), [])
            pools[unit] = pool if len(pool) >= min_regional else all_ctrl
        return pools


def _rmtree(p: Path) -> None:
    import shutil
    shutil.rmtree(p, ignore_errors=True)


def _load_partition(root: Path) -> Study:
    meta = json.loads((root / "study.json").read_text(encoding="utf-8"))
    scales = {k: Scale(**{**v, "levels": tuple(v["levels"])}) for k, v in meta["scales"].items()}
    tables = {n: pd.read_parquet(root / f"{n}.parquet") for n in ("ratings", "units", "outcomes")}
    return Study(name=meta["name"], path=root, periods=meta["periods"], roles=meta["roles"], scales=scales,
                 outcome_info=meta["outcome_info"], config=meta["config"], item_scales=meta["item_scales"],
                 default_scale=meta["default_scale"], notes=meta.get("notes", []), **tables)


# --------------------------------------------------------------------- loading
def load_study(path: str | os.PathLike) -> Study:
    """Load, validate and pseudonymize the study in folder ``path``.

    Parameters
    ----------
    path : path to the study folder (holding ``study.toml``), to ``study.toml`` itself,
        or to a partition written by :meth:`Study.save`.

    Returns
    -------
    Study

    Raises
    ------
    DataError
        Listing every problem found (file, row, column), up to 50 per file: missing or
        misspelled columns (with the closest name), unknown category labels, scores
        outside the declared scale or not numeric, duplicate keys, units or periods not
        declared, an invalid ``first_treated``, an empty table, raw identifiers with no
        pseudonymization key.
    """
    root = Path(path)
    if root.is_file():
        root = root.parent
    if (root / "study.json").exists() and not (root / "study.toml").exists():
        return _load_partition(root)
    toml_path = root / "study.toml"
    tfile = str(toml_path)
    if not toml_path.exists():
        raise DataError("study.toml not found: a study folder needs one", file=tfile)
    try:
        cfg = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"is not valid TOML: {exc}", file=tfile) from exc

    problems: list[Problem] = []
    sec = cfg.get("study", {})
    periods = [str(p) for p in sec.get("periods", [])]
    if not periods:
        problems.append(Problem("declare the period order as [study] periods = [...]", file=tfile,
                                column="study.periods"))
    elif len(set(periods)) != len(periods):
        problems.append(Problem("periods are declared more than once", file=tfile, column="study.periods"))
    roles = [str(r) for r in sec.get("rater_roles", DEFAULT_ROLES)]
    scales = _parse_scales(cfg, problems, tfile)
    items_cfg = {str(k): str(v) for k, v in (cfg.get("items") or {}).items()}
    default_scale = items_cfg.pop("default", None)
    for item, sname in list(items_cfg.items()) + ([("default", default_scale)] if default_scale else []):
        if sname not in scales:
            hint = closest(sname, scales)
            problems.append(Problem(f"item '{item}' uses undeclared scale '{sname}'"
                                    + (f"; did you mean '{hint}'?" if hint else ""), file=tfile, column="items"))
    if not scales:
        problems.append(Problem("declare at least one rating scale under [scales.NAME]", file=tfile, column="scales"))
    outcome_info = {}
    for name, spec in (cfg.get("outcomes") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        outcome_info[str(name)] = {"label": spec.get("label", name), "label_en": spec.get("label_en", spec.get("label", name)),
                                   "higher_is_better": bool(spec.get("higher_is_better", True))}
    files = cfg.get("files", {})
    for t in ("ratings", "units", "outcomes"):
        if t not in files:
            problems.append(Problem(f"name the {t} table under [files] (e.g. {t} = \"{t}.csv\")", file=tfile,
                                    column=f"files.{t}"))
    if problems:
        raise DataError(problems)

    colmaps = cfg.get("columns", {})
    notes: list[str] = []
    all_problems: list[Problem] = []
    more = 0

    # -- units
    upath, units, cu = _open_table(root, files, "units", colmaps, UNIT_COLUMNS)
    _check_missing(units, ("unit", "region"), cu)
    _check_duplicates(units, ("unit",), cu)
    if "first_treated" in units.columns:
        ft = units["first_treated"].astype("str").str.strip()
        never = units["first_treated"].isna().to_numpy() | ft.isin(["", "0", "nan", "None", "never"]).to_numpy()
        bad = ~never & ~ft.isin(periods).to_numpy()
        cu.add_rows(bad, "first_treated", lambda i: f"'{ft.iloc[i]}' is not a declared period"
                    + (f" (did you mean '{closest(ft.iloc[i], periods)}'?)" if closest(ft.iloc[i], periods) else "")
                    + "; leave empty for never-treated units")
        units["first_treated"] = pd.Categorical(ft.where(~never & ~bad), categories=periods, ordered=True)
        units["first_treated_idx"] = (units["first_treated"].cat.codes.to_numpy() + 1).astype(np.int64)
        n_first = int((units["first_treated_idx"].to_numpy() == 1).sum())
        if n_first:
            # a property of the design, not an error: impact estimators leave such units out
            notes.append(f"{n_first} unit(s) start the pilot in the first period and have no pre-period")
    for c in units.columns:
        if c in ("unit", "region", "first_treated", "first_treated_idx"):
            continue
        num = pd.to_numeric(units[c], errors="coerce")
        if num.notna().sum() == units[c].notna().sum() and units[c].notna().any():
            units[c] = num
    if "unit" in units.columns:
        units["unit"] = units["unit"].astype("str").str.strip()
    known_units = set(units["unit"]) if "unit" in units.columns else set()
    all_problems += cu.problems
    more += cu.more

    # -- ratings
    rpath, ratings, cr = _open_table(root, files, "ratings", colmaps, RATING_COLUMNS)
    _check_missing(ratings, [c for c in RATING_COLUMNS if c != "score"], cr)
    for c in ("period", "unit", "subject", "rater", "rater_role", "item"):
        if c in ratings.columns:
            ratings[c] = ratings[c].astype("str").str.strip()
    if "period" in ratings.columns:
        bad = ratings["period"].notna().to_numpy() & ~ratings["period"].isin(periods).to_numpy()
        cr.add_rows(bad, "period", lambda i: f"period '{ratings['period'].iloc[i]}' is not declared in study.toml")
    if "unit" in ratings.columns and "unit" in units.columns:
        bad = ratings["unit"].notna().to_numpy() & ~ratings["unit"].isin(known_units).to_numpy()
        cr.add_rows(bad, "unit", lambda i: f"unit '{ratings['unit'].iloc[i]}' is not in the units table ({files['units']})"
                    + (f"; did you mean '{closest(ratings['unit'].iloc[i], known_units)}'?"
                       if closest(ratings['unit'].iloc[i], known_units) else ""))
    if "rater_role" in ratings.columns:
        bad = ratings["rater_role"].notna().to_numpy() & ~ratings["rater_role"].isin(roles).to_numpy()
        cr.add_rows(bad, "rater_role", lambda i: f"unknown rater role '{ratings['rater_role'].iloc[i]}'"
                    + (f"; did you mean '{closest(ratings['rater_role'].iloc[i], roles)}'?"
                       if closest(ratings['rater_role'].iloc[i], roles) else f" (declared: {', '.join(roles)})"))
    if "score" in ratings.columns and "item" in ratings.columns:
        _parse_scores(ratings, scales, items_cfg, default_scale, cr)
    _check_duplicates(ratings, ("period", "unit", "subject", "rater", "item"), cr)
    all_problems += cr.problems
    more += cr.more

    # -- outcomes
    opath, outcomes, co = _open_table(root, files, "outcomes", colmaps, OUTCOME_KEYS)
    _check_missing(outcomes, OUTCOME_KEYS, co)
    for c in ("unit", "period") + (("subject",) if "subject" in outcomes.columns else ()):
        if c in outcomes.columns:
            outcomes[c] = outcomes[c].astype("str").str.strip()
    if "period" in outcomes.columns:
        bad = outcomes["period"].notna().to_numpy() & ~outcomes["period"].isin(periods).to_numpy()
        co.add_rows(bad, "period", lambda i: f"period '{outcomes['period'].iloc[i]}' is not declared in study.toml")
    if "unit" in outcomes.columns and known_units:
        bad = outcomes["unit"].notna().to_numpy() & ~outcomes["unit"].isin(known_units).to_numpy()
        co.add_rows(bad, "unit", lambda i: f"unit '{outcomes['unit'].iloc[i]}' is not in the units table")
    declared = list(outcome_info) or [c for c in outcomes.columns if c not in (*OUTCOME_KEYS, "subject")]
    for name in declared:
        if name not in outcomes.columns:
            hint = closest(name, outcomes.columns)
            co.add(f"outcome '{name}' is declared in study.toml but missing"
                   + (f"; did you mean '{hint}'?" if hint else ""), column=name)
            continue
        raw = outcomes[name]
        num = pd.to_numeric(raw.astype("str").str.replace(",", ".", regex=False).where(raw.notna()), errors="coerce")
        bad = raw.notna().to_numpy() & num.isna().to_numpy()
        co.add_rows(bad, name, lambda i, raw=raw: f"'{raw.iloc[i]}' is not a number")
        outcomes[name] = num.astype("float64")
        outcome_info.setdefault(name, {"label": name, "label_en": name, "higher_is_better": True})
    _check_duplicates(outcomes, ("unit", "period") + (("subject",) if "subject" in outcomes.columns else ()), co)
    all_problems += co.problems
    more += co.more

    if all_problems:
        raise DataError(all_problems, truncated=more)

    # -- pseudonymize: every identifier column, and drop names
    key, key_source = _load_key(cfg, root, tfile)
    id_frames = [(ratings, [c for c in ID_COLUMNS if c in ratings.columns], str(rpath)),
                 (outcomes, ["subject"] if "subject" in outcomes.columns else [], str(opath))]
    for frame, cols, fname in id_frames:
        for c in cols:
            if key is None:
                ident = looks_identifying(frame[c]).to_numpy()
                if ident.any():
                    i = int(np.flatnonzero(ident)[0])
                    raise DataError(
                        f"holds personal identifiers (NIP or names) but no pseudonymization key is set: set the "
                        f"environment variable {sec.get('key_env', DEFAULT_KEY_ENV)} or name a key_file in study.toml",
                        file=fname, row=i + _row_numbers(Path(fname)), column=c)
            else:
                frame[c] = pseudonymize(frame[c], key)
    ratings = ratings.drop(columns=[c for c in NAME_COLUMNS if c in ratings.columns])
    outcomes = outcomes.drop(columns=[c for c in NAME_COLUMNS if c in outcomes.columns])

    # -- types
    ptype = pd.CategoricalDtype(periods, ordered=True)
    ratings["period"] = ratings["period"].astype(ptype)
    ratings["rater_role"] = pd.Categorical(ratings["rater_role"], categories=roles)
    keep = [c for c in RATING_COLUMNS] + ["score_label"] + [c for c in ratings.columns
                                                            if c not in RATING_COLUMNS and c != "score_label"]
    ratings = ratings[keep].reset_index(drop=True)
    outcomes["period"] = outcomes["period"].astype(ptype)
    outcomes.insert(2, "t", (outcomes["period"].cat.codes.to_numpy() + 1).astype(np.int64))
    outcomes = outcomes.sort_values(["unit", "t"], kind="stable").reset_index(drop=True)

    if key_source:
        notes.append(f"identifiers pseudonymized with HMAC-SHA256 ({key_source})")
    lone = ratings.groupby("unit", observed=True)["rater"].nunique()
    if (lone < 2).any():
        notes.append(f"{int((lone < 2).sum())} unit(s) have a single rater: agreement is undefined there")
    return Study(name=str(sec.get("name", root.name)), path=root, periods=periods, roles=roles, scales=scales,
                 outcome_info=outcome_info, config=cfg, ratings=ratings, units=units.reset_index(drop=True),
                 outcomes=outcomes, item_scales=items_cfg, default_scale=default_scale, notes=notes)


def _parse_scores(ratings: pd.DataFrame, scales: dict[str, Scale], items_cfg: dict[str, str],
                  default_scale: str | None, col: _Collector) -> None:
    """Turn the text ``score`` column into numbers according to each item's scale."""
    raw = ratings["score"]
    text = raw.astype("str").str.strip().where(raw.notna())
    item = ratings["item"]
    scale_name = item.map(items_cfg)
    if default_scale:
        scale_name = scale_name.fillna(default_scale)
    no_scale = item.notna().to_numpy() & scale_name.isna().to_numpy()
    col.add_rows(no_scale, "item", lambda i: f"item '{item.iloc[i]}' has no declared scale "
                 "(add it under [items] in study.toml or declare items.default)")
    score = np.full(len(ratings), np.nan)
    labels = np.full(len(ratings), None, dtype=object)
    missing = text.isna().to_numpy()
    col.add_rows(missing & ~no_scale, "score", lambda i: "empty score")
    ordinal_levels = []
    for sname, sc in scales.items():
        rows = (scale_name == sname).to_numpy() & ~missing
        if not rows.any():
            continue
        t = text[rows]
        if sc.kind == "ordinal":
            ordinal_levels.append(sc.levels)
            lookup = {lvl.casefold(): i + 1 for i, lvl in enumerate(sc.levels)}
            codes = t.str.casefold().map(lookup).to_numpy(dtype=float)
            bad = np.isnan(codes)
            sub = np.flatnonzero(rows)
            mask = np.zeros(len(ratings), bool)
            mask[sub[bad]] = True
            col.add_rows(mask, "score", lambda i, sc=sc: f"unknown category '{text.iloc[i]}' for item '{item.iloc[i]}'"
                         + (f"; did you mean '{closest(text.iloc[i], sc.levels)}'?"
                            if closest(text.iloc[i], sc.levels) else f" (scale '{sc.name}': {', '.join(sc.levels)})"))
            score[rows] = codes
            good = rows.copy()
            good[sub[bad]] = False
            labels[good] = [sc.levels[int(c) - 1] for c in score[good]] if len(sc.levels) else None
        else:
            # a decimal comma is common in Indonesian spreadsheets
            num = pd.to_numeric(t.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
            sub = np.flatnonzero(rows)
            nonnum = np.zeros(len(ratings), bool)
            nonnum[sub[np.isnan(num)]] = True
            col.add_rows(nonnum, "score", lambda i: f"'{text.iloc[i]}' is not a number (item '{item.iloc[i]}')")
            out = np.zeros(len(ratings), bool)
            out[sub[~np.isnan(num) & ((num < sc.min) | (num > sc.max))]] = True
            col.add_rows(out, "score", lambda i, sc=sc: f"score {text.iloc[i]} is outside the scale "
                         f"'{sc.name}' ({sc.min:g}-{sc.max:g}) of item '{item.iloc[i]}'")
            score[rows] = num
    ratings["score"] = score
    if len(set(ordinal_levels)) == 1:
        ratings["score_label"] = pd.Categorical(labels, categories=list(ordinal_levels[0]), ordered=True)
    else:
        ratings["score_label"] = pd.Series(labels, dtype="object")
