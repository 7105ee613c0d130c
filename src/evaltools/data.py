"""The study data contract: load, validate and pseudonymize a study folder.

A study is a folder with ``study.toml`` and three tables (CSV, gzipped CSV, Parquet
or XLSX, chosen by extension; ``ratings`` may also be a folder of Parquet files
partitioned by unit, as :func:`pyarrow.dataset.write_dataset` writes it):

- ``ratings``: period, unit, subject, rater, rater_role, item, score
- ``units``: unit, region, first_treated (empty = never treated), optional covariates
- ``outcomes``: unit, period, one column per outcome (optionally a subject column)

``study.toml`` declares the period order, the rating scale of each item, the rater
roles, the outcomes (and which are "higher is better"), the key used to pseudonymize
identifiers, and a column mapping (contract name = column name in the file) so a user
can point it at an e-Kinerja or SIASN export without editing it. Unknown sections and
keys are errors with the closest valid name, so a typo never passes silently.

Every problem of every file is collected (up to a limit) and raised together as one
:class:`DataError` naming the file, the row (the spreadsheet line number: the header is
line 1, so the first record is row 2; for Parquet the 1-based record number) and the
column. Input files are only ever read.

The ratings table is read with Arrow and validated on its distinct values: each text
column is dictionary-encoded once, every check runs on the (few) distinct values and is
mapped back to rows through the codes, and each distinct identifier is hashed once.
"""
from __future__ import annotations

import csv
import dataclasses
import difflib
import gzip
import hashlib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._errors import DataError, Problem, closest, require_columns

__all__ = [
    "DataError",
    "Scale",
    "Study",
    "load_study",
    "looks_identifying",
    "normalize_id",
    "pseudonymize",
    "read_table",
    "require_columns",
    "RATING_COLUMNS",
    "UNIT_COLUMNS",
    "OUTCOME_KEYS",
    "CATEGORICAL_COLUMNS",
]

RATING_COLUMNS = ("period", "unit", "subject", "rater", "rater_role", "item", "score")
UNIT_COLUMNS = ("unit", "region", "first_treated")
OUTCOME_KEYS = ("unit", "period")
#: contract columns holding personal names: read only to be dropped
NAME_COLUMNS = ("subject_name", "rater_name")
#: columns whose values are person identifiers and get pseudonymized
ID_COLUMNS = ("subject", "rater")
#: ratings columns held as pandas categoricals in a loaded Study (``period`` too, ordered)
CATEGORICAL_COLUMNS = ("unit", "subject", "rater", "rater_role", "item")
# the categoricals whose categories are the values present (rater_role keeps the declared roles)
_ID_CATEGORIES = ("unit", "subject", "rater", "item")
DEFAULT_ROLES = ("atasan", "rekan_kerja", "bawahan", "masyarakat", "diri_sendiri")
DEFAULT_KEY_ENV = "EVALTOOLS_KEY"
MAX_PROBLEMS = 50
PSEUDONYM_PREFIX = "P-"
_PSEUDONYM_RE = r"P-[0-9a-f]{16}"
# NIP-shaped digits (18: PNS and PPPK; 9: the old NIP), separators removed, anywhere in a value ("pegawai-1986...", an e-mail built on the NIP)
_NIP_INSIDE_RE = r"(?:^|\D)(?:\d{18}|\d{9})(?:\D|$)"
# what real exports put around a NIP: an Excel text apostrophe and a "NIP", "NIP." or "NIP:" label
_NIP_QUOTES = " '\u2018\u2019`\t"
# whitespace spelled out (literal characters, no \s): pandas then runs these patterns in Arrow's
# regex engine instead of a Python loop over the values
_WS = " \t\r\n\f\v\u00a0"
_NIP_LABEL_RE = "^[Nn][Ii][Pp][" + _WS + "]*[.:]?[" + _WS + "]*"
_SEPARATORS_RE = "[" + _WS + ".\\-]"
_EMAIL_RE = "[^@" + _WS + "]+@[^@" + _WS + "]+\\.[A-Za-z]{2,}"
# a personal name: words of letters (any script) with dots, apostrophes or commas; one word
# is enough, since many Indonesians have a single name (Sukarno, Suharto)
_NAME_RE = re.compile(r"^(?=.*[^\W\d_]{3})[^\W\d_](?:[^\W\d_]|[.,'])*(?:\s+[^\W\d_](?:[^\W\d_]|[.,'])*)*$")
# a number as Excel writes it when a NIP column was formatted as a number: 1.98608E+17
_SCIENTIFIC_RE = r"^\d(?:[.,]\d+)?[eE]\+?\d+$"
_AS_TEXT = ("export the column as text (in Excel: select the column, Format Cells > Text, then re-enter or "
            "re-import the NIPs from the source system; or read the source with Data > From Text/CSV and set "
            "the column type to Text)")


# --------------------------------------------------------------------------- scales
@dataclasses.dataclass(frozen=True)
class Scale:
    """A declared rating scale.

    ``kind="numeric"`` scores are numbers in ``[min, max]`` on a grid of ``step``
    (default 1; ``step = 0`` in study.toml declares a continuous scale); ``kind="ordinal"``
    scores are labels from ``levels`` (lowest first), stored as their 1-based code so the
    agreement statistics read both kinds the same way.

    Examples
    --------
    >>> Scale("half", "numeric", 1.0, 3.0, step=0.5).categories
    [1.0, 1.5, 2.0, 2.5, 3.0]
    >>> Scale("half", "numeric", 1.0, 3.0, step=0.5).on_step(np.array([1.5, 1.7])).tolist()
    [True, False]
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

    def on_step(self, values: np.ndarray) -> np.ndarray:
        """True where a value lies on the scale's grid ``min + k * step`` (always, if continuous)."""
        if self.kind == "ordinal" or not self.step:
            return np.ones(len(values), bool)
        k = (np.asarray(values, float) - self.min) / self.step
        return np.abs(k - np.round(k)) <= 1e-9 * np.maximum(1.0, np.abs(k))

    def label(self, code: float) -> str:
        if self.kind == "ordinal" and code == code:
            return self.levels[int(code) - 1]
        return f"{code:g}"


