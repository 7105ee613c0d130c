"""The ratings pass: read with Arrow, validate and type every column on its distinct values.

Each text column is dictionary-encoded once; every check runs on the (few) distinct
values and is mapped back to records through the codes, and each distinct identifier is
normalized and hashed once.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import DataError, closest
from ._config import Scale
from ._contract import ID_COLUMNS, NAME_COLUMNS, RATING_COLUMNS
from ._ids import _excel_damage, _hash_ids, _identifying, normalize_id
from ._read import _read_arrow, _ReadOptions
from ._validate import _any_repeat, _Collector, _decimal_text, _map_columns, _report_duplicates


# ------------------------------------------------------------- the ratings pass
def _factor(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Codes (``-1`` = empty) and distinct values of a text column, whitespace stripped.

    Arrow dictionary-encodes the column once; the stripping and every later check then
    run on the distinct values only.
    """
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if arr.num_chunks == 0:
        return np.zeros(0, np.int64), pd.Index([], dtype=object)
    if pa.types.is_dictionary(arr.type):   # CSV and Parquet text arrive encoded, per block or row group
        enc = arr.unify_dictionaries()
    else:  # text read plainly (XLSX, a partitioned folder): one hash pass over the whole column
        enc = pa.chunked_array([pc.dictionary_encode(arr.combine_chunks())]) if arr.num_chunks > 1 else \
            pc.dictionary_encode(arr)
    if enc.num_chunks == 0:
        return np.zeros(0, np.int32), pd.Index([], dtype=object)
    dictionary = enc.chunk(0).dictionary
    codes = pc.fill_null(pa.chunked_array([ch.indices for ch in enc.chunks]), -1).to_numpy().astype(np.int32,
                                                                                                     copy=False)
    stripped = pc.utf8_trim_whitespace(dictionary)
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    again = pc.dictionary_encode(stripped)   # "a" and " a" are one value
    remap = pc.fill_null(again.indices, -1).to_numpy(zero_copy_only=False)
    uniques = pd.Index(again.dictionary.to_pandas(), dtype="str")
    if np.array_equal(remap, np.arange(len(remap))):   # nothing to strip: the codes stand
        return codes, uniques
    return np.r_[remap, -1].astype(np.int32)[codes], uniques


def _present(codes: np.ndarray, uniques: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Codes and distinct values restricted to the values some record holds (order kept)."""
    used = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0
    if used.all():
        return codes, uniques
    remap = np.full(len(uniques) + 1, -1, np.int32)   # the last slot maps an empty cell (-1) to -1
    remap[np.flatnonzero(used)] = np.arange(int(used.sum()))
    return remap[codes], uniques[used]


def _pick(flags_of_unique: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-record flags from per-distinct-value flags (an empty record, code -1, is never flagged)."""
    return np.r_[np.asarray(flags_of_unique, bool), False][codes]


def _sorted_categorical(codes: np.ndarray, uniques: Sequence[str], through: np.ndarray | None = None
                        ) -> pd.Categorical:
    """A categorical with its categories sorted, so grouping gives the order strings would.

    ``codes`` index ``uniques``, or, with ``through``, an intermediate table whose entries
    index ``uniques`` (the distinct raw ids -> their normalized form): the two small maps
    are composed first, so the records are gathered once.
    """
    uniques = pa.array(np.asarray(uniques, dtype=object), type=pa.string())
    order = pc.array_sort_indices(uniques).to_numpy()   # Arrow sorts the strings in C++, by code point
    rank = np.empty(len(order) + 1, np.int32)
    rank[order] = np.arange(len(order))
    rank[-1] = -1   # an empty record stays empty
    if through is not None:
        rank = np.r_[rank[through], -1]
    cats = pd.Index(uniques.take(order).to_pandas(), dtype="str")
    if np.array_equal(rank[:-1], np.arange(len(rank) - 1)):   # already sorted: the codes stand
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats), validate=False)
    return pd.Categorical.from_codes(rank[codes], dtype=pd.CategoricalDtype(cats), validate=False)


def _normalized(uniques: pd.Index) -> tuple:
    """Distinct raw identifiers, their normalized forms, codes into and the distinct normalized forms."""
    norm = normalize_id(uniques)
    return (uniques, norm, *pd.factorize(np.asarray(norm, dtype=object)))


