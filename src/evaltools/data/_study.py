"""The loaded study (:class:`Study`) and the partitions it writes and reads back."""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._config import Scale
from ._contract import _ID_CATEGORIES


# ------------------------------------------------------------------- the study
@dataclasses.dataclass
class Study:
    """A validated, pseudonymized study.

    Attributes
    ----------
    ratings : DataFrame
        ``period`` (ordered categorical of the declared periods), ``unit``, ``subject``,
        ``rater`` (pseudonyms), ``rater_role`` (categorical of the declared roles),
        ``item``, ``score`` (float: the numeric score, or the 1-based level code of an
        ordinal item), ``score_label`` (ordered categorical of the ordinal labels; missing
        for numeric items). ``unit``, ``subject``, ``rater`` and ``item`` are pandas
        categoricals whose categories are the strings, sorted, and only those present
        (:meth:`subset` drops the others): compare them with strings as usual, and group
        with ``observed=True`` so absent categories make no empty groups.
    units : DataFrame
        ``unit``, ``region``, ``first_treated`` (ordered categorical, missing = never
        treated), ``first_treated_idx`` (1-based period position, 0 = never treated) and
        the covariates as given (numeric where every value parses as a number).
    outcomes : DataFrame
        ``unit``, ``period`` (ordered categorical), ``t`` (1-based period position),
        optional ``subject``, and one float column per outcome.

    Examples
    --------
    >>> from evaltools.data import load_study
    >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
    >>> len(study.ratings), study.periods[0], study.roles[0]
    (231011, '2023-S1', 'atasan')
    >>> study.pilot_units[0], study.scale_for("Akuntabel").name
    ('Dinas Kesehatan Kota Binjai', 'skala_1_5')
    >>> str(study.ratings["period"].dtype), study.ratings["subject"].iloc[0][:2]
    ('category', 'P-')
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
        o, u = self.outcomes, self.units
        other = [c for c in u.columns if c != "unit"]
        if ("unit" in o and "unit" in u and o["unit"].dtype == u["unit"].dtype and not set(other) & set(o.columns)
                and u["unit"].is_unique):
            # the left join as positions (a merge costs a unit report more than its DiD tests)
            pos = pd.Index(u["unit"]).get_indexer(o["unit"])
            if (pos >= 0).all():
                cols = {c: o[c].reset_index(drop=True) for c in o.columns}   # Series: copy-on-write keeps the study apart
                cols.update({c: u[c].array.take(pos) for c in other})
                return pd.DataFrame(cols)
        return o.merge(u, on="unit", how="left", validate="many_to_one")

    def subset(self, units: Iterable[str]) -> "Study":
        """The same study restricted to ``units`` (ratings, units and outcomes).

        Categories no longer present in the ratings' id columns are dropped, so a unit's
        study carries none of the national table's identifiers.

        Examples
        --------
        >>> from evaltools.data import load_study
        >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
        >>> study.subset(study.pilot_units[:1]).ratings["unit"].cat.categories.size
        1
        """
        keep = set(units)
        ratings = self.ratings[self.ratings["unit"].isin(keep)].reset_index(drop=True)
        for c in _ID_CATEGORIES:
            if c in ratings.columns and isinstance(ratings[c].dtype, pd.CategoricalDtype):
                ratings[c] = ratings[c].cat.remove_unused_categories()
        return dataclasses.replace(
            self,
            ratings=ratings,
            units=self.units[self.units["unit"].isin(keep)].reset_index(drop=True),
            outcomes=self.outcomes[self.outcomes["unit"].isin(keep)].reset_index(drop=True),
        )

    # -- aggregate description (no individual rows)
    def summary(self) -> dict[str, pd.DataFrame]:
        """Counts that describe the study without any individual-level row.

        Returns ``{"units": ..., "items": ..., "roles": ..., "periods": ...}``; the units
        table gives per unit its region, pilot start, subjects, raters, ratings, mean raters
        per rated subject-item and the share of the declared 360° roles missing per subject.

        Examples
        --------
        >>> from evaltools.data import load_study
        >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
        >>> s = study.summary()
        >>> sorted(s), len(s["units"]), int(s["units"]["n_ratings"].sum()) == len(study.ratings)
        (['items', 'periods', 'roles', 'units'], 30, True)
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

        Examples
        --------
        >>> import tempfile
        >>> from evaltools.data import load_study
        >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
        >>> part = study.save(Path(tempfile.mkdtemp()) / "binjai", units=study.pilot_units[:1])
        >>> back = load_study(part)
        >>> back.ratings["unit"].unique().tolist() == study.pilot_units[:1], back.ratings.equals(
        ...     study.subset(study.pilot_units[:1]).ratings)
        (True, True)
        """
        study = self if units is None else self.subset(units)
        tables = {name: getattr(study, name) for name in ("ratings", "units", "outcomes")}
        return _write_partition(directory, tables, _partition_meta(study))

    def control_pools(self, units: Iterable[str] | None = None, *, min_regional: int = 10) -> dict[str, list[str]]:
        """The never-treated units each pilot unit in ``units`` (default: all) is compared with.

        Units of one region share labour markets, budgets and regional policy, so the region's
        never-treated units are the donors when there are ``min_regional`` or more of them;
        with fewer, every never-treated unit is the pool. When fewer than two units never pilot,
        the units of later waves join the pool: they are the unit's controls until they start
        (``pilot.control_window``).

        Examples
        --------
        >>> from evaltools.data import load_study
        >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
        >>> pools = study.control_pools()
        >>> len(pools) == len(study.pilot_units), sorted(map(len, pools.values()))[:3]
        (True, [8, 8, 8])
        """
        u = self.units
        names = u["unit"].astype(str)
        never = u["first_treated_idx"].fillna(0).astype(int).to_numpy() == 0
        region = u["region"].astype(str) if "region" in u else pd.Series("", index=u.index)
        all_ctrl = names[never].tolist()
        by_region = names[never].groupby(region[never].to_numpy(), sort=False).agg(list).to_dict()
        reg_of = dict(zip(names, region))
        start = pd.Series(u["first_treated_idx"].fillna(0).astype(np.int64).to_numpy(), index=names.to_numpy())
        pools = {}
        for unit in self.pilot_units if units is None else units:
            pool = by_region.get(reg_of.get(unit, ""), [])
            pools[unit] = pool if len(pool) >= min_regional else all_ctrl
            if len(all_ctrl) < 2:   # later waves, not yet piloting when this unit starts
                pools[unit] = all_ctrl + start.index[start > start.get(unit, 0)].tolist()   # never: 0
        return pools


def _rmtree(p: Path) -> None:
    import shutil
    shutil.rmtree(p, ignore_errors=True)


def _partition_meta(study: Study) -> str:
    """``study.json`` of a partition: the study's declarations, no data."""
    meta = {"name": study.name, "periods": study.periods, "roles": study.roles,
            "scales": {k: dataclasses.asdict(v) for k, v in study.scales.items()},
            "item_scales": study.item_scales, "default_scale": study.default_scale,
            "outcome_info": study.outcome_info, "config": study.config, "notes": study.notes,
            "format": "evaltools-partition-1"}
    return json.dumps(meta, ensure_ascii=False, indent=1, default=str)


