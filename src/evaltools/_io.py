"""Output files: atomic writes and the JSON encoding of recorded results (the one copy).

Every file evaltools writes (unit records, the run manifest, notebooks, HTML pages,
summaries, simulated studies) goes through a temporary file in the target folder that is
moved into place with ``os.replace``: a reader, or a run interrupted half-way, sees either
the old file or the new one, never a partial one. Files get the permissions the user's
umask gives a new file (``mkstemp`` alone would make them private, 0600).

Examples
--------
>>> import json, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> p = write_json(d / "r.json", {"icc": float("nan"), "n": 3})
>>> json.loads(p.read_text())
{'icc': None, 'n': 3}
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "atomic_write", "json_bytes", "jsonable", "read_json", "write_json"]


def _file_mode() -> int:
    # the umask can only be read by setting it; set it straight back
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place if the block succeeds.

    The temporary name ends with ``path``'s suffix, so writers that pick a format from the
    extension (pandas, openpyxl) still do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _file_mode())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def atomic_write(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (bytes, or text in ``encoding``) to ``path`` atomically and durably.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt", "halo\\n")
    >>> p.read_bytes()
    b'halo\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON data: numpy scalars, Series and DataFrames (as records) become
    Python values; NaN, infinity, ``pd.NA`` and ``NaT`` become ``None``; an object with a
    ``__jsonable__()`` method (a report section, a verdict) is encoded through it.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"n": np.int64(3), "x": np.float64("nan"), "ok": np.bool_(True)})
    {'n': 3, 'x': None, 'ok': True}
    """
    import numpy as np
    import pandas as pd

    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [jsonable(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return jsonable(x.to_dict(orient="records"))
    if isinstance(x, pd.Series):
        return jsonable(x.to_dict())
    if hasattr(x, "__jsonable__"):
        return jsonable(x.__jsonable__())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return None if math.isnan(f) or math.isinf(f) else f
    if x is None or isinstance(x, (str, int)):
        return x
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)


def json_bytes(obj: Any) -> bytes:
    """The run manifest's encoding: indented UTF-8 JSON, anything unknown as its ``str``.

    Examples
    --------
    >>> json_bytes({"unit": "Dinas Sosial"})
    b'{\\n  "unit": "Dinas Sosial"\\n}'
    """
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=str).encode("utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write a recorded result as strict JSON (no NaN: :func:`jsonable` first), atomically.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_json(Path(d) / "unit.json", {"unit": "Dinas A", "kappa": float("nan"), "n": 12})
    ...     print(p.name, p.read_text(encoding="utf-8").split())
    unit.json ['{', '"unit":', '"Dinas', 'A",', '"kappa":', 'null,', '"n":', '12', '}']
    """
    data = json.dumps(jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False)
    return atomic_write(Path(path), data)


def read_json(path: str | os.PathLike, default: Any = None) -> Any:
    """The JSON document at ``path``, or ``default`` when it is missing or unreadable.

    Examples
    --------
    >>> read_json("/nonexistent/manifest.json", {})
    {}
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
