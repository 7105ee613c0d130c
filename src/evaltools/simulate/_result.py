"""The result of :func:`evaltools.simulate.simulate_study`: tables, study.toml content, truth."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ._write import write_folder


@dataclasses.dataclass
class SimulatedStudy:
    """A simulated study: the three tables, the study.toml content and the truth.

    Attributes
    ----------
    ratings : DataFrame
        Long format in the contract column names: ``period`` (ordered categorical),
        ``unit``, ``subject``, ``subject_name``, ``rater``, ``rater_name``, ``rater_role``,
        ``item``, ``score`` (float: 1-5, or the 1-based level of an ordinal item) and
        ``score_label`` (ordered categorical of the ekspektasi levels, missing for numeric
        items), like :attr:`evaltools.data.Study.ratings` but with the raw synthetic NIPs
        and names an export would carry. Text columns are categoricals (memory at national
        scale); ``subject`` and ``rater`` share one category list, so they compare.
    units : DataFrame
        ``unit``, ``region``, ``first_treated`` (period label, None = never treated),
        ``n_employees``, ``org_predikat``, ``unit_type``, ``kabupaten_kota``.
    outcomes : DataFrame
        ``unit``, ``period``, ``ikm``, ``service_days``, ``cases_resolved``,
        ``target_achievement``.
    config : dict
        The study.toml content that :meth:`write` writes.
    truth_frames : dict of DataFrame
        ``raters`` and ``subjects`` truth as frames (cheap at national scale; ids are
        categoricals sharing the categories of ``ratings.subject`` / ``ratings.rater``).
    truth_meta : dict
        The rest of :attr:`truth` (units, effects, variance components, reliability ...).

    Examples
    --------
    >>> from evaltools.simulate import simulate_study
    >>> sim = simulate_study(seed=1, n_units=4, subjects_per_unit=6)
    >>> list(sim.ratings.columns[:5])
    ['period', 'unit', 'subject', 'subject_name', 'rater']
    >>> len(sim.units), len(sim.outcomes), sorted(sim.truth_frames)
    (4, 24, ['raters', 'subjects'])
    """

    ratings: pd.DataFrame
    units: pd.DataFrame
    outcomes: pd.DataFrame
    config: dict[str, Any]
    truth_frames: dict[str, pd.DataFrame]
    truth_meta: dict[str, Any]
    _truth: dict[str, Any] | None = dataclasses.field(default=None, repr=False)

    @property
    def truth(self) -> dict[str, Any]:
        """The ground truth as a JSON-able dict (ids are the raw ids of :attr:`ratings`).

        Keys: ``raters`` (records: rater, unit, role, roles, severity, spread, halo, kind,
        drift: the change of severity from the unit's first rated period to the later ones,
        0 for raters who do not drift), ``subjects`` (records: subject, unit, true_score,
        true_hasil, true_perilaku, true_predikat: the rater-free ekspektasi levels and
        predikat, the same in every period), ``units`` (unit -> profile, wave,
        first_treated, true_effect {outcome: value}, expected_code: the report's verdict
        code the unit should get, and its deprecated alias expected_verdict, ...),
        ``variance_components``, ``reliability`` (unit -> model ICCs), ``effects``
        (true ATT by wave and overall), ``roles``, ``items``, ``periods``, ``params``.

        Examples
        --------
        >>> from evaltools.simulate import simulate_study
        >>> sim = simulate_study(seed=1, n_units=8, subjects_per_unit=6)
        >>> sorted({(u["profile"], u["expected_code"]) for u in sim.truth["units"].values()}, key=str)
        [('calibrated', 'SIAP'), ('control', None), ('lenient_clique', 'PERBAIKI DULU')]
        >>> sorted(sim.truth["raters"][0])
        ['drift', 'halo', 'kind', 'rater', 'role', 'roles', 'severity', 'spread', 'unit']
        """
        if self._truth is None:
            t = dict(self.truth_meta)
            t["raters"] = _records(self.truth_frames["raters"])
            t["subjects"] = _records(self.truth_frames["subjects"])
            self._truth = t
        return self._truth

    def write(self, out_dir: str | os.PathLike, *, format: str = "csv", export_style: bool = True,
              key: str | None = None, key_file: str | None = "demo.key") -> Path:
        """Write the study folder: study.toml, ratings, units, outcomes, truth.json.

        Parameters
        ----------
        out_dir : folder to write (created; files already there are replaced one by one,
            each written to a temporary file first and moved in place with ``os.replace``).
        format : ``"csv"`` (ratings.csv.gz, units.csv, outcomes.csv), ``"csv.gz"`` (the same),
            ``"plain-csv"`` (ratings.csv), ``"parquet"``, ``"parquet-dataset"`` (a ``ratings/``
            folder of Parquet files partitioned by unit, hive layout ``<unit column>=<unit>/``,
            as :func:`pyarrow.dataset.write_dataset` writes it; units and outcomes as Parquet)
            or ``"xlsx"``.
        export_style : name the ratings columns like an e-Kinerja export (``nip``,
            ``nama``, ``nip_penilai`` ... through ``[columns.ratings]``); identity otherwise.
        key : pseudonymization key used to express truth.json ids as the pseudonyms the
            loader will produce. Default: the content of ``out_dir/key_file`` if it exists,
            else a fresh random key.
        key_file : file name of the (demo) key written beside the study and named in
            study.toml; ``None`` writes no key file (then pass ``key`` and give the same
            key to the loader through ``$EVALTOOLS_KEY``).

        Returns
        -------
        Path of the folder.

        Examples
        --------
        >>> import tempfile
        >>> from evaltools.simulate import simulate_study
        >>> sim = simulate_study(seed=1, n_units=4, subjects_per_unit=6)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     folder = sim.write(d, key="0" * 64)
        ...     sorted(p.name for p in folder.iterdir())
        ['demo.key', 'outcomes.csv', 'ratings.csv.gz', 'study.toml', 'truth.json', 'units.csv']
        """
        return write_folder(out_dir, ratings=self.ratings, units=self.units, outcomes=self.outcomes,
                            config=self.config, truth=self.truth, format=format, export_style=export_style, key=key,
                            key_file=key_file)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = {c: (df[c].astype(object).where(df[c].notna(), None).tolist() if df[c].dtype.kind not in "fiu"
                else df[c].tolist()) for c in df.columns}
    n = len(df)
    return [{c: cols[c][i] for c in cols} for i in range(n)]
