"""Reading input tables (CSV, gzipped CSV, Parquet, a partitioned Parquet folder, XLSX) as Arrow text.

Every cell is read as text: types are assigned during validation, where a bad cell has a
row. :class:`_Source` remembers where each record came from, so a problem names the
user's file and spreadsheet row.
"""
from __future__ import annotations

import csv
import dataclasses
import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .._errors import DataError, Problem

# ---------------------------------------------------------------------- reading
_CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")
_DELIMITERS = (",", ";", "\t", "|")
#: bytes per CSV block for a large file: Arrow dictionary-encodes each block on its own, and
#: 4 MiB blocks (not its 1 MiB default) cut a 2M-rating read by a fifth and leave fewer
#: dictionaries to unify; a small file keeps 1 MiB blocks (the larger ones only hold memory)
_BLOCK = 4 << 20
_LARGE = 64 << 20   # bytes of text (a gzipped file counts ten times its size)


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


def _read_csv(path: Path, opts: _ReadOptions, columns: Sequence[str] | None,
              dictionary: bool = False) -> tuple[pa.Table, _Source]:
    from pyarrow import csv as pacsv

    header, delim = _csv_header(path, opts)
    src = _Source(path, 2, delim, [h.strip() for h in header])
    raw_of = {h.strip(): h for h in header}
    keep = [raw_of[c] for c in columns if c in raw_of] if columns is not None else list(header)
    # dictionary-encoded while parsing, block by block on Arrow's threads: the strings of a
    # column are never held one per record
    text = pa.dictionary(pa.int32(), pa.string()) if dictionary else pa.string()
    size = path.stat().st_size * (10 if path.name.lower().endswith(".gz") else 1)
    block = _BLOCK if size >= _LARGE else 1 << 20

    def read(newlines: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=opts.encoding, block_size=block),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=newlines),
            convert_options=pacsv.ConvertOptions(column_types={h: text for h in header},
                                                 include_columns=keep, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True,
                                                 check_utf8=not dictionary))

    def checked(table: pa.Table) -> pa.Table:
        # dictionary-encoded text is checked for UTF-8 on its distinct values, not per record
        # (a twentieth of a large read); a bad byte raises Arrow's own "Invalid UTF8" error
        if dictionary:
            for column in table.columns:
                for chunk in column.chunks:
                    chunk.dictionary.validate(full=True)
        return table

    try:
        try:
            table = checked(read(False))
        except pa.ArrowInvalid as exc:
            # a quoted value spanning lines (an address) needs the slower quote-aware split
            if "UTF8" in str(exc):
                raise
            table = checked(read(True))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if opts.encoding == "utf-8" and ("UTF8" in str(exc) or "utf-8" in str(exc).lower()):
            located = _locate_bad_utf8(path, opts, src.header, delim)
            if located is not None:
                raise located from exc
        raise DataError(f"could not be read as a table with delimiter {delim!r}{_split_hint(src.header, delim)}: "
                        f"{exc}", file=str(path)) from exc
    return table.rename_columns([c.strip() for c in table.column_names]), src


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _as_text(table: pa.Table, keep_dictionary: bool = False) -> pa.Table:
    """Every column as text: types are assigned during validation, where a bad cell has a row.

    ``keep_dictionary`` leaves dictionary-encoded text as it is (what the ratings pass
    wants: Parquet stores text dictionary-encoded, so no value is hashed twice).
    """
    import pyarrow.compute as pc

    cols = []
    for c in table.columns:
        if pa.types.is_dictionary(c.type):
            if keep_dictionary and _is_text(c.type.value_type):
                cols.append(c)
                continue
            c = c.cast(c.type.value_type)
        if not _is_text(c.type):
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
    # pandas writes text as large_string: either kind is read dictionary-encoded
    text = [f.name for f in schema if _is_text(f.type) and (keep is None or f.name in keep)]
    table = pq.read_table(path, columns=keep, read_dictionary=text if dictionary else None)
    return _as_text(table, keep_dictionary=dictionary), src


def _read_dataset(path: Path, columns: Sequence[str] | None, unit_column: str | None,
                  units: Sequence[str] | None, dictionary: bool = False) -> tuple[pa.Table, _Source]:
    """A folder of Parquet files partitioned by unit (hive layout: ``<unit column>=<value>/…``)."""
    import pyarrow.dataset as pads

    # text columns read dictionary-encoded (names that are not text, or absent, are ignored)
    fmt = pads.ParquetFileFormat(read_options=pads.ParquetReadOptions(dictionary_columns=list(columns or ())))
    try:
        dset = pads.dataset(path, format=fmt if dictionary else "parquet", partitioning="hive")
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
    return _as_text(table, keep_dictionary=dictionary), src


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
            return _read_dataset(path, columns, unit_column, units, dictionary)
        if _is_csv(path):
            return _read_csv(path, opts, columns, dictionary)
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


def _split_hint(header: Sequence[str], delim: str | None) -> str:
    """Which delimiter the header was split on, and the one it seems to use instead."""
    if delim is None:
        return ""
    others = [d for d in _DELIMITERS if d != delim and any(d in h for h in header)]
    return (f" (the header was split on the delimiter {delim!r}"
            + (f" but contains {others[0]!r}: declare [files] delimiter = {others[0]!r}" if others else "") + ")")
