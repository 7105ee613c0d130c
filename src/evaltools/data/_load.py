"""load_study: the steps from a study folder to a validated, pseudonymized :class:`Study`.

study.toml is parsed first (every problem in it at once); then the units, ratings and
outcomes tables are read and checked, and every problem of every file is raised together;
only a valid study is pseudonymized and typed.
"""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataError, closest
from ._config import _read_config, _StudyConfig
from ._contract import DEFAULT_KEY_ENV, OUTCOME_KEYS, UNIT_COLUMNS
from ._ids import _identifying, _load_key, looks_identifying, pseudonymize
from ._ratings import _RatingsReader
from ._study import Study, _load_partition
from ._validate import _check_duplicates, _check_missing, _Collector, _decimal_text, _open_table


def load_study(path: str | os.PathLike, *, units: Iterable[str] | None = None) -> Study:
    """Load, validate and pseudonymize the study in folder ``path``.

    Parameters
    ----------
    path : path to the study folder (holding ``study.toml``), to ``study.toml`` itself,
        or to a partition written by :meth:`Study.save`.
    units : iterable of str, optional
        Read only these units' ratings. With ``ratings`` given as a folder of Parquet
        files partitioned by unit, only their partitions are read (an Arrow dataset
        filter), so a unit report never holds the national table. The units and outcomes
        tables (one row per unit and period) are kept whole, since control pools come
        from them; :meth:`Study.subset` restricts them too.

    Returns
    -------
    Study

    Raises
    ------
    DataError
        Listing every problem found (file, row, column), up to 50 per file: unknown
        sections or keys in study.toml (with the closest valid name), missing or
        misspelled columns (with the closest name, and the delimiter the header was split
        on), a file that is not UTF-8 (with its row and column), unknown category labels,
        scores outside the declared scale, off its step or not numeric, NIPs damaged by
        Excel, duplicate keys, units or periods not declared, an invalid
        ``first_treated``, an empty table, raw identifiers with no pseudonymization key.

    Examples
    --------
    >>> sample = Path(__file__).resolve().parents[3] / "data" / "sample"
    >>> study = load_study(sample)
    >>> bool(study.ratings["subject"].str.startswith("P-").all()), study.ratings["unit"].dtype.name
    (True, 'category')
    >>> one = load_study(sample, units=["Dinas Kesehatan Kota Binjai"])
    >>> one.ratings["unit"].cat.categories.tolist()
    ['Dinas Kesehatan Kota Binjai']
    """
    root = Path(path)
    if root.is_file():
        root = root.parent
    wanted_units = None if units is None else list(dict.fromkeys(str(u) for u in units))
    if (root / "study.json").exists() and not (root / "study.toml").exists():
        return _load_partition(root, wanted_units)
    conf = _read_config(root)
    notes: list[str] = []
    # the small tables are read in Python while Arrow reads the ratings on its own threads
    # (the GIL released); their problems keep the order they had read one after the other
    with ThreadPoolExecutor(max_workers=1) as side:
        small = side.submit(_small_tables, conf, wanted_units)
        try:
            rat = _RatingsReader(root / conf.files["ratings"], dict(conf.colmaps.get("ratings", {})), conf.opts,
                                 wanted_units)
        except DataError:
            small.result()   # a units-table error comes first
            raise
        units_t, unit_notes, outcomes_t, outcome_notes = small.result()
    notes += unit_notes
    # the key is read now so that the identifiers are hashed while the duplicate keys are
    # checked; a problem with it is raised after the tables' own problems, as before
    try:
        key_loaded: tuple[bytes | None, str] | DataError = _load_key(conf.cfg, root, conf.file)
    except DataError as exc:
        key_loaded = exc
    rat.validate(periods=conf.periods, roles=conf.roles, known_units=units_t.known, units_file=str(conf.files["units"]),
                 scales=conf.scales, items_cfg=conf.items_cfg, default_scale=conf.default_scale,
                 key=None if isinstance(key_loaded, DataError) else key_loaded[0])
    if rat.dropped:
        notes.append(f"{rat.path.name}: column(s) {', '.join(rat.dropped)} not mapped in [columns.ratings] were "
                     "not read")
    if isinstance(outcomes_t, DataError):
        raise outcomes_t
    notes += outcome_notes
    cols = (units_t.col, rat.col, outcomes_t.col)
    problems = [p for c in cols for p in c.problems]
    if problems:
        raise DataError(problems, truncated=sum(c.more for c in cols))

    # -- pseudonymize: every identifier column; names were never read
    if isinstance(key_loaded, DataError):
        raise key_loaded
    key, key_source = key_loaded
    key_help = (f"set the environment variable {conf.section.get('key_env', DEFAULT_KEY_ENV)} or name a key_file "
                "in study.toml")
    ratings = rat.frame(key, key_help, conf.periods, conf.roles)
    outcomes_t.pseudonymize(["subject"] if "subject" in outcomes_t.df.columns else [], key, key_help)
    units_t.pseudonymize(units_t.identifying, key, key_help)
    if units_t.identifying:
        notes.append(f"{units_t.path.name}: column(s) {', '.join(units_t.identifying)} hold NIP-shaped digits or "
                     "e-mail addresses and were pseudonymized")
    outcomes = _typed_outcomes(outcomes_t.df, conf.periods)
    if key_source:
        notes.append(f"identifiers pseudonymized with HMAC-SHA256 ({key_source})")
    if rat.lone_units:
        notes.append(f"{rat.lone_units} unit(s) have a single rater: agreement is undefined there")
    return Study(name=str(conf.section.get("name", root.name)), path=root, periods=conf.periods, roles=conf.roles,
                 scales=conf.scales, outcome_info=conf.outcome_info, config=conf.cfg, ratings=ratings,
                 units=units_t.df.reset_index(drop=True), outcomes=outcomes, item_scales=conf.items_cfg,
                 default_scale=conf.default_scale, notes=notes)


