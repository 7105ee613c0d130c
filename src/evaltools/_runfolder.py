"""The run folder ``<out>/<run-id>/``: its lock, file names, retention and integrity checks.

What a run folder keeps (the retention rule)::

    manifest.json, briefing.{ipynb,html}, summary.xlsx
    units/<file>.{ipynb,html,json}   each pilot unit of the current study (+ <file>.log on failure)
    inputs/<file>/                   that unit's pseudonymized input partition (validated columns only),
                                     read by units/<file>.ipynb through ../inputs/<file>, so the
                                     executed notebook re-runs as it is
    inputs/_study/                   the briefing's input: unit-period aggregates, no ratings
    archive/                         reports of units that left the study (aggregates, no inputs)

Anything else is temporary: ``.work/`` (staged files of a run) is removed when the run ends
and, if a run was killed, by the next run as soon as it holds the lock; partitions of units
no longer in the study are deleted.

Examples
--------
>>> unit_file_names(["Dinas_A", "dinas_a", "Dinas B"])
{'Dinas_A': 'Dinas_A-5900700b', 'dinas_a': 'dinas_a-858b0f5c', 'Dinas B': 'Dinas_B-d834b3fe'}
"""
from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import json
import os
import re
import shutil
import socket
import time
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["RunLocked", "archive_stale", "clear_stale_work", "file_digest", "record_intact", "run_lock",
           "safe_name", "share_tree", "unit_file_names"]

LOCK = ".lock"
WORK = ".work"
INPUTS = "inputs"
ARCHIVE = "archive"
#: the briefing's input partition (a unit's file name never starts with "_")
STUDY_INPUT = "_study"


_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(name: str) -> str:
    """A file-name stem for ``name`` that cannot leave its folder or carry markup.

    Names made only of ASCII letters, digits, ``.``, ``_`` and ``-`` (not starting with a dot)
    are kept as they are; any other name becomes an ASCII slug plus the first 8 hex digits of
    the SHA-1 of the original, so two names that slug alike (``"A/B"``, ``"A_B"``) stay apart.

    Examples
    --------
    >>> safe_name("Dinas_Sosial"), safe_name("Dinas Sosial (Kota)")
    ('Dinas_Sosial', 'Dinas_Sosial_Kota-7614883c')
    """
    name = str(name)
    if _SAFE_RE.match(name) and ".." not in name and name.lower() not in _WINDOWS_RESERVED:
        return name
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_")[:60] or "unit"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


class RunLocked(RuntimeError):
    """Another run holds the run folder."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another run (its details could not be read)"
    return (f"run {info.get('pid', '?')} of user {info.get('user', '?')} on {info.get('host', '?')}, "
            f"started {info.get('started', '?')}")


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``run_dir/.lock`` for the duration of a run, or raise :class:`RunLocked` naming the holder.

    An advisory ``flock`` on the lock file: the kernel releases it when the holder exits,
    so a run killed with ``kill -9`` leaves no lock behind (the file stays, unlocked).

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with run_lock(d):
    ...     with run_lock(d):
    ...         pass
    Traceback (most recent call last):
    ...
    evaltools._runfolder.RunLocked: ... is in use by run ...
    """
    import fcntl

    path = Path(run_dir) / LOCK
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise RunLocked(f"{run_dir} is in use by {_holder(path)}; wait for it to finish, or give this run "
                            "its own folder with --run-id") from None
        # the holder before us may have removed the file between our open and our lock
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing releases the lock


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without passwd entry)
        return str(os.getuid())


def clear_stale_work(run_dir: str | os.PathLike) -> bool:
    """Remove the temporary folder a killed run left (call while holding the lock).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / ".work" / "run-1-2" / "inputs").mkdir(parents=True)
    >>> clear_stale_work(d), (d / ".work").exists()
    (True, False)
    """
    work = Path(run_dir) / WORK
    if not work.exists():
        return False
    shutil.rmtree(work, ignore_errors=True)
    return True