def _parse_scales(cfg: dict, problems: list[Problem], file: str) -> dict[str, Scale]:
    scales = {}
    for name, spec in (cfg.get("scales") or {}).items():
        if not isinstance(spec, dict):
            problems.append(Problem(f"scale '{name}' must be a table [scales.{name}]", file=file,
                                    column=f"scales.{name}"))
            continue
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
                step = spec.get("step", 1)
                step = None if step in (0, None) else float(step)
            except (KeyError, TypeError, ValueError):
                problems.append(Problem(f"numeric scale '{name}' needs numbers 'min' and 'max' (and 'step', if "
                                        "given)", file=file, column=f"scales.{name}"))
                continue
            if step is not None and step < 0:
                problems.append(Problem(f"scale '{name}' has a negative step", file=file, column=f"scales.{name}.step"))
                continue
            scales[name] = Scale(name, "numeric", lo, hi, (), step)
        else:
            problems.append(Problem(f"scale '{name}' has unknown kind '{kind}' (use 'numeric' or 'ordinal')",
                                    file=file, column=f"scales.{name}.kind"))
    return scales


# ------------------------------------------------------------------ study.toml schema
#: the keys each consumer reads; ``None`` = free keys (validated by their consumer, if any)
_SCHEMA: dict[str, Any] = {
    "study": {"name", "periods", "rater_roles", "key_file", "key_env"},
    "files": {"ratings", "units", "outcomes", "delimiter", "decimal", "encoding"},
    "columns": {"ratings": set(RATING_COLUMNS) | set(NAME_COLUMNS), "units": None, "outcomes": None},
    "scales": ("table", {"kind", "min", "max", "step", "levels", "label", "label_en"}),
    "items": None,
    "outcomes": ("table", {"label", "label_en", "higher_is_better", "primary", "min_effect", "unit", "unit_en"}),
    "thresholds": None,  # read by evaltools.report, which warns about unknown keys
    "simulation": None,  # written by evaltools.simulate
    "briefing": None,    # read by the briefing (deadline, owners, planned_units, ...)
}


def _check_schema(cfg: dict, file: str) -> list[Problem]:
    """Unknown sections and keys of study.toml, each with the closest valid name."""
    out: list[Problem] = []

    def unknown(where: str, key: str, valid: Iterable[str], what: str) -> None:
        hint = closest(key, valid)
        out.append(Problem(f"unknown {what} '{key}'" + (f"; did you mean '{hint}'?" if hint else
                                                       f" (valid: {', '.join(sorted(valid))})"),
                           file=file, column=where))

    for section, value in cfg.items():
        if section not in _SCHEMA:
            unknown(section, section, _SCHEMA, "section")
            continue
        spec = _SCHEMA[section]
        if spec is None or not isinstance(value, dict):
            continue
        if isinstance(spec, tuple):  # [scales.NAME], [outcomes.NAME]: a table of tables
            for name, sub in value.items():
                for k in (sub if isinstance(sub, dict) else {}):
                    if k not in spec[1]:
                        unknown(f"{section}.{name}.{k}", k, spec[1], f"key in [{section}.{name}]")
            continue
        for k, sub in value.items():
            if isinstance(spec, set):
                if k not in spec:
                    unknown(f"{section}.{k}", k, spec, f"key in [{section}]")
            elif k not in spec:
                unknown(f"{section}.{k}", k, spec, f"table [{section}.*]")
            elif spec[k] is not None and isinstance(sub, dict):
                for c in sub:
                    if c not in spec[k]:
                        unknown(f"{section}.{k}.{c}", c, spec[k], f"contract column in [{section}.{k}]")
    # free-form column maps: a key one letter away from a contract column is a typo, not a covariate
    for table, contract in (("units", UNIT_COLUMNS), ("outcomes", OUTCOME_KEYS + ("subject",))):
        for k in ((cfg.get("columns") or {}).get(table) or {}):
            hint = next(iter(difflib.get_close_matches(k, contract, n=1, cutoff=0.8)), None)
            if k not in contract and hint and k not in (cfg.get("outcomes") or {}):
                out.append(Problem(f"unknown contract column '{k}'; did you mean '{hint}'?", file=file,
                                   column=f"columns.{table}.{k}"))
    return out

# ---------------------------------------------------------------------- reading
_CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")
_DELIMITERS = (",", ";", "\t", "|")


@dataclasses.dataclass
class _ReadOptions:
    """``[files] delimiter / decimal / encoding``: ``None`` delimiter = sniffed from the header."""

    delimiter: str | None = None
    decimal: str = "."
    encoding: str = "utf-8"

    @classmethod
    def from_config(cls, files: dict, problems: list[Problem], file: str) -> "_ReadOptions":
        opts = cls()
        d = files.get("delimiter")
        if d is not None:
            d = {"\\t": "\t", "tab": "\t"}.get(str(d), str(d))
            if len(d) != 1:
                problems.append(Problem(f"delimiter must be one character, got {files['delimiter']!r}", file=file,
                                        column="files.delimiter"))
            else:
                opts.delimiter = d
        dec = str(files.get("decimal", "."))
        if dec not in (".", ","):
            problems.append(Problem(f"decimal must be '.' or ',', got {dec!r}", file=file, column="files.decimal"))
        else:
            opts.decimal = dec
        enc = str(files.get("encoding", "utf-8"))
        try:
            "".encode(enc)
        except LookupError:
            problems.append(Problem(f"unknown encoding {enc!r} (e.g. 'utf-8', 'cp1252', 'latin-1')", file=file,
                                    column="files.encoding"))
        else:
            opts.encoding = "utf-8" if enc.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig") else enc
        return opts


