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

Modules, one job each: ``_contract`` (column names, roles, limits), ``_config`` (study.toml:
scales, schema, the parsed configuration), ``_read`` (files to Arrow text), ``_validate``
(problem collection, column mapping, shared checks), ``_ids`` (NIP normalisation,
pseudonyms, Excel damage), ``_ratings`` (the ratings pass), ``_study`` (the Study and its
partitions), ``_load`` (load_study's steps).
"""
from __future__ import annotations

from .._errors import DataError, Problem, closest, require_columns
from ._config import Scale, _check_schema, _parse_scales, _read_config, _StudyConfig
from ._contract import (
    _ID_CATEGORIES,
    CATEGORICAL_COLUMNS,
    DEFAULT_KEY_ENV,
    DEFAULT_ROLES,
    ID_COLUMNS,
    MAX_PROBLEMS,
    NAME_COLUMNS,
    OUTCOME_KEYS,
    PSEUDONYM_PREFIX,
    RATING_COLUMNS,
    UNIT_COLUMNS,
)
from ._ids import (
    _excel_damage,
    _hash_ids,
    _identifying,
    _load_key,
    looks_identifying,
    normalize_id,
    pseudonymize,
)
from ._load import load_study
from ._ratings import _factor, _pick, _RatingsReader, _sorted_categorical
from ._read import _read_arrow, _ReadOptions, _Source, _to_text_frame, read_table
from ._study import PartitionWriter, Study, _load_partition
from ._validate import _check_duplicates, _check_missing, _Collector, _decimal_text, _map_columns, _report_duplicates

__all__ = [
    "DataError",
    "Scale",
    "Study",
    "PartitionWriter",
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