def _single_rater_units(unit: np.ndarray, rater: np.ndarray, n_units: int) -> int:
    """How many units have ratings from a single rater only.

    Each unit keeps the rater of one of its records (whichever the scatter writes last); it
    has a single rater exactly when no record of it names another: one scatter, one gather
    and one grouped count, no sort.

    Examples
    --------
    >>> _single_rater_units(np.array([0, 0, 1, 1, 2]), np.array([5, 5, 1, 2, 7]), 3)
    2
    """
    if not len(unit):
        return 0
    some = np.full(n_units, -1, np.int64)
    some[unit] = rater    # one of each unit's raters (any will do)
    other = np.bincount(unit[rater != some[unit]], minlength=n_units)
    present = np.bincount(unit, minlength=n_units) > 0
    return int((present & (other == 0)).sum())


class _RatingsReader:
    """Read, validate and type the ratings table in array passes over its distinct values."""

    def __init__(self, path: Path, mapping: dict[str, str], opts: _ReadOptions, units: list[str] | None):
        self.path, self.decimal = path, opts.decimal
        wanted = list(dict.fromkeys([mapping.get(c, c) for c in RATING_COLUMNS] + list(RATING_COLUMNS)))
        unit_src = mapping.get("unit", "unit")
        table, src = _read_arrow(path, opts, wanted, unit_column=unit_src, units=units, dictionary=True)
        self.col = _Collector(src)
        self.rename = _map_columns(src.header, mapping, RATING_COLUMNS, self.col, "ratings")
        name_sources = {mapping.get(c, c) for c in NAME_COLUMNS}
        self.dropped = [h for h in src.header if h not in self.rename.values() and h not in name_sources]
        self.n = table.num_rows
        if self.n == 0:
            self.col.add("the table is empty")
        self.codes: dict[str, np.ndarray] = {}
        self.uniques: dict[str, pd.Index] = {}
        order = list(dict.fromkeys(c for c in ("unit",) + RATING_COLUMNS if c in self.rename))
        for c in order[:1]:
            codes, uniq = _factor(table.column(self.rename[c]))
            self.codes[c], self.uniques[c] = codes, uniq
            if c == "unit" and units is not None and src.part_files is None:
                # a flat file: keep only the asked units' records (the row numbers stay the file's)
                keep = _pick(uniq.isin(units), codes)
                table = table.filter(pa.array(keep))
                src.rows = np.flatnonzero(keep)
                codes = codes[keep]
                present = np.unique(codes[codes >= 0])
                remap = np.full(len(uniq) + 1, -1, np.int64)   # the last slot maps an empty cell (-1) to -1
                remap[present] = np.arange(len(present))
                self.codes["unit"], self.uniques["unit"] = remap[codes], uniq[present]
                self.n = table.num_rows
        def encode(c: str) -> tuple:
            codes, uniq = _factor(table.column(self.rename[c]))
            if src.rows is not None:   # filtered records keep the file's dictionary: drop the values now absent
                codes, uniq = _present(codes, uniq)
            return codes, uniq, (_normalized(uniq) if c in ID_COLUMNS else None)

        # Arrow's kernels (the encoding, the identifiers' regular expressions) release the
        # GIL: the columns are encoded and the identifiers normalized side by side
        with ThreadPoolExecutor(max_workers=min(len(order), os.cpu_count() or 1) or 1) as pool:
            done = list(pool.map(encode, order[1:]))
        self._norm: dict[str, tuple] = {}
        for c, (codes, uniq, norm) in zip(order[1:], done):
            self.codes[c], self.uniques[c] = codes, uniq
            if norm is not None:
                self._norm[c] = norm
        self.source = src
        self.score: np.ndarray = np.full(self.n, np.nan)
        self.labels: pd.Categorical | pd.Series | None = None
        #: units rated by a single rater only, counted by :meth:`validate` (None: records it rejects)
        self.lone_units: int | None = None
        #: (key, pseudonyms per identifier column) hashed by :meth:`validate`, for :meth:`frame`
        self._hashed: tuple[bytes, dict[str, np.ndarray]] | None = None

    def norm(self, c: str) -> tuple:
        """Distinct values of identifier column ``c``: raw, normalized, codes into and the distinct normalized."""
        if c not in self._norm:
            self._norm[c] = _normalized(self.uniques[c])
        return self._norm[c]

    def value(self, c: str, i: int) -> str:
        code = self.codes[c][i]
        return "nan" if code < 0 else str(self.uniques[c][code])

    def validate(self, *, periods, roles, known_units, units_file, scales, items_cfg, default_scale,
                 key: bytes | None = None) -> None:
        """Check every column; with ``key``, a valid table's identifiers are hashed meanwhile (for :meth:`frame`)."""
        keys = ("period", "unit", "subject", "rater", "item")
        # the duplicate-key pass is array arithmetic and a sort (numpy releases the GIL): on a
        # side thread while the checks below run; its problems are still reported last
        with ThreadPoolExecutor(max_workers=1) as side:
            dup = side.submit(self._repeated_key, keys) if all(k in self.codes for k in keys) else None
            damaged = self._check(periods=periods, roles=roles, known_units=known_units, units_file=units_file,
                                  scales=scales, items_cfg=items_cfg, default_scale=default_scale)
            if key is not None and not self.col.problems and all(c in self.codes for c in ID_COLUMNS):
                # the hashing holds the GIL, the duplicate pass hardly needs it: side by side
                self._hashed = (key, self.hash_ids(key))
            if dup is not None:
                gid, repeats = dup.result()
                if not damaged:
                    _report_duplicates(gid, keys, self.col, self.value, repeats=repeats)

    def _repeated_key(self, keys: Sequence[str]) -> tuple[np.ndarray, bool]:
        gid = self._key(keys)
        unit, rater = self.codes["unit"], self.codes["rater"]
        if (unit >= 0).all() and (rater >= 0).all():   # else validation stops the load anyway
            # raters as the pseudonyms will group them: one code per normalized identifier
            norm_codes = self.norm("rater")[2]
            self.lone_units = _single_rater_units(unit, np.asarray(norm_codes)[rater], len(self.uniques["unit"]))
        return gid, _any_repeat(gid)

    def _check(self, *, periods, roles, known_units, units_file, scales, items_cfg, default_scale) -> bool:
        """Every check but the duplicate keys; True when Excel damaged identifiers (keys mean nothing then)."""
        col, has = self.col, self.codes.__contains__
        for c in (c for c in RATING_COLUMNS if c != "score" and has(c)):
            col.add_rows(self.codes[c] < 0, c, lambda i: "empty value")
        # each check flags distinct values; only a flagged value costs a pass over the records
        if has("period") and (bad := ~self.uniques["period"].isin(periods)).any():
            col.add_rows(_pick(bad, self.codes["period"]), "period",
                         lambda i: f"period '{self.value('period', i)}' is not declared in study.toml")
        if has("unit") and len(known_units) and (unknown := ~self.uniques["unit"].isin(known_units)).any():
            u = self.uniques["unit"]
            hints = {k: closest(u[k], known_units) for k in np.flatnonzero(unknown)}
            col.add_rows(_pick(unknown, self.codes["unit"]), "unit",
                         lambda i: f"unit '{self.value('unit', i)}' is not in the units table ({units_file})"
                         + (f"; did you mean '{hints[self.codes['unit'][i]]}'?" if hints[self.codes['unit'][i]] else ""))
        if has("rater_role") and (bad := ~self.uniques["rater_role"].isin(roles)).any():
            col.add_rows(_pick(bad, self.codes["rater_role"]), "rater_role",
                         lambda i: f"unknown rater role '{self.value('rater_role', i)}'"
                         + (f"; did you mean '{closest(self.value('rater_role', i), roles)}'?"
                            if closest(self.value('rater_role', i), roles) else f" (declared: {', '.join(roles)})"))
        if has("score") and has("item"):
            self._parse_scores(scales, items_cfg, default_scale)
        damaged = False
        for c in ID_COLUMNS:
            if has(c):
                cells = self.source.numeric_cells.get(self.rename[c])
                if cells is not None and self.source.rows is not None:
                    cells = cells[self.source.rows]
                damaged |= _excel_damage(self.uniques[c], self.codes[c], cells, c, col, self.norm(c)[1])
        return damaged

    def _key(self, keys: Sequence[str]) -> np.ndarray:
        """One int64 group id per record from the key columns' codes (identifiers normalized)."""
        gid = np.zeros(self.n, np.int64)
        size = 1
        for k in keys:
            codes = self.codes[k]
            if k in ID_COLUMNS:  # two forms of one NIP are one person
                norm_codes, norm = self.norm(k)[2:]
                n_k = len(norm)
                if n_k < len(norm_codes):   # some forms merge: renumber the records (else the codes stand)
                    codes = np.r_[norm_codes, -1][codes]
            else:
                n_k = len(self.uniques[k])
            if size * (n_k + 1) >= 2 ** 62:  # renumber the groups so far before the product overflows
                gid, seen = pd.factorize(gid)
                size = len(seen)
            gid *= n_k + 1
            gid += codes
            gid += 1
            size *= n_k + 1
        return gid

    def _parse_scores(self, scales: dict[str, Scale], items_cfg: dict[str, str], default_scale: str | None) -> None:
        """Turn the score codes into numbers according to each item's scale.

        A record's score depends only on its (item, score text) pair, and a study has few of
        each: every value, label and check is worked out once per pair in a small table,
        and the records reach it through one combined code.
        """
        col = self.col
        item_u, item_c = self.uniques["item"], self.codes["item"]
        text_u, text_c = self.uniques["score"], self.codes["score"]
        names = list(scales)
        n_t = len(text_u) + 1                      # slot 0 of each axis: the empty cell
        scale_of = np.array([names.index(s) if (s := items_cfg.get(it, default_scale)) in scales else -1
                             for it in item_u], dtype=np.int64)
        row_scale = np.r_[-2, scale_of]            # -1: no declared scale, -2: empty item
        pair = item_c.astype(np.int64)
        pair += 1
        pair *= n_t
        pair += text_c
        pair += 1
        seen = np.bincount(pair, minlength=len(row_scale) * n_t).reshape(len(row_scale), n_t) > 0
        val = np.full(seen.shape, np.nan)
        # the problem of each pair, numbered in the order problems are reported: no scale,
        # empty score, then per scale its unknown category / not a number, outside, off step
        kind = np.zeros(seen.shape, np.int64)
        kind[row_scale == -1, :] = 1
        kind[row_scale != -1, 0] = 2
        label = np.full(seen.shape, -1, np.int64)  # 0-based level of an ordinal score
        num_u = pd.to_numeric(_decimal_text(pd.Series(text_u, dtype=object), self.decimal).to_numpy(),
                              errors="coerce")
        num_u = np.asarray(num_u, dtype=float)
        used_levels = []
        for k, sname in enumerate(names):
            sc, rows = scales[sname], row_scale == k
            if not seen[rows, 1:].any():
                continue
            if sc.kind == "ordinal":
                used_levels.append(sc.levels)
                lookup = {lvl.casefold(): i + 1 for i, lvl in enumerate(sc.levels)}
                codes_u = pd.Index(text_u).str.casefold().map(lookup).to_numpy(dtype=float)
                val[rows, 1:] = codes_u
                kind[rows, 1:] = np.where(np.isnan(codes_u), 3 + 3 * k, 0)
                label[rows, 1:] = np.where(np.isnan(codes_u), -1, np.nan_to_num(codes_u) - 1)
            else:
                nonnum_u = np.isnan(num_u)
                out_u = ~nonnum_u & ((num_u < sc.min) | (num_u > sc.max))
                off_u = ~nonnum_u & ~out_u & ~sc.on_step(np.where(nonnum_u, sc.min, num_u))
                val[rows, 1:] = num_u
                kind[rows, 1:] = np.select([nonnum_u, out_u, off_u], [3 + 3 * k, 4 + 3 * k, 5 + 3 * k], 0)
        found = np.unique(kind[seen & (kind > 0)])
        if len(found):
            self._report_scores(found, kind.ravel()[pair], [scales[s] for s in names])
        self.score = val.ravel()[pair]
        if len(set(used_levels)) == 1:
            self.labels = pd.Categorical.from_codes(label.ravel()[pair], categories=list(used_levels[0]), ordered=True)
        else:  # none or several ordinal scales: each record's own label, as text
            text_of = np.full(seen.shape, None, dtype=object)
            for k, sname in enumerate(names):
                rows = (row_scale == k)[:, None] & (label >= 0)
                if scales[sname].kind == "ordinal" and rows.any():
                    text_of[rows] = np.asarray(scales[sname].levels, dtype=object)[label[rows]]
            self.labels = pd.Series(text_of.ravel()[pair] if len(used_levels) else np.full(self.n, None, object),
                                    dtype="object")

    def _report_scores(self, found: np.ndarray, kind: np.ndarray, scales: list[Scale]) -> None:
        """One problem per record with a score problem, each kind (numbered as in :meth:`_parse_scores`) in turn."""
        text = lambda i: self.value("score", i)   # noqa: E731 - the text as the user typed it
        item = lambda i: self.value("item", i)    # noqa: E731
        for code in found.tolist():
            if code == 1:
                self.col.add_rows(kind == 1, "item", lambda i: f"item '{item(i)}' has no declared scale "
                                  "(add it under [items] in study.toml or declare items.default)")
                continue
            if code == 2:
                self.col.add_rows(kind == 2, "score", lambda i: "empty score")
                continue
            sc, what = scales[(code - 3) // 3], (code - 3) % 3
            if sc.kind == "ordinal":
                message = (lambda i, sc=sc: f"unknown category '{text(i)}' for item '{item(i)}'"
                           + (f"; did you mean '{closest(text(i), sc.levels)}'?"
                              if closest(text(i), sc.levels) else f" (scale '{sc.name}': {', '.join(sc.levels)})"))
            elif what == 0:
                message = lambda i: f"'{text(i)}' is not a number (item '{item(i)}')"  # noqa: E731
            elif what == 1:
                message = (lambda i, sc=sc: f"score {text(i)} is outside the scale '{sc.name}' "
                           f"({sc.min:g}-{sc.max:g}) of item '{item(i)}'")
            else:
                message = (lambda i, sc=sc: f"score {text(i)} is not on the step of scale '{sc.name}' ({sc.min:g}, "
                           f"{sc.min + sc.step:g}, ... {sc.max:g}) of item '{item(i)}'; declare step = ... under "
                           f"[scales.{sc.name}] if such scores are valid (step = 0: any value)")
            self.col.add_rows(kind == code, "score", message)

    def hash_ids(self, key: bytes) -> dict[str, np.ndarray]:
        """The pseudonym of each distinct normalized identifier, per identifier column."""
        # most raters are also rated: hash the union of both columns' distinct ids once
        both = [np.asarray(self.norm(c)[3], dtype=object) for c in ID_COLUMNS]
        union_codes, union = pd.factorize(np.concatenate(both))
        hashed_union = _hash_ids(pd.Index(union, dtype=object), key)
        return dict(zip(ID_COLUMNS, np.split(hashed_union[union_codes], [len(both[0])])))

    def frame(self, key: bytes | None, key_help: str, periods: list[str], roles: list[str]) -> pd.DataFrame:
        """The validated ratings as a DataFrame of categoricals, identifiers pseudonymized."""
        if key is None:   # raw identifiers need a key (the first record holding one is named)
            for c in ID_COLUMNS:
                ident = _identifying(self.uniques[c], norm=self.norm(c)[1])
                if ident.any():
                    i = int(np.flatnonzero(_pick(ident, self.codes[c]))[0])
                    file, row = self.source.locate(i)
                    raise DataError(f"holds personal identifiers (NIP or names) but no pseudonymization key is set: "
                                    f"{key_help}", file=file, row=row, column=c)

        def ident(c: str) -> pd.Categorical:
            if key is None:
                return _sorted_categorical(self.codes[c], self.uniques[c])
            # each distinct identifier is normalized and hashed once; forms of one NIP merge here
            return _sorted_categorical(self.codes[c], hashed_of[c], through=self.norm(c)[2])

        def declared(c: str, values: list[str], ordered: bool) -> pd.Categorical:
            pos = pd.Index(values).get_indexer(self.uniques[c])   # validated: every value is declared
            return pd.Categorical.from_codes(np.r_[pos, -1].astype(np.int32)[self.codes[c]],
                                             dtype=pd.CategoricalDtype(values, ordered=ordered), validate=False)

        build = {"period": lambda: declared("period", periods, True),
                 "unit": lambda: _sorted_categorical(self.codes["unit"], self.uniques["unit"]),
                 **{c: (lambda c=c: ident(c)) for c in ID_COLUMNS},
                 "rater_role": lambda: declared("rater_role", roles, False),
                 "item": lambda: _sorted_categorical(self.codes["item"], self.uniques["item"])}
        # each column is a gather over the records (numpy releases the GIL): side by side, and the
        # columns without identifiers while this thread hashes the identifiers (which holds it)
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            later = [c for c in ID_COLUMNS if c in build] if key is not None else []
            done = {c: pool.submit(f) for c, f in build.items() if c not in later}
            if key is not None:
                hashed_of = self._hashed[1] if self._hashed is not None and self._hashed[0] == key else \
                    self.hash_ids(key)
            done.update({c: pool.submit(build[c]) for c in later})
            out: dict[str, Any] = {c: done[c].result() for c in build}
        out["score"] = self.score
        out["score_label"] = (self.labels.to_numpy() if isinstance(self.labels, pd.Series) else self.labels) \
            if self.labels is not None else np.full(self.n, None, dtype=object)
        # the columns are new arrays: the frame takes them as they are (a dict is copied by default)
        return pd.DataFrame(out, copy=False)