@dataclasses.dataclass
class _Source:
    """Where a table's records came from, so a problem points at the user's file and row."""

    path: Path
    offset: int                                   # 0-based record index -> the row shown
    delimiter: str | None = None
    header: list[str] = dataclasses.field(default_factory=list)
    #: XLSX cells stored as numbers, per column (a NIP stored so has lost digits)
    numeric_cells: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    #: partitioned input: the part file and the record number within it, per record
    part_files: np.ndarray | None = None
    part_names: list[str] = dataclasses.field(default_factory=list)
    part_rows: np.ndarray | None = None
    #: records kept after a unit filter: their index in the file
    rows: np.ndarray | None = None

    def locate(self, i: int) -> tuple[str, int]:
        """The file and row number the user sees for record ``i`` of the loaded table."""
        if self.part_files is not None:
            return self.part_names[int(self.part_files[i])], int(self.part_rows[i]) + 1
        j = int(self.rows[i]) if self.rows is not None else int(i)
        return str(self.path), j + self.offset


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(_CSV_SUFFIXES)


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _sniff_delimiter(header: str) -> str:
    """The candidate delimiter that splits the header line into the most fields (quotes respected)."""
    counts = {}
    for d in _DELIMITERS:
        try:
            counts[d] = len(next(csv.reader([header], delimiter=d)))
        except (csv.Error, StopIteration):
            counts[d] = 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _csv_header(path: Path, opts: _ReadOptions) -> tuple[list[str], str]:
    """The header fields and the delimiter (declared, or sniffed from the header line)."""
    with _open_bytes(path) as fh:
        first = fh.readline(1 << 20)
    enc = "utf-8-sig" if opts.encoding == "utf-8" else opts.encoding
    try:
        line = first.decode(enc).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, opts, first, 0, exc) from exc
    delim = opts.delimiter or _sniff_delimiter(line)
    header = next(csv.reader([line], delimiter=delim), [])
    return header, delim


def _encoding_error(path: Path, opts: _ReadOptions, line: bytes, lineno: int, exc: UnicodeDecodeError,
                    header: Sequence[str] = (), delimiter: str = ",") -> DataError:
    bad = line[exc.start:exc.start + 1]
    column = None
    if header and lineno > 0:
        prefix = line[:exc.start].decode("utf-8", errors="replace")
        fields = next(csv.reader([prefix], delimiter=delimiter), [""])
        k = len(fields) - 1
        column = str(header[k]).strip() if k < len(header) else None
    guess = "cp1252"
    try:
        shown = line.decode(guess, errors="strict").strip()[:80]
    except UnicodeDecodeError:
        guess, shown = "latin-1", line.decode("latin-1").strip()[:80]
    return DataError(f"is not UTF-8 text (byte 0x{bad.hex()} in {shown!r}; it looks like {guess}): save the file as "
                     f"'CSV UTF-8' or declare its encoding under [files], e.g. encoding = \"{guess}\"",
                     file=str(path), row=lineno + 1, column=column)


def _locate_bad_utf8(path: Path, opts: _ReadOptions, header: Sequence[str], delimiter: str) -> DataError | None:
    """Find the first line that is not valid UTF-8 (only on the error path: a Python pass)."""
    with _open_bytes(path) as fh:
        for lineno, line in enumerate(fh):
            try:
                line.decode("utf-8-sig" if lineno == 0 else "utf-8")
            except UnicodeDecodeError as exc:
                return _encoding_error(path, opts, line, lineno, exc, header, delimiter)
    return None


def _read_csv(path: Path, opts: _ReadOptions, columns: Sequence[str] | None) -> tuple[pa.Table, _Source]:
    from pyarrow import csv as pacsv

    header, delim = _csv_header(path, opts)
    src = _Source(path, 2, delim, [h.strip() for h in header])
    raw_of = {h.strip(): h for h in header}
    keep = [raw_of[c] for c in columns if c in raw_of] if columns is not None else list(header)
    def read(newlines: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=opts.encoding),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=newlines),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 include_columns=keep, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True))

    try:
        try:
            table = read(False)
        except pa.ArrowInvalid as exc:
            # a quoted value spanning lines (an address) needs the slower quote-aware split
            if "UTF8" in str(exc):
                raise
            table = read(True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if opts.encoding == "utf-8" and ("UTF8" in str(exc) or "utf-8" in str(exc).lower()):
            located = _locate_bad_utf8(path, opts, src.header, delim)
            if located is not None:
                raise located from exc
        raise DataError(f"could not be read as a table with delimiter {delim!r}{_split_hint(src.header, delim)}: "
                        f"{exc}", file=str(path)) from exc
    return table.rename_columns([c.strip() for c in table.column_names]), src


def _as_text(table: pa.Table, keep_dictionary: bool = False) -> pa.Table:
    """Every column as text: types are assigned during validation, where a bad cell has a row.

    ``keep_dictionary`` leaves dictionary-encoded text as it is (what the ratings pass
    wants: Parquet stores text dictionary-encoded, so no value is hashed twice).
    """
    import pyarrow.compute as pc

    cols = []
    for c in table.columns:
        if pa.types.is_dictionary(c.type):
            if keep_dictionary and pa.types.is_string(c.type.value_type):
                cols.append(c)
                continue
            c = c.cast(c.type.value_type)
        if not (pa.types.is_string(c.type) or pa.types.is_large_string(c.type)):
            if pa.types.is_floating(c.type):
                # 4.0 is the score 4, as a spreadsheet shows it; keep other floats as written
                whole = pc.fill_null(pc.equal(c, pc.floor(c)), False)
                c = pc.if_else(whole, pc.cast(pc.cast(c, pa.int64(), safe=False), pa.string()), pc.cast(c, pa.string()))
            else:
                c = pc.cast(c, pa.string())
        cols.append(c)
    return pa.table(cols, names=[str(n).strip() for n in table.column_names])


def _read_parquet(path: Path, columns: Sequence[str] | None, dictionary: bool = False) -> tuple[pa.Table, _Source]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    names = [str(n) for n in schema.names]
    src = _Source(path, 1, None, [n.strip() for n in names])
    raw_of = {n.strip(): n for n in names}
    keep = [raw_of[c] for c in columns if c in raw_of] if columns is not None else None
    text = [f.name for f in schema if pa.types.is_string(f.type) and (keep is None or f.name in keep)]
    table = pq.read_table(path, columns=keep, read_dictionary=text if dictionary else None)
    return _as_text(table, keep_dictionary=dictionary), src


def _read_dataset(path: Path, columns: Sequence[str] | None, unit_column: str | None,
                  units: Sequence[str] | None) -> tuple[pa.Table, _Source]:
    """A folder of Parquet files partitioned by unit (hive layout: ``<unit column>=<value>/…``)."""
    import pyarrow.dataset as pads

    try:
        dset = pads.dataset(path, format="parquet", partitioning="hive")
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"could not be read as a partitioned Parquet dataset: {exc}", file=str(path)) from exc
    names = [str(n) for n in dset.schema.names]
    src = _Source(path, 1, None, [n.strip() for n in names])
    raw_of = {n.strip(): n for n in names}
    keep = [raw_of[c] for c in columns if c in raw_of] if columns is not None else names
    filt = None
    if units is not None and unit_column in raw_of:
        filt = pads.field(raw_of[unit_column]).isin([str(u) for u in units])
    table = dset.to_table(columns=[*keep, "__filename"], filter=filt)
    files = table.column("__filename").dictionary_encode().combine_chunks()
    codes = files.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    src.part_names = [str(f) for f in files.dictionary.to_pylist()]
    src.part_files = codes
    # rows of one part file arrive together and in order: the record number is the position
    # within the file's run, i.e. the index minus the index where the file's first record is
    start = np.full(len(src.part_names), 0, np.int64)
    if len(codes):
        first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        start[codes[first]] = first
    src.part_rows = np.arange(len(codes), dtype=np.int64) - start[codes]
    table = table.drop_columns(["__filename"])
    return _as_text(table), src


