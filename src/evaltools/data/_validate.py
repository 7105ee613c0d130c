"""Collecting problems of one file, mapping its columns to the contract, and the checks every table shares.

Each problem names the file, the row the user sees (spreadsheet line or Parquet record
number) and the column as the file spells it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import Problem, closest
from ._contract import MAX_PROBLEMS, NAME_COLUMNS
from ._read import _read_arrow, _ReadOptions, _Source, _split_hint, _to_text_frame


class _Collector:
    """Collects problems of one file, keeping the first ``MAX_PROBLEMS`` and a count."""

    def __init__(self, source: _Source):
        self.source = source
        self.file, self.offset = str(source.path), source.offset
        # problems name the column as the user's file spells it
        self.source_names: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.more = 0

    def add(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            if column is not None:
                column = ",".join(self.source_names.get(c, c) for c in column.split(","))
            file, shown = (self.file, None) if row is None else self.source.locate(int(row))
            self.problems.append(Problem(message, file=file, row=shown, column=column))
        else:
            self.more += 1

    def row_of(self, i: int) -> int:
        return self.source.locate(int(i))[1]

    def add_rows(self, mask: np.ndarray, column: str, message) -> None:
        """One problem per flagged record; ``message(i)`` builds the text for record i."""
        idx = np.flatnonzero(np.asarray(mask))
        room = max(MAX_PROBLEMS - len(self.problems), 0)
        for i in idx[:room]:
            self.add(message(i), row=i, column=column)
        self.more += max(len(idx) - room, 0)


def _map_columns(header: Sequence[str], mapping: dict[str, str], required: Sequence[str], col: _Collector,
                 what: str) -> dict[str, str]:
    """Contract name -> file column for the mapped and contract columns; report missing ones."""
    present = set(header)
    rename = {}
    split_hint = _split_hint(header, col.source.delimiter)
    for contract, source in mapping.items():
        if source in present:
            rename[contract] = source
        elif contract in required or contract in NAME_COLUMNS:
            if contract in present:
                rename[contract] = contract
                continue
            hint = closest(source, header)
            col.add(f"missing column '{source}' (mapped to '{contract}' in study.toml)"
                    + (f"; did you mean '{hint}'?" if hint else split_hint), column=source)
    col.source_names.update({contract: source for contract, source in rename.items()})
    for contract in required:
        if contract in rename or contract in mapping:
            continue
        if contract in present:
            rename[contract] = contract
            continue
        hint = closest(contract, header)
        col.add(f"missing column in {what}" + (f"; did you mean '{hint}'?" if hint else
                                               f" (columns present: {', '.join(header)}){split_hint}"),
                column=contract)
    return rename


def _open_table(root: Path, files: dict, name: str, colmaps: dict, required: Sequence[str], opts: _ReadOptions,
                ) -> tuple[Path, pd.DataFrame, _Collector]:
    """Read a small table (units, outcomes) as text, mapped to contract names, with its problem list."""
    path = root / files[name]
    table, src = _read_arrow(path, opts)
    col = _Collector(src)
    mapping = dict(colmaps.get(name, {}))
    rename = _map_columns(src.header, mapping, required, col, name)
    df = _to_text_frame(table)
    src_to_contract = {s: c for c, s in rename.items()}
    # a file column mapped under a non-contract name (a covariate) keeps the mapped name
    src_to_contract.update({s: c for c, s in mapping.items() if s in df.columns and s not in src_to_contract})
    df = df.rename(columns=src_to_contract)
    if len(df) == 0:
        col.add("the table is empty")
    for contract, source in src_to_contract.items():
        col.source_names.setdefault(source, contract)
    col.source_names.update({c: s for s, c in src_to_contract.items()})
    return path, df, col


def _check_missing(df: pd.DataFrame, columns: Iterable[str], col: _Collector) -> None:
    """Flag empty cells of a text frame from :func:`_open_table` (stripped already: empty is missing)."""
    for c in columns:
        if c in df.columns:
            col.add_rows(df[c].isna().to_numpy(), c, lambda i: "empty value")


def _check_duplicates(df: pd.DataFrame, keys: Sequence[str], col: _Collector) -> None:
    if not all(k in df.columns for k in keys):
        return
    keys = list(keys)
    # one group id from each key's codes (a missing value is a value here, as in a groupby with dropna=False)
    gid = np.zeros(len(df), np.int64)
    for k in keys:
        codes, uniques = pd.factorize(df[k], use_na_sentinel=False)
        gid = pd.factorize(gid * (len(uniques) + 1) + codes)[0] if len(keys) > 1 else codes
    _report_duplicates(gid, keys, col, lambda k, i: str(df[k].iloc[i]))


def _any_repeat(gid: np.ndarray) -> bool:
    """Whether any group id occurs twice (a sort finds it faster than a hash table).

    The merge sort (timsort) takes the runs that an export's grouping by unit and employee
    leaves in the ids as they are: on 2 million ratings in the order of the sample's file it
    takes a tenth of the time of the default quicksort, and a third more on a shuffled file.
    """
    ordered = np.sort(gid, kind="stable")
    return bool((ordered[1:] == ordered[:-1]).any())


def _report_duplicates(gid: np.ndarray, keys: Sequence[str], col: _Collector, value,
                       repeats: bool | None = None) -> None:
    """Flag every record whose key group was seen before, naming the first record of the group.

    ``repeats``: :func:`_any_repeat` of ``gid`` when the caller has it already.
    """
    if not len(gid) or not (_any_repeat(gid) if repeats is None else repeats):
        return
    codes, _ = pd.factorize(gid)
    # factorize numbers groups in order of first appearance, so a record is the first of its
    # group exactly when its code exceeds every earlier code
    cummax = np.maximum.accumulate(codes)
    first = np.r_[True, cummax[1:] > cummax[:-1]]
    if first.all():
        return
    first_of = np.flatnonzero(first)[codes]
    col.add_rows(~first, ",".join(keys), lambda i: f"duplicate key ({', '.join(keys)}) = "
                 f"({', '.join(value(k, i) for k in keys)}), first seen at row {col.row_of(first_of[i])}")



def _decimal_text(values: pd.Series, decimal: str) -> pd.Series:
    """Numbers as text with a decimal point: a decimal comma is common in Indonesian spreadsheets."""
    s = values.astype("str").str.strip().where(values.notna())
    if decimal == ",":  # 1.234,5: the dots group thousands
        s = s.str.replace(r"^(-?\d{1,3}(?:\.\d{3})+)(?=,|$)", lambda m: m.group(1).replace(".", ""), regex=True)
    return s.str.replace(",", ".", regex=False)


