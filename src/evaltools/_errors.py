"""Errors a user can act on."""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["DataError", "Problem", "require_columns"]


class Problem:
    """One problem found in an input: where it is and what is wrong.

    Examples
    --------
    >>> str(Problem("score 7 outside the scale 1-5", file="ratings.csv", row=12, column="score"))
    "file ratings.csv, row 12, column 'score': score 7 outside the scale 1-5"
    """

    __slots__ = ("file", "row", "column", "message")

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None, column: str | None = None):
        self.message = message
        self.file = file
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class DataError(ValueError):
    """Bad input: names the file, the row and the column of every problem found.

    ``problems`` lists them all (up to the collection limit), so a user fixes a file
    once rather than once per problem.

    Examples
    --------
    >>> err = DataError([Problem("empty unit", file="ratings.csv", row=3, column="unit"),
    ...                  Problem("unknown role 'mitra'", file="ratings.csv", row=9, column="rater_role")])
    >>> print(err)
    2 problem(s) found:
      - file ratings.csv, row 3, column 'unit': empty unit
      - file ratings.csv, row 9, column 'rater_role': unknown role 'mitra'
    >>> err.file, err.row, err.column
    ('ratings.csv', 3, 'unit')
    """

    def __init__(self, problems: str | Problem | Sequence[Problem], *, file: str | None = None,
                 row: int | None = None, column: str | None = None, truncated: int = 0):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file, row=row, column=column)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.truncated = truncated
        first = self.problems[0] if self.problems else Problem("invalid data")
        self.file, self.row, self.column = first.file, first.row, first.column
        lines = [str(p) for p in self.problems]
        if len(lines) == 1 and not truncated:
            msg = lines[0]
        else:
            msg = f"{len(lines) + truncated} problem(s) found:\n" + "\n".join("  - " + s for s in lines)
            if truncated:
                msg += f"\n  ... and {truncated} more"
        super().__init__(msg)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (for 'did you mean' hints), or None.

    Examples
    --------
    >>> closest("rater_rol", ["rater", "rater_role", "score"]), closest("SKORE", ["score"]), closest("x", ["score"])
    ('rater_role', 'score', None)
    """
    cand = [str(c) for c in candidates]
    hit = difflib.get_close_matches(str(name), cand, n=1, cutoff=0.6)
    if not hit:
        lower = {c.lower(): c for c in cand}
        hit = difflib.get_close_matches(str(name).lower(), list(lower), n=1, cutoff=0.6)
        hit = [lower[h] for h in hit]
    return hit[0] if hit else None


def require_columns(data: pd.DataFrame, columns: Iterable[str | None], *, what: str = "data",
                    file: str | None = None) -> None:
    """Raise :class:`DataError` naming every requested column missing from ``data``.

    ``None`` entries (optional columns not given) are ignored. The message suggests the
    closest existing column name, so a misspelling is fixed in one step.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"subject": [], "score": []}), ["subject", "scor", None], file="ratings.csv")
    Traceback (most recent call last):
    ...
    evaltools._errors.DataError: file ratings.csv, column 'scor': missing column in data (did you mean 'score'?)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    problems = []
    for col in columns:
        if col is None or col in data.columns:
            continue
        hint = closest(col, data.columns)
        msg = f"missing column in {what}" + (f" (did you mean '{hint}'?)" if hint else
                                             f"; columns present: {', '.join(map(str, data.columns))}")
        problems.append(Problem(msg, file=file, column=str(col)))
    if problems:
        raise DataError(problems)