def _read_xlsx(path: Path, columns: Sequence[str] | None) -> tuple[pa.Table, _Source]:
    df = pd.read_excel(path, dtype=object, engine="openpyxl")
    df.columns = [str(c).strip() for c in df.columns]
    src = _Source(path, 2, None, list(df.columns))
    if columns is not None:
        df = df[[c for c in df.columns if c in set(columns)]]
    out = {}
    for c in df.columns:
        v = df[c]
        # an XLSX number is an IEEE double (ECMA-376 18.17.4.3): beyond 15-16 digits it is not exact
        numeric = v.map(lambda x: isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
                        and x == x).to_numpy(bool)
        if numeric.any():
            src.numeric_cells[c] = numeric
        # a whole number shows as an integer in the sheet; text cells stay as typed
        text = [None if x is None or (isinstance(x, float) and x != x) else
                (str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)) for x in v.tolist()]
        out[c] = pa.array(text, type=pa.string())
    return pa.table(out) if out else pa.table({}), src


def _read_arrow(path: Path, opts: _ReadOptions, columns: Sequence[str] | None = None, *,
                unit_column: str | None = None, units: Sequence[str] | None = None,
                dictionary: bool = False) -> tuple[pa.Table, _Source]:
    """Read one input table as an Arrow table of text columns, and where its records came from."""
    name = path.name.lower()
    if not path.exists():
        raise DataError("file not found", file=str(path))
    try:
        if path.is_dir():
            return _read_dataset(path, columns, unit_column, units)
        if _is_csv(path):
            return _read_csv(path, opts, columns)
        if name.endswith(".parquet"):
            return _read_parquet(path, columns, dictionary)
        if name.endswith((".xlsx", ".xlsm")):
            return _read_xlsx(path, columns)
    except DataError:
        raise
    except Exception as exc:  # the reader's own message, attributed to the file
        raise DataError(f"could not be read: {exc}", file=str(path)) from exc
    raise DataError("unsupported file type (use .csv, .csv.gz, .parquet, .xlsx or a folder of Parquet files)",
                    file=str(path))