def _small_tables(conf: _StudyConfig, wanted_units: list[str] | None) -> tuple:
    """The units and outcomes tables with their notes; an outcomes file that cannot be read is returned as its error."""
    unit_notes: list[str] = []
    outcome_notes: list[str] = []
    units_t = _load_units(conf, wanted_units, unit_notes)
    try:
        outcomes_t = _load_outcomes(conf, units_t.known, outcome_notes)
    except DataError as exc:   # raised after the ratings' own problems are known, as when read in turn
        outcomes_t = exc
    return units_t, unit_notes, outcomes_t, outcome_notes


@dataclasses.dataclass
class _SmallTable:
    """A units or outcomes table read as text, with its problem list."""

    path: Path
    df: pd.DataFrame
    col: _Collector
    #: units: the distinct unit names; the covariates holding identifiers
    known: pd.Index = dataclasses.field(default_factory=lambda: pd.Index([]))
    identifying: list[str] = dataclasses.field(default_factory=list)

    def pseudonymize(self, columns: Sequence[str], key: bytes | None, key_help: str) -> None:
        """Hash ``columns`` in place; without a key, identifiers in them are an error naming the first row."""
        frame = self.df
        for c in columns:
            if key is not None:
                frame[c] = pseudonymize(frame[c], key)
                continue
            ident = looks_identifying(frame[c]).to_numpy() if c == "subject" else np.ones(len(frame), bool)
            ident &= frame[c].notna().to_numpy()
            if ident.any():
                i = int(np.flatnonzero(ident)[0])
                raise DataError(f"holds personal identifiers (NIP or names) but no pseudonymization key is "
                                f"set: {key_help}", file=str(self.path), row=self.col.row_of(i), column=c)


def _after_last(labels: pd.Series, periods: Sequence[str]) -> np.ndarray:
    """Which labels name a period after the study's last one, written as its periods are.

    A rollout plans its next wave ahead: a start after the data is a unit not yet piloting.
    The declared periods must share one shape beginning with a year (``2025-S1``, ``2025``,
    ``2025-Q3``) and be in order; a label then counts when it has that shape, a suffix some
    declared period has (``S1``, ``S2``: so ``2025-S3`` stays an error) and sorts after the
    last period.

    Examples
    --------
    >>> periods = ["2024-S1", "2024-S2", "2025-S1"]
    >>> _after_last(pd.Series(["2025-S2", "2026-S1", "2025-S3", "2023-S2", "2026-1"]), periods).tolist()
    [True, True, False, False, False]
    """
    shape = {re.sub(r"\d", "0", p) for p in periods}
    if not periods or len(shape) != 1 or not periods[0][:4].isdigit() or list(periods) != sorted(periods):
        return np.zeros(len(labels), bool)
    (form,), tails = shape, {p[4:] for p in periods}
    text = labels.astype("str")
    ok = (text.str.replace(r"\d", "0", regex=True) == form) & text.str[4:].isin(tails) & (text > periods[-1])
    return ok.fillna(False).to_numpy(bool) & labels.notna().to_numpy()