def _write_partition(directory: str | os.PathLike, tables: dict, meta: str,
                     extra: dict | None = None) -> Path:
    """Write ``<name>.parquet`` for each table (DataFrame or Arrow table) and ``study.json``
    into a temporary folder renamed into place (a reader never sees half a partition)."""
    import pyarrow.parquet as pq

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name, tab in {**tables, **(extra or {})}.items():
            out = tmp / (name if name.endswith(".parquet") else f"{name}.parquet")
            if isinstance(tab, pd.DataFrame):
                tab.to_parquet(out, index=False)
            else:
                pq.write_table(tab, out)
        (tmp / "study.json").write_text(meta, encoding="utf-8")
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


class PartitionWriter:
    """One unit's partition after another from the same study, as :meth:`Study.save` writes them.

    The study's units and outcomes tables are converted to Arrow once; a partition takes
    its rows (the unit and its control pool) by a mask, and its ratings are converted
    once for both :meth:`digest` and :meth:`write`. A run of 1,000 units wrote each
    partition in about half the time of ``Study.subset`` + ``save`` (the pandas to Arrow
    conversion of every table, twice with hashing, was most of it).

    Examples
    --------
    >>> import tempfile
    >>> from evaltools.data import load_study
    >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
    >>> u = study.pilot_units[0]
    >>> w = PartitionWriter(study)
    >>> tabs = w.tables(study.subset([u]).ratings, keep=[u])
    >>> back = load_study(w.write(tabs, Path(tempfile.mkdtemp()) / "u"))
    >>> back.ratings.equals(study.subset([u]).ratings), back.units["unit"].astype(str).tolist() == [u]
    (True, True)
    """

    def __init__(self, study: Study):
        import pyarrow as pa

        self.meta = _partition_meta(study)
        self._tables = {n: pa.Table.from_pandas(getattr(study, n), preserve_index=False)
                        for n in ("units", "outcomes")}
        # each table's rows as unit codes: a partition's rows are a lookup, not a string comparison
        names = pd.Index(pd.unique(pd.concat([getattr(study, n)["unit"].astype(str) for n in self._tables])))
        self._code = {u: k for k, u in enumerate(names)}
        self._keys = {n: names.get_indexer(getattr(study, n)["unit"].astype(str)) for n in self._tables}

    def unit_ratings(self, ratings: pd.DataFrame, units: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """(unit, its ratings as an Arrow table) for each of ``units``, from one conversion of ``ratings``.

        The records keep their order; each categorical column keeps only the categories its
        unit uses, in their order (as ``remove_unused_categories``), so a partition names its
        own raters and subjects only. Converting every unit's rows from pandas on its own cost
        most of the runner's time per unit (0.66 s for 101 units against 0.16 s).

        Examples
        --------
        >>> from evaltools.data import load_study
        >>> study = load_study(Path(__file__).resolve().parents[3] / "data" / "sample")
        >>> u = study.pilot_units[0]
        >>> (_, tab), = PartitionWriter(study).unit_ratings(study.ratings, [u])
        >>> tab.num_rows == int((study.ratings["unit"] == u).sum()), tab.column("unit").chunk(0).dictionary.tolist() == [u]
        (True, True)
        """
        import numpy as np
        import pyarrow as pa

        whole = pa.Table.from_pandas(ratings, preserve_index=False)
        codes = ratings["unit"].cat.codes.to_numpy()
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(ratings["unit"].cat.categories) + 1))
        at = {str(u): k for k, u in enumerate(ratings["unit"].cat.categories)}
        for u in map(str, units):
            k = at.get(u)
            rows = order[bounds[k]:bounds[k + 1]] if k is not None else order[:0]
            yield u, _own_categories(whole.take(pa.array(rows)))

    def tables(self, ratings: pd.DataFrame | Any, *, keep: Iterable[str]) -> dict:
        """Arrow tables of a partition: ``ratings`` as given (a DataFrame or an Arrow table), the
        units and outcomes rows of ``keep``."""
        import numpy as np
        import pyarrow as pa

        sel = np.zeros(len(self._code) + 1, dtype=bool)     # the last slot: a unit missing from a table
        sel[[self._code[u] for u in map(str, keep) if u in self._code]] = True
        if isinstance(ratings, pd.DataFrame):
            ratings = pa.Table.from_pandas(ratings, preserve_index=False)
        out = {"ratings": ratings}
        for n, tab in self._tables.items():
            out[n] = tab.filter(pa.array(sel[self._keys[n]]))
        return out

    @staticmethod
    def digest(h, tables: Iterable) -> None:
        """Feed each table's content (schema and values, as Arrow IPC) to the hash ``h``."""
        import pyarrow as pa

        for tab in tables:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, tab.schema) as w:
                w.write_table(tab.combine_chunks())
            h.update(memoryview(sink.getvalue()))

    def write(self, tables: dict, directory: str | os.PathLike, extra: dict | None = None) -> Path:
        """The partition at ``directory`` (``extra``: more files, name -> table), atomically."""
        return _write_partition(directory, tables, self.meta, extra)


