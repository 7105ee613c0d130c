"""Recorded results: what a unit notebook writes, how the run folder is read back.

A unit notebook records one JSON document (:func:`unit_record` -> :func:`record`); the
runner keeps a manifest (``manifest.json``) with each unit's status. Both formats are
written and read here only: the runner calls :func:`write_manifest`, :func:`read_manifest`
and :func:`write_failed_record`, the briefing calls :func:`collect`.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaltools._io import atomic_write, json_bytes, jsonable, read_json, write_json

from ._base import Section
from .verdict import Verdict

#: the run manifest's file name inside a run folder
MANIFEST = "manifest.json"

# kept for the report modules that encode rows one by one
_jsonable = jsonable


def unit_record(unit: str, sections: Mapping[str, Section], v: Verdict, *, header: Section | None = None,
                lang: str = "id") -> dict:
    """The document a unit notebook records: verdict, key figures per section, flags.

    Examples
    --------
    >>> from evaltools.report import Section, Verdict
    >>> doc = unit_record("U1", {"coverage": Section("coverage", "Cakupan", results={"n": 12})},
    ...                   Verdict("SIAP", []))
    >>> doc["verdict"]["code"], doc["coverage"], doc["available"]
    ('SIAP', {'n': 12}, {'coverage': True})
    """
    from evaltools import __version__

    doc = {"unit": str(unit), "status": "ok", "lang": lang}
    if header is not None:
        doc.update({k: header.results.get(k) for k in ("region", "first_treated")})
    doc["verdict"] = v.to_dict()
    doc["available"] = {k: bool(s.available) for k, s in sections.items()}
    for k, s in sections.items():
        doc[k] = s.results
    doc["library_version"] = __version__
    return jsonable(doc)


def record(results: Mapping[str, Any], path: str | os.PathLike | None) -> Path | None:
    """Write a notebook's results as JSON beside it, atomically (temp file + rename).

    NaN becomes ``null``; numpy scalars, Series and DataFrames become plain JSON. ``path``
    None (a notebook opened by hand) writes nothing.

    Examples
    --------
    >>> record({"unit": "U1"}, None) is None
    True
    """
    if path is None or str(path) == "":
        return None
    return write_json(path, results)


def write_failed_record(path: str | os.PathLike, unit: str, error: str, *, summary: str = "",
                        log: str = "") -> Path:
    """The record of a unit whose notebook failed: its name, ``status = "failed"``, the error's
    last lines (``error``), one line for a reader (``error_summary``) and the log holding the
    whole error (``log``, relative to the run folder).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "U1.json"
    >>> doc = json.loads(write_failed_record(p, "U1", "ValueError: x", summary="ValueError: x",
    ...                                      log="units/U1.log").read_text())
    >>> doc["status"], doc["error_summary"], doc["log"]
    ('failed', 'ValueError: x', 'units/U1.log')
    """
    return atomic_write(path, json_bytes({"unit": unit, "status": "failed", "error": error,
                                          "error_summary": summary, "log": log}))


def read_manifest(run_dir: str | os.PathLike) -> dict:
    """The run manifest of ``run_dir`` (empty when there is none yet or it is unreadable).

    Examples
    --------
    >>> read_manifest("/nonexistent-run")
    {}
    """
    doc = read_json(Path(run_dir) / MANIFEST, {})
    return doc if isinstance(doc, dict) else {}


def write_manifest(run_dir: str | os.PathLike, manifest: Mapping[str, Any]) -> Path:
    """Write the run manifest of ``run_dir`` atomically.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_manifest(d, {"units": {"Dinas A": {"status": "ok", "seconds": 4.2}}})
    ...     p.name, read_manifest(d)["units"]["Dinas A"]["status"]
    ('manifest.json', 'ok')
    """
    return atomic_write(Path(run_dir) / MANIFEST, json_bytes(manifest))


def collect(run_dir: str | os.PathLike) -> list[dict]:
    """Every unit's recorded results in ``run_dir/units/*.json``, sorted by unit.

    Units whose notebook failed are included with ``status = "failed"`` and the error's
    last lines (from the manifest), so the briefing can list them. Each record carries
    ``file``, the stem of its files (``units/<file>.html`` is the unit's page).

    Examples
    --------
    >>> collect("/nonexistent-run")
    []
    """
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    out = []
    for f in sorted((run_dir / "units").glob("*.json")):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        entry = (manifest.get("units") or {}).get(doc.get("unit"), {})
        if entry.get("status") == "failed":
            failed = {"unit": doc.get("unit"), "status": "failed", "error": entry.get("error", doc.get("error", ""))}
            for k in ("error_summary", "log"):  # the one-line summary and the log holding the whole error
                if entry.get(k) or doc.get(k):
                    failed[k] = entry.get(k) or doc.get(k)
            doc = failed
        doc["file"] = f.stem
        out.append(doc)
    return sorted(out, key=lambda d: str(d.get("unit")))
