"""study.toml: the declared rating scales, the schema of sections and keys, and the parsed configuration.

Unknown sections and keys are problems with the closest valid name, so a typo in the
configuration never passes silently.
"""
from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import DataError, Problem, closest
from ._contract import DEFAULT_ROLES, NAME_COLUMNS, OUTCOME_KEYS, RATING_COLUMNS, UNIT_COLUMNS
from ._read import _ReadOptions


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



# ------------------------------------------------------------ the parsed study.toml
@dataclasses.dataclass
class _StudyConfig:
    """What study.toml declares, parsed and checked (every problem raised at once)."""

    root: Path
    file: str
    cfg: dict
    periods: list[str]
    roles: list[str]
    scales: dict[str, Scale]
    items_cfg: dict[str, str]
    default_scale: str | None
    outcome_info: dict[str, dict]
    files: dict
    opts: _ReadOptions

    @property
    def section(self) -> dict:
        return self.cfg.get("study", {})

    @property
    def colmaps(self) -> dict:
        return self.cfg.get("columns", {})


def _read_config(root: Path) -> _StudyConfig:
    """Parse ``root/study.toml``; raise one :class:`DataError` listing every problem in it."""
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
    outcome_info = _parse_outcomes(cfg, problems, tfile)
    files = cfg.get("files", {})
    for t in ("ratings", "units", "outcomes"):
        if t not in files:
            problems.append(Problem(f"name the {t} table under [files] (e.g. {t} = \"{t}.csv\")", file=tfile,
                                    column=f"files.{t}"))
    opts = _ReadOptions.from_config(files, problems, tfile)
    if problems:
        raise DataError(problems)
    return _StudyConfig(root=root, file=tfile, cfg=cfg, periods=periods, roles=roles, scales=scales,
                        items_cfg=items_cfg, default_scale=default_scale, outcome_info=outcome_info, files=files,
                        opts=opts)


def _parse_outcomes(cfg: dict, problems: list[Problem], file: str) -> dict[str, dict]:
    """``[outcomes.NAME]``: label, English label, direction, primary flag, unit of measurement, minimum effect."""
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
                problems.append(Problem(f"min_effect of outcome '{name}' must be a number", file=file,
                                        column=f"outcomes.{name}.min_effect"))
        outcome_info[str(name)] = info
    return outcome_info