def _own_categories(table: Any) -> Any:
    """``table`` with each dictionary column's unused values dropped and the codes pandas would use.

    pandas stores a categorical's codes in the smallest integer type that holds its number of
    categories (int8 below 128, int16 below 32,768, ...): a unit's table comes out as
    ``pa.Table.from_pandas`` of the unit's frame with unused categories removed would.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        if not pa.types.is_dictionary(col.type):
            cols.append(col)
            continue
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        if isinstance(arr, pa.ChunkedArray):   # an empty column has no chunk
            arr = pa.array([], type=col.type)
        idx = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        used = np.unique(idx[idx >= 0])
        width = next(t for t in (np.int8, np.int16, np.int32, np.int64) if len(used) < np.iinfo(t).max)
        new = np.searchsorted(used, idx).astype(width)
        cols.append(pa.DictionaryArray.from_arrays(pa.array(new, mask=idx < 0), arr.dictionary.take(pa.array(used)),
                                                   ordered=col.type.ordered))
    # no pandas metadata: the whole table's would name its category counts, and a unit's
    # bytes (its input hash) would change with other units' records
    return pa.Table.from_arrays(cols, names=table.column_names)


def _load_partition(root: Path, units: list[str] | None = None) -> Study:
    meta = json.loads((root / "study.json").read_text(encoding="utf-8"))
    scales = {k: Scale(**{**v, "levels": tuple(v["levels"])}) for k, v in meta["scales"].items()}
    tables = {n: pd.read_parquet(root / f"{n}.parquet") for n in ("units", "outcomes")}
    ratings = pd.read_parquet(root / "ratings.parquet", filters=None if units is None else [("unit", "in", units)])
    for c in _ID_CATEGORIES:
        if units is not None and isinstance(ratings[c].dtype, pd.CategoricalDtype):
            ratings[c] = ratings[c].cat.remove_unused_categories()
    tables["ratings"] = ratings
    return Study(name=meta["name"], path=root, periods=meta["periods"], roles=meta["roles"], scales=scales,
                 outcome_info=meta["outcome_info"], config=meta["config"], item_scales=meta["item_scales"],
                 default_scale=meta["default_scale"], notes=meta.get("notes", []), **tables)