def unit_file_names(units: Iterable[str]) -> dict[str, str]:
    """A file-name stem per unit, distinct even on case-insensitive file systems.

    Stems come from :func:`safe_name`; units whose stems differ only by
    case (``Dinas_A`` / ``dinas_a``) each get the first 8 hex digits of the SHA-1 of their
    name appended. The stems of a study's units depend on the study's unit list only,
    not on which units a run selects.
    """
    names = list(dict.fromkeys(str(u) for u in units))
    stems = {u: safe_name(u) for u in names}
    groups: dict[str, list[str]] = {}
    for u, s in stems.items():
        groups.setdefault(s.casefold(), []).append(u)
    for members in groups.values():
        if len(members) > 1:
            for u in members:
                if not stems[u].endswith(hashlib.sha1(u.encode("utf-8")).hexdigest()[:8]):
                    stems[u] = f"{stems[u][:70]}-{hashlib.sha1(u.encode('utf-8')).hexdigest()[:8]}"
    if len({s.casefold() for s in stems.values()}) != len(stems):  # pragma: no cover - sha1 prefix collision
        raise ValueError("two unit names map to the same file name")
    return stems


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = p.write_text("{}")
    >>> file_digest(p)[:12]
    '44136fa355b3'
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_intact(path: str | os.PathLike, unit: str, expected: str | None) -> bool:
    """True when a unit's recorded JSON exists, parses, names ``unit`` and (when the manifest
    has its hash) matches it byte for byte.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "U1.json"
    >>> _ = p.write_text('{"unit": "U1"}')
    >>> record_intact(p, "U1", None), record_intact(p, "U1", file_digest(p)), record_intact(p, "U1", "0" * 64)
    (True, True, False)
    >>> _ = p.write_text('{"unit": "U')  # truncated
    >>> record_intact(p, "U1", None)
    False
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        doc = json.loads(data)
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("unit") != unit:
        return False
    return expected is None or hashlib.sha256(data).hexdigest() == expected


def archive_stale(run_dir: str | os.PathLike, keep: Iterable[str]) -> list[str]:
    """Move the reports of units no longer in the study to ``archive/``; delete their inputs.

    ``keep`` are the file stems of the study's current pilot units. Returns one note per
    unit moved, naming where its files went.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "units").mkdir()
    >>> _ = (d / "units" / "Lama.json").write_text('{"unit": "Unit Lama"}')
    >>> archive_stale(d, keep={"Baru"})[0].startswith("unit 'Unit Lama' is no longer a pilot unit")
    True
    """
    run_dir = Path(run_dir)
    keep = set(keep)
    units_dir = run_dir / "units"
    notes = []
    stale: dict[str, list[Path]] = {}
    for f in units_dir.glob("*") if units_dir.exists() else []:
        if f.is_file() and not f.name.startswith(".") and f.stem not in keep:
            stale.setdefault(f.stem, []).append(f)
    if stale:
        dest = run_dir / ARCHIVE / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        dest.mkdir(parents=True, exist_ok=True)
        for stem, files in sorted(stale.items()):
            name = stem
            with contextlib.suppress(OSError, ValueError):
                name = json.loads((units_dir / f"{stem}.json").read_text(encoding="utf-8")).get("unit", stem)
            for f in files:
                os.replace(f, dest / f.name)
            notes.append(f"unit {name!r} is no longer a pilot unit of the study: its report moved to "
                         f"{dest.relative_to(run_dir)}/")
    inputs = run_dir / INPUTS
    for d in inputs.iterdir() if inputs.exists() else []:
        if d.name not in keep and d.name != STUDY_INPUT:
            # individual-level (pseudonymized) rows of a unit that left the study: not kept
            shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink()
    return notes


def share_tree(path: str | os.PathLike) -> None:
    """Give ``path`` and the folders under it the permissions the umask gives a new folder
    (``tempfile.mkdtemp`` makes them private, 0700).

    Examples
    --------
    >>> import os, stat, tempfile
    >>> d = tempfile.mkdtemp()
    >>> old = os.umask(0o022); share_tree(d); _ = os.umask(old)
    >>> oct(stat.S_IMODE(os.stat(d).st_mode))
    '0o755'
    """
    mask = os.umask(0)
    os.umask(mask)
    mode = 0o777 & ~mask
    root = Path(path)
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        with contextlib.suppress(OSError):
            os.chmod(d, mode)