def _load_units(conf: _StudyConfig, wanted_units: list[str] | None, notes: list[str]) -> _SmallTable:
    """Read and check the units table: keys, pilot start, covariates typed, identifying covariates found."""
    periods, opts = conf.periods, conf.opts
    upath, units_df, cu = _open_table(conf.root, conf.files, "units", conf.colmaps, UNIT_COLUMNS, opts)
    _check_missing(units_df, ("unit", "region"), cu)
    _check_duplicates(units_df, ("unit",), cu)
    if "first_treated" in units_df.columns:
        ft = units_df["first_treated"].astype("str").str.strip()
        never = units_df["first_treated"].isna().to_numpy() | ft.isin(["", "0", "nan", "None", "never"]).to_numpy()
        planned = ~never & _after_last(ft, periods)
        never |= planned   # not piloting in any period of the study: a control unit here
        bad = ~never & ~ft.isin(periods).to_numpy()
        if planned.any():
            notes.append(f"{int(planned.sum())} unit(s) start the pilot after the study's last period "
                         f"({periods[-1]}: {', '.join(sorted(set(ft[planned])))}): they are control units here, "
                         "not yet piloting")
        cu.add_rows(bad, "first_treated", lambda i: f"'{ft.iloc[i]}' is not a declared period"
                    + (f" (did you mean '{closest(ft.iloc[i], periods)}'?)" if closest(ft.iloc[i], periods) else "")
                    + "; leave empty for never-treated units")
        units_df["first_treated"] = pd.Categorical(ft.where(~never & ~bad), categories=periods, ordered=True)
        units_df["first_treated_idx"] = (units_df["first_treated"].cat.codes.to_numpy() + 1).astype(np.int64)
        n_first = int((units_df["first_treated_idx"].to_numpy() == 1).sum())
        if n_first:
            # a property of the design, not an error: impact estimators leave such units out
            notes.append(f"{n_first} unit(s) start the pilot in the first period and have no pre-period")
    covariates = [c for c in units_df.columns if c not in ("unit", "region", "first_treated", "first_treated_idx")]
    # one pass over the distinct values of all covariates, each flag then read per column
    distinct = [pd.Index(units_df[c].dropna().unique()).astype(str) for c in covariates]
    flags = _identifying(pd.Index(np.concatenate(distinct) if distinct else [], dtype="str"), names=False)
    sizes = np.array([len(d) for d in distinct], dtype=np.int64)
    ends = np.cumsum(sizes)
    identifying_cov = [c for c, lo, hi in zip(covariates, ends - sizes, ends) if flags[lo:hi].any()]
    for c in covariates:
        if c in identifying_cov:
            continue
        num = pd.to_numeric(units_df[c] if opts.decimal == "." else _decimal_text(units_df[c], ","), errors="coerce")
        if num.notna().sum() == units_df[c].notna().sum() and units_df[c].notna().any():
            units_df[c] = num
    if "unit" in units_df.columns:
        units_df["unit"] = units_df["unit"].astype("str").str.strip()
    known_units = pd.Index(units_df["unit"].dropna().unique()) if "unit" in units_df.columns else pd.Index([])
    if wanted_units is not None and "unit" in units_df.columns:
        unknown = [u for u in wanted_units if u not in set(known_units)]
        for u in unknown:
            hint = closest(u, known_units)
            cu.add(f"unit '{u}' asked for in load_study(units=...) is not in the units table"
                   + (f"; did you mean '{hint}'?" if hint else ""), column="unit")
    return _SmallTable(upath, units_df, cu, known_units, identifying_cov)


def _load_outcomes(conf: _StudyConfig, known_units: pd.Index, notes: list[str]) -> _SmallTable:
    """Read and check the outcomes table: keys, periods and units declared, outcomes numeric, undeclared dropped."""
    periods, opts, outcome_info = conf.periods, conf.opts, conf.outcome_info
    opath, outcomes, co = _open_table(conf.root, conf.files, "outcomes", conf.colmaps, OUTCOME_KEYS, opts)
    _check_missing(outcomes, OUTCOME_KEYS, co)
    for c in ("unit", "period") + (("subject",) if "subject" in outcomes.columns else ()):
        if c in outcomes.columns:
            outcomes[c] = outcomes[c].astype("str").str.strip()
    if "period" in outcomes.columns:
        bad = outcomes["period"].notna().to_numpy() & ~outcomes["period"].isin(periods).to_numpy()
        co.add_rows(bad, "period", lambda i: f"period '{outcomes['period'].iloc[i]}' is not declared in study.toml")
    if "unit" in outcomes.columns and len(known_units):
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
        num = pd.to_numeric(_decimal_text(raw, opts.decimal), errors="coerce")
        bad = raw.notna().to_numpy() & num.isna().to_numpy()
        co.add_rows(bad, name, lambda i, raw=raw: f"'{raw.iloc[i]}' is not a number")
        outcomes[name] = num.astype("float64")
        outcome_info.setdefault(name, {"label": name, "label_en": name, "higher_is_better": True})
    o_keys = ("unit", "period") + (("subject",) if "subject" in outcomes.columns else ())
    o_drop = [c for c in outcomes.columns if c not in (*o_keys, *declared)]
    if o_drop:
        outcomes = outcomes.drop(columns=o_drop)
        shown = [co.source_names.get(c, c) for c in o_drop]
        notes.append(f"{opath.name}: column(s) {', '.join(shown)} not declared as outcomes were dropped at load")
    _check_duplicates(outcomes, o_keys, co)
    return _SmallTable(opath, outcomes, co)


def _typed_outcomes(outcomes: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """Periods as an ordered categorical, ``t`` their 1-based position, rows in (unit, t) order."""
    outcomes["period"] = outcomes["period"].astype(pd.CategoricalDtype(periods, ordered=True))
    outcomes.insert(2, "t", (outcomes["period"].cat.codes.to_numpy() + 1).astype(np.int64))
    return outcomes.sort_values(["unit", "t"], kind="stable").reset_index(drop=True)