def read_table(path: str | os.PathLike, *, delimiter: str | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV (optionally gzipped), Parquet or XLSX table with every cell as text.

    Text keeps 18-digit NIPs and leading zeros intact; types are assigned during
    validation, where a bad cell can be reported by row and column. The CSV delimiter is
    sniffed from the header line (``,``, ``;``, tab or ``|``) unless given; a file that is
    not valid text in ``encoding`` is an error naming its row and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("nip;nilai\\n196608011988031001;3,5\\n", encoding="utf-8")
    >>> read_table(p).iloc[0].tolist()
    ['196608011988031001', '3,5']
    """
    table, _ = _read_arrow(Path(path), _ReadOptions(delimiter, ".", encoding))
    return _to_text_frame(table)


def _to_text_frame(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    for c in df.columns:  # what a spreadsheet user means by a cell, as pandas' skipinitialspace did
        df[c] = df[c].str.strip().replace("", np.nan)
    return df


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


def _split_hint(header: Sequence[str], delim: str | None) -> str:
    """Which delimiter the header was split on, and the one it seems to use instead."""
    if delim is None:
        return ""
    others = [d for d in _DELIMITERS if d != delim and any(d in h for h in header)]
    return (f" (the header was split on the delimiter {delim!r}"
            + (f" but contains {others[0]!r}: declare [files] delimiter = {others[0]!r}" if others else "") + ")")


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
    for c in columns:
        if c in df.columns:
            bad = df[c].isna().to_numpy() | (df[c].astype(str).str.strip() == "").to_numpy()
            col.add_rows(bad, c, lambda i: "empty value")


def _check_duplicates(df: pd.DataFrame, keys: Sequence[str], col: _Collector) -> None:
    if not all(k in df.columns for k in keys):
        return
    keys = list(keys)
    gid = df.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    _report_duplicates(gid, keys, col, lambda k, i: str(df[k].iloc[i]))


def _report_duplicates(gid: np.ndarray, keys: Sequence[str], col: _Collector, value) -> None:
    """Flag every record whose key group was seen before, naming the first record of the group."""
    if not len(gid):
        return
    ordered = np.sort(gid)   # a sort finds whether any key repeats faster than a hash table
    if not (ordered[1:] == ordered[:-1]).any():
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


# ----------------------------------------------------------------- identifiers
def normalize_id(values: pd.Series | pd.Index) -> pd.Index:
    """The canonical form of person identifiers, so every export form of one NIP links.

    Removes what real exports put around a NIP (an Excel text apostrophe, a ``NIP``,
    ``NIP.`` or ``NIP:`` label), then spaces, dots and dashes, and upper-cases the rest.

    Examples
    --------
    >>> normalize_id(pd.Series(["'196608011988031001", "NIP. 19660801 198803 1 001", "nip:19660801-198803-1-001",
    ...                         "s-01"])).tolist()
    ['196608011988031001', '196608011988031001', '196608011988031001', 'S01']
    """
    s = pd.Index(values).astype(str).str.strip().str.lstrip(_NIP_QUOTES)
    # Arrow's regex engine has no look-ahead: drop the label, and keep the value as it was
    # where no digit follows the label (a name such as "Nipah" is not a NIP)
    unlabelled = s.str.replace(_NIP_LABEL_RE, "", regex=True)
    s = pd.Index(np.where(np.asarray(unlabelled.str.match(r"\d"), bool), unlabelled, s), dtype="str")
    return s.str.replace(_SEPARATORS_RE, "", regex=True).str.upper()


def _identifying(uniques: pd.Index, names: bool = True, norm: pd.Index | None = None) -> np.ndarray:
    """True where a distinct value holds NIP-shaped digits, an e-mail address or (``names``) looks like a name."""
    s = pd.Index(uniques).astype(str).str.strip()
    if not len(s):
        return np.zeros(0, bool)
    pseudo = np.asarray(s.str.fullmatch(_PSEUDONYM_RE), bool)
    digits = normalize_id(s) if norm is None else norm
    nip = np.asarray(digits.str.contains(_NIP_INSIDE_RE, regex=True), bool)
    email = np.asarray(s.str.contains(_EMAIL_RE, regex=True), bool)
    name = np.asarray(s.str.fullmatch(_NAME_RE), bool) if names else np.zeros(len(s), bool)
    return ~pseudo & (nip | email | name)


def looks_identifying(values: pd.Series) -> pd.Series:
    """True where a value looks like personal data: NIP-shaped digits, an e-mail or a name.

    NIP-shaped means 18 or 9 digits once the export's decorations and separators are
    removed (:func:`normalize_id`), alone or inside a longer value; a pseudonym made by
    :func:`pseudonymize` is not identifying.

    Examples
    --------
    >>> looks_identifying(pd.Series(["NIP.196608011988031001", "pegawai-123456789", "Sukarno", "S0001"])).tolist()
    [True, True, True, False]
    """
    codes, uniques = pd.factorize(values.astype(str))
    flags = _identifying(pd.Index(uniques))
    return pd.Series(flags[codes] if len(flags) else np.zeros(len(values), bool), index=values.index, dtype=bool)


def _hash_ids(norm: pd.Index, key: bytes) -> np.ndarray:
    """``P-`` + the first 16 hex digits of HMAC-SHA256(key, id) for each distinct id.

    HMAC (RFC 2104, section 2): ``H((K ^ opad) || H((K ^ ipad) || m))`` with the key
    padded to the 64-byte block (hashed first if longer). The two keyed states are
    computed once and copied per id, which halves the cost of ``hmac.digest`` per call;
    the loop is over distinct ids, not records.
    """
    block = hashlib.sha256().block_size
    k = hashlib.sha256(key).digest() if len(key) > block else key
    k = k.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))
    out = []
    for v in np.asarray(norm, dtype=object).tolist():
        i = inner.copy()
        i.update(v.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        out.append(PSEUDONYM_PREFIX + o.hexdigest()[:16])
    return np.array(out, dtype=object)


def pseudonymize(values: pd.Series, key: bytes) -> pd.Series:
    """Replace identifiers with a keyed hash: ``P-`` + 16 hex digits of HMAC-SHA256.

    The identifier is normalized first (:func:`normalize_id`: export decorations such as
    an apostrophe or a ``NIP.`` label, spaces, dots and dashes removed, upper case), so
    ``"19660801 198803 1 001"`` and ``"NIP.196608011988031001"`` get one pseudonym; the
    same key gives the same pseudonym in every run, so periods and files can be linked.
    Each distinct value is hashed once (HMAC: Krawczyk, Bellare & Canetti 1997, RFC 2104).

    Examples
    --------
    >>> p = pseudonymize(pd.Series(["19660801 198803 1 001", "'196608011988031001"]), b"key")
    >>> p.iloc[0] == p.iloc[1], p.iloc[0][:2], len(p.iloc[0])
    (True, 'P-', 18)
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    hashed = _hash_ids(normalize_id(pd.Index(uniques)), key)
    out = np.where(codes >= 0, hashed[np.maximum(codes, 0)] if len(hashed) else None, None)
    return pd.Series(out, index=values.index, name=values.name, dtype="str")


def _excel_damage(uniques: pd.Index, codes: np.ndarray, numeric_cells: np.ndarray | None, column: str,
                  col: _Collector, norm: pd.Index | None = None) -> bool:
    """Report NIPs that Excel damaged, once per column and kind; True if any was found.

    Excel holds numbers as doubles shown with 15 significant digits: a NIP typed or
    imported as a number keeps its first 15 digits (the rest become zeros, or are cut),
    is written in scientific notation (``1.98608E+17``) when the column is narrow, and an
    XLSX numeric cell has lost the digits already. Different people then share one value,
    which would show as a flood of duplicate keys.
    """
    raw = pd.Index(uniques).astype(str)
    norm = normalize_id(raw) if norm is None else norm
    sentinel = np.r_[False]
    kinds = [
        (np.asarray(raw.str.fullmatch(_SCIENTIFIC_RE), bool),
         "value(s) are in scientific notation (Excel showed the NIPs as numbers and saved the rounded display, "
         "so their digits are lost)"),
        # NIP serial numbers start at 001: three trailing zeros are the digits Excel dropped
        (np.asarray(norm.str.fullmatch(r"\d{15}000"), bool),
         "value(s) end in 000 after 15 digits: 18-digit NIPs truncated to Excel's 15 significant digits, so "
         "different people may have merged"),
        (np.asarray(norm.str.fullmatch(r"\d{15}"), bool),
         "value(s) have 15 digits: 18-digit NIPs cut to Excel's 15-digit precision, so different people may "
         "have merged"),
    ]
    if numeric_cells is not None:
        many = np.r_[np.asarray(raw.str.count(r"\d")) >= 16, sentinel][codes]
        rows = numeric_cells & many
        if rows.any():
            i = int(np.flatnonzero(rows)[0])
            col.add(f"{int(rows.sum())} cell(s) are stored as numbers, e.g. {raw[codes[i]]}: an XLSX number keeps "
                    f"only 15 significant digits, so 18-digit NIPs lost their last digits; {_AS_TEXT}",
                    row=i, column=column)
            return True
    found = False
    for flag_u, what in kinds:
        rows = np.r_[flag_u, sentinel][codes]
        if rows.any():
            i = int(np.flatnonzero(rows)[0])
            n = int(np.unique(codes[rows]).size)
            col.add(f"{n} {what}, e.g. '{raw[codes[i]]}': {_AS_TEXT}", row=i, column=column)
            found = True
    return found


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
        """The same study restricted to ``units`` (ratings, units and outcomes).

        Categories no longer present in the ratings' id columns are dropped, so a unit's
        study carries none of the national table's identifiers.

        Examples
        --------
        >>> study = load_study(Path(__file__).resolve().parents[2] / "data" / "sample")
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


# --------------------------------------------------------------------- loading
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
    >>> sample = Path(__file__).resolve().parents[2] / "data" / "sample"
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
    toml_path = root / "study.toml"
    tfile = str(toml_path)
    if not toml_path.exists():
        raise DataError("study.toml not found: a study folder needs one", file=tfile)
    try:
        cfg = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"is not valid TOML: {exc}", file=tfile) from exc

    problems: list[Problem] = _check_schema(cfg, tfile)
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
        info = {"label": spec.get("label", name), "label_en": spec.get("label_en", spec.get("label", name)),
                "higher_is_better": bool(spec.get("higher_is_better", True))}
        if "primary" in spec:
            info["primary"] = bool(spec["primary"])
        for k in ("unit", "unit_en"):  # unit of measurement shown beside effects ("poin", "hari")
            if k in spec:
                info[k] = str(spec[k])
        if "min_effect" in spec:
            try:
                info["min_effect"] = float(spec["min_effect"])
            except (TypeError, ValueError):
                problems.append(Problem(f"min_effect of outcome '{name}' must be a number", file=tfile,
                                        column=f"outcomes.{name}.min_effect"))
        outcome_info[str(name)] = info
    files = cfg.get("files", {})
    for t in ("ratings", "units", "outcomes"):
        if t not in files:
            problems.append(Problem(f"name the {t} table under [files] (e.g. {t} = \"{t}.csv\")", file=tfile,
                                    column=f"files.{t}"))
    opts = _ReadOptions.from_config(files, problems, tfile)
    if problems:
        raise DataError(problems)

    colmaps = cfg.get("columns", {})
    notes: list[str] = []
    all_problems: list[Problem] = []
    more = 0

    # -- units
    upath, units_df, cu = _open_table(root, files, "units", colmaps, UNIT_COLUMNS, opts)
    _check_missing(units_df, ("unit", "region"), cu)
    _check_duplicates(units_df, ("unit",), cu)
    if "first_treated" in units_df.columns:
        ft = units_df["first_treated"].astype("str").str.strip()
        never = units_df["first_treated"].isna().to_numpy() | ft.isin(["", "0", "nan", "None", "never"]).to_numpy()
        bad = ~never & ~ft.isin(periods).to_numpy()
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
    identifying_cov = [c for c in covariates if _identifying(pd.Index(units_df[c].dropna().unique()), names=False).any()]
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
    all_problems += cu.problems
    more += cu.more

    # -- ratings: read with Arrow, validated on distinct values
    rat = _RatingsReader(root / files["ratings"], dict(colmaps.get("ratings", {})), opts, wanted_units)
    rat.validate(periods=periods, roles=roles, known_units=known_units, units_file=str(files["units"]),
                 scales=scales, items_cfg=items_cfg, default_scale=default_scale)
    all_problems += rat.col.problems
    more += rat.col.more
    if rat.dropped:
        notes.append(f"{rat.path.name}: column(s) {', '.join(rat.dropped)} not mapped in [columns.ratings] were "
                     "not read")

    # -- outcomes
    opath, outcomes, co = _open_table(root, files, "outcomes", colmaps, OUTCOME_KEYS, opts)
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
    all_problems += co.problems
    more += co.more

    if all_problems:
        raise DataError(all_problems, truncated=more)

    # -- pseudonymize: every identifier column; names were never read
    key, key_source = _load_key(cfg, root, tfile)
    key_help = (f"set the environment variable {sec.get('key_env', DEFAULT_KEY_ENV)} or name a key_file in "
                "study.toml")
    ratings = rat.frame(key, key_help, periods, roles)
    id_frames = [(outcomes, ["subject"] if "subject" in outcomes.columns else [], opath, co),
                 (units_df, identifying_cov, upath, cu)]
    for frame, cols, fpath, c_ in id_frames:
        for c in cols:
            if key is None:
                ident = looks_identifying(frame[c]).to_numpy() if c == "subject" else np.ones(len(frame), bool)
                ident &= frame[c].notna().to_numpy()
                if ident.any():
                    i = int(np.flatnonzero(ident)[0])
                    raise DataError(f"holds personal identifiers (NIP or names) but no pseudonymization key is "
                                    f"set: {key_help}", file=str(fpath), row=c_.row_of(i), column=c)
            else:
                frame[c] = pseudonymize(frame[c], key)
    if identifying_cov:
        notes.append(f"{upath.name}: column(s) {', '.join(identifying_cov)} hold NIP-shaped digits or e-mail "
                     "addresses and were pseudonymized")

    # -- types
    ptype = pd.CategoricalDtype(periods, ordered=True)
    outcomes["period"] = outcomes["period"].astype(ptype)
    outcomes.insert(2, "t", (outcomes["period"].cat.codes.to_numpy() + 1).astype(np.int64))
    outcomes = outcomes.sort_values(["unit", "t"], kind="stable").reset_index(drop=True)

    if key_source:
        notes.append(f"identifiers pseudonymized with HMAC-SHA256 ({key_source})")
    # a unit has a single rater exactly when its smallest and largest rater code agree
    rc = pd.Series(ratings["rater"].cat.codes.to_numpy()).groupby(ratings["unit"].cat.codes.to_numpy())
    n_lone = int((rc.min() == rc.max()).sum())
    if n_lone:
        notes.append(f"{n_lone} unit(s) have a single rater: agreement is undefined there")
    return Study(name=str(sec.get("name", root.name)), path=root, periods=periods, roles=roles, scales=scales,
                 outcome_info=outcome_info, config=cfg, ratings=ratings, units=units_df.reset_index(drop=True),
                 outcomes=outcomes, item_scales=items_cfg, default_scale=default_scale, notes=notes)


def _decimal_text(values: pd.Series, decimal: str) -> pd.Series:
    """Numbers as text with a decimal point: a decimal comma is common in Indonesian spreadsheets."""
    s = values.astype("str").str.strip().where(values.notna())
    if decimal == ",":  # 1.234,5: the dots group thousands
        s = s.str.replace(r"^(-?\d{1,3}(?:\.\d{3})+)(?=,|$)", lambda m: m.group(1).replace(".", ""), regex=True)
    return s.str.replace(",", ".", regex=False)


# ------------------------------------------------------------- the ratings pass
def _factor(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Codes (``-1`` = empty) and distinct values of a text column, whitespace stripped.

    Arrow dictionary-encodes the column once; the stripping and every later check then
    run on the distinct values only.
    """
    import pyarrow.compute as pc

    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if arr.num_chunks == 0:
        return np.zeros(0, np.int64), pd.Index([], dtype=object)
    if pa.types.is_dictionary(arr.type):   # Parquet text: encoded already, per row group
        enc = arr.unify_dictionaries()
    else:  # one hash pass over the whole column beats encoding each CSV block and unifying
        enc = pa.chunked_array([pc.dictionary_encode(arr.combine_chunks())]) if arr.num_chunks > 1 else \
            pc.dictionary_encode(arr)
    if enc.num_chunks == 0:
        return np.zeros(0, np.int32), pd.Index([], dtype=object)
    dictionary = enc.chunk(0).dictionary
    parts = [pc.fill_null(ch.indices, -1).to_numpy(zero_copy_only=False) for ch in enc.chunks]
    codes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    stripped = pc.utf8_trim_whitespace(dictionary)
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    again = pc.dictionary_encode(stripped)   # "a" and " a" are one value
    remap = pc.fill_null(again.indices, -1).to_numpy(zero_copy_only=False)
    return np.r_[remap, -1].astype(np.int32)[codes], pd.Index(again.dictionary.to_pandas(), dtype="str")


def _pick(flags_of_unique: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-record flags from per-distinct-value flags (an empty record, code -1, is never flagged)."""
    return np.r_[np.asarray(flags_of_unique, bool), False][codes]


def _sorted_categorical(codes: np.ndarray, uniques: Sequence[str]) -> pd.Categorical:
    """A categorical with its categories sorted, so grouping gives the order strings would."""
    uniques = np.asarray(uniques, dtype=object)
    order = np.argsort(uniques, kind="stable") if len(uniques) else np.zeros(0, np.int64)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    cats = pd.Index(uniques[order], dtype="str")
    return pd.Categorical.from_codes(np.r_[rank, -1][codes], dtype=pd.CategoricalDtype(cats))


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
        # Arrow's kernels release the GIL: the columns are encoded side by side
        with ThreadPoolExecutor(max_workers=min(len(order), os.cpu_count() or 1) or 1) as pool:
            done = list(pool.map(lambda c: _factor(table.column(self.rename[c])), order[1:]))
        for c, (codes, uniq) in zip(order[1:], done):
            self.codes[c], self.uniques[c] = codes, uniq
        self.source = src
        self._norm: dict[str, tuple] = {}
        self.score: np.ndarray = np.full(self.n, np.nan)
        self.labels: pd.Categorical | pd.Series | None = None

    def norm(self, c: str) -> tuple:
        """Distinct values of identifier column ``c``: raw, normalized, codes into and the distinct normalized."""
        if c not in self._norm:
            norm = normalize_id(self.uniques[c])
            self._norm[c] = (self.uniques[c], norm, *pd.factorize(np.asarray(norm, dtype=object)))
        return self._norm[c]

    def value(self, c: str, i: int) -> str:
        code = self.codes[c][i]
        return "nan" if code < 0 else str(self.uniques[c][code])

    def validate(self, *, periods, roles, known_units, units_file, scales, items_cfg, default_scale) -> None:
        col, has = self.col, self.codes.__contains__
        for c in (c for c in RATING_COLUMNS if c != "score" and has(c)):
            col.add_rows(self.codes[c] < 0, c, lambda i: "empty value")
        if has("period"):
            u = self.uniques["period"]
            bad = _pick(~u.isin(periods), self.codes["period"])
            col.add_rows(bad, "period", lambda i: f"period '{self.value('period', i)}' is not declared in study.toml")
        if has("unit") and len(known_units):
            u = self.uniques["unit"]
            unknown = ~u.isin(known_units)
            hints = {k: closest(u[k], known_units) for k in np.flatnonzero(unknown)}
            col.add_rows(_pick(unknown, self.codes["unit"]), "unit",
                         lambda i: f"unit '{self.value('unit', i)}' is not in the units table ({units_file})"
                         + (f"; did you mean '{hints[self.codes['unit'][i]]}'?" if hints[self.codes['unit'][i]] else ""))
        if has("rater_role"):
            u = self.uniques["rater_role"]
            bad = _pick(~u.isin(roles), self.codes["rater_role"])
            col.add_rows(bad, "rater_role", lambda i: f"unknown rater role '{self.value('rater_role', i)}'"
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
        keys = ("period", "unit", "subject", "rater", "item")
        if not damaged and all(has(k) for k in keys):
            _report_duplicates(self._key(keys), keys, col, self.value)

    def _key(self, keys: Sequence[str]) -> np.ndarray:
        """One int64 group id per record from the key columns' codes (identifiers normalized)."""
        gid = np.zeros(self.n, np.int64)
        size = 1
        for k in keys:
            codes = self.codes[k]
            if k in ID_COLUMNS:  # two forms of one NIP are one person
                norm_codes, norm = self.norm(k)[2:]
                codes, n_k = np.r_[norm_codes, -1][codes], len(norm)
            else:
                n_k = len(self.uniques[k])
            if size * (n_k + 1) >= 2 ** 62:  # renumber the groups so far before the product overflows
                gid, seen = pd.factorize(gid)
                size = len(seen)
            gid = gid * (n_k + 1) + (codes + 1)
            size *= n_k + 1
        return gid

    def _parse_scores(self, scales: dict[str, Scale], items_cfg: dict[str, str], default_scale: str | None) -> None:
        """Turn the score codes into numbers according to each item's scale."""
        col = self.col
        item_u, item_c = self.uniques["item"], self.codes["item"]
        text_u, text_c = self.uniques["score"], self.codes["score"]
        names = list(scales)
        scale_of = np.array([names.index(s) if (s := items_cfg.get(it, default_scale)) in scales else -1
                             for it in item_u], dtype=np.int64)
        rec_scale = np.r_[scale_of, -2][item_c]    # -1: no declared scale, -2: empty item
        no_scale = rec_scale == -1
        col.add_rows(no_scale, "item", lambda i: f"item '{self.value('item', i)}' has no declared scale "
                     "(add it under [items] in study.toml or declare items.default)")
        missing = text_c < 0
        col.add_rows(missing & ~no_scale, "score", lambda i: "empty score")
        score = np.full(self.n, np.nan)
        label_codes = np.full(self.n, -1, np.int64)
        ordinal_levels = []
        text = lambda i: self.value("score", i)   # noqa: E731 - the text as the user typed it
        item = lambda i: self.value("item", i)    # noqa: E731
        num_u = pd.to_numeric(_decimal_text(pd.Series(text_u, dtype=object), self.decimal).to_numpy(),
                              errors="coerce")
        num_u = np.asarray(num_u, dtype=float)
        for k, sname in enumerate(names):
            sc = scales[sname]
            rows = (rec_scale == k) & ~missing
            if not rows.any():
                continue
            if sc.kind == "ordinal":
                ordinal_levels.append(sc.levels)
                lookup = {lvl.casefold(): i + 1 for i, lvl in enumerate(sc.levels)}
                codes_u = pd.Index(text_u).str.casefold().map(lookup).to_numpy(dtype=float)
                val = np.r_[codes_u, np.nan][text_c]
                bad = rows & np.isnan(val)
                col.add_rows(bad, "score", lambda i, sc=sc: f"unknown category '{text(i)}' for item '{item(i)}'"
                             + (f"; did you mean '{closest(text(i), sc.levels)}'?"
                                if closest(text(i), sc.levels) else f" (scale '{sc.name}': {', '.join(sc.levels)})"))
                np.copyto(score, val, where=rows)
                np.copyto(label_codes, np.nan_to_num(val, nan=0.0).astype(np.int64) - 1, where=rows & ~bad)
            else:
                # each check runs on the distinct score texts, then reaches the records through their codes
                nonnum_u = np.isnan(num_u)
                out_u = ~nonnum_u & ((num_u < sc.min) | (num_u > sc.max))
                off_u = ~nonnum_u & ~out_u & ~sc.on_step(np.where(nonnum_u, sc.min, num_u))
                col.add_rows(rows & _pick(nonnum_u, text_c), "score",
                             lambda i: f"'{text(i)}' is not a number (item '{item(i)}')")
                col.add_rows(rows & _pick(out_u, text_c), "score", lambda i, sc=sc: f"score {text(i)} is outside "
                             f"the scale '{sc.name}' ({sc.min:g}-{sc.max:g}) of item '{item(i)}'")
                if off_u.any():
                    col.add_rows(rows & _pick(off_u, text_c), "score", lambda i, sc=sc: f"score {text(i)} is not on "
                                 f"the step of scale '{sc.name}' ({sc.min:g}, {sc.min + sc.step:g}, ... {sc.max:g}) of "
                                 f"item '{item(i)}'; declare step = ... under [scales.{sc.name}] if such scores are "
                                 "valid (step = 0: any value)")
                np.copyto(score, np.r_[num_u, np.nan][text_c], where=rows)
        self.score = score
        if len(set(ordinal_levels)) == 1:
            self.labels = pd.Categorical.from_codes(label_codes, categories=list(ordinal_levels[0]), ordered=True)
        else:
            levels = {}
            for lv in ordinal_levels:  # several ordinal scales: each record's own label, as text
                levels.update(dict.fromkeys(lv))
            lab = np.full(self.n, None, dtype=object)
            for k, sname in enumerate(names):
                sc = scales[sname]
                rows = (rec_scale == k) & (label_codes >= 0)
                if sc.kind == "ordinal" and rows.any():
                    lab[rows] = np.asarray(sc.levels, dtype=object)[label_codes[rows]]
            self.labels = pd.Series(lab, dtype="object")

    def frame(self, key: bytes | None, key_help: str, periods: list[str], roles: list[str]) -> pd.DataFrame:
        """The validated ratings as a DataFrame of categoricals, identifiers pseudonymized."""
        out: dict[str, Any] = {}
        pidx = pd.Index(periods).get_indexer(self.uniques["period"])
        out["period"] = pd.Categorical.from_codes(np.r_[pidx, -1][self.codes["period"]],
                                                  dtype=pd.CategoricalDtype(periods, ordered=True))
        out["unit"] = _sorted_categorical(self.codes["unit"], self.uniques["unit"])
        if key is not None:
            # most raters are also rated: hash the union of both columns' distinct ids once
            both = [np.asarray(self.norm(c)[3], dtype=object) for c in ID_COLUMNS]
            union_codes, union = pd.factorize(np.concatenate(both))
            hashed_union = _hash_ids(pd.Index(union, dtype=object), key)
            hashed_of = dict(zip(ID_COLUMNS, np.split(hashed_union[union_codes], [len(both[0])])))
        for c in ID_COLUMNS:
            uniq, codes = self.uniques[c], self.codes[c]
            if key is None:
                ident = _identifying(uniq, norm=self.norm(c)[1])
                if ident.any():
                    i = int(np.flatnonzero(_pick(ident, codes))[0])
                    file, row = self.source.locate(i)
                    raise DataError(f"holds personal identifiers (NIP or names) but no pseudonymization key is set: "
                                    f"{key_help}", file=file, row=row, column=c)
                out[c] = _sorted_categorical(codes, uniq)
            else:
                # each distinct identifier is normalized and hashed once; forms of one NIP merge here
                norm_codes = self.norm(c)[2]
                out[c] = _sorted_categorical(np.r_[norm_codes, -1][codes], hashed_of[c])
        rpos = pd.Index(roles).get_indexer(self.uniques["rater_role"])
        out["rater_role"] = pd.Categorical.from_codes(np.r_[rpos, -1][self.codes["rater_role"]],
                                                      dtype=pd.CategoricalDtype(roles))
        out["item"] = _sorted_categorical(self.codes["item"], self.uniques["item"])
        out["score"] = self.score
        out["score_label"] = self.labels if self.labels is not None else pd.Series([None] * self.n, dtype="object")
        df = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in out.items()})
        return df
