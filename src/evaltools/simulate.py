"""Simulated studies with known ground truth.

:func:`simulate_study` draws a staged pilot rollout of 360-degree performance appraisal in
Indonesian government work units: real place and agency names, civil servants with
synthetic NIPs and names, raters with known severity, central tendency and halo, unit
outcomes with a known pilot effect. Every analysis in evaltools can be checked against
the truth returned alongside (``SimulatedStudy.truth``, written as ``truth.json``).

The generative model (all on the latent 1-5 score scale, before rounding)
------------------------------------------------------------------------
For subject *s* in unit *u*, item *i* and rater *r* (role *g*) in period *t*::

    T_si   = mu + beta_i + a_u + theta_s + gamma_si            (true item score)
    y*_rsi = mu + spread_r * (T_si - mu + eta_rs + e_rsi) - severity_r - drift_r * 1[t > t0_u] + shift_g
    score  = clip(round(y*), 1, 5)                             (numeric items)
    level  = 1 + (y* > c1) + (y* > c2)                         (ordinal items)

with ``a_u ~ N(0, sd_unit)``, ``theta_s ~ N(0, sd_subject)``, ``gamma_si ~ N(0, sd_subject_item)``,
``eta_rs ~ N(0, halo_r)`` (the rater's item-independent impression of the subject: halo),
``e_rsi ~ N(0, sd_residual * m_r * m_ui * m_g)`` (``m_ui`` > 1 on the low-agreement items of a
unit, ``m_r`` < 1 for halo raters, ``m_g`` the role's noise factor). Positive severity means
harsher: the rater's scores are lower by ``severity``; ``spread`` < 1 is central tendency
(deviations from the grand mean shrink). ``shift_g`` is the role's bias: self-ratings are
inflated. ``drift_r`` (0 for most raters) is a change of severity after the unit's first
rated period ``t0_u``. This is the many-facet (rater x subject x item) design of generalizability
theory (Brennan 2001, *Generalizability Theory*, ch. 4) with Myford & Wolfe's (2003,
*J. Applied Measurement* 4(4)) rater effects: leniency/severity, central tendency, halo.

Unit outcomes follow a two-way fixed effects design with no pre-trend::

    y_ut = alpha_u + lambda_t + delta_u * 1[t >= first_treated_u] + e_ut

so ``delta_u`` (``truth["units"][u]["true_effect"]``) is the unit's ATT in every post
period (Callaway & Sant'Anna 2021, *J. Econometrics* 225(2), group-time ATT with
homogeneous dynamics).

Design decisions
----------------
- Ratings are collected only in pilot units, from their first_treated period on, limited
  to the last ``rating_periods`` periods (default 2: 2025-S1 and 2025-S2 in the sample), so
  every pilot unit has two rated periods and the sample stays small.
- Teams of about ``team_size`` staff under one leader (atasan); the leaders are rated by
  the unit head. Peers (rekan kerja) are drawn from the same team, subordinates (bawahan)
  rate their leader, members of the public (masyarakat, anonymous SKM survey respondents
  with ``SKM-`` ids and no name) rate front-line staff on the public-facing items, and
  subjects rate themselves (diri sendiri).
- Unit profiles: ``calibrated`` (ok raters, real effect), ``lenient_clique`` /
  ``severe_clique`` (a random 30 % of the unit's raters shifted by -/+ 0.7), ``low_agreement``
  (two BerAKHLAK items with three times the residual noise, a fifth of the raters central
  or halo, a smaller effect), ``no_effect`` (ok raters, the pilot changed nothing),
  ``harm`` (ok raters, the pilot made every outcome worse: IKM about 4 control-noise SDs down,
  service days up), and ``control`` (never treated). Planted benefits of ``calibrated``
  units exceed the minimum detectable effect of a unit against 8 controls over 6 periods
  on the primary outcomes (IKM and service days), so the expected code is what the
  evaluation can actually show.
- In memory, identifiers are raw (synthetic) NIPs and the truth refers to them; in the
  written ``truth.json`` they are replaced by the pseudonyms :func:`evaltools.data.load_study`
  gives with the study's key, so truth and loaded study join on ``subject`` / ``rater``.
"""
from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import secrets
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltools._io import atomic_path, atomic_write
from evaltools.asn import (BERAKHLAK, EKSPEKTASI_LEVELS, KPI_ITEMS, KUADRAN, ORDINAL_ITEMS, ORG_PREDIKAT_LEVELS,
                           PREDIKAT_LEVELS, ROLES)

__all__ = [
    "SimulatedStudy",
    "simulate_study",
    "write_study",
    "DEFAULT_PERIODS",
    "DEFAULT_WAVES",
    "ROLES",
    "BERAKHLAK",
    "KPI_ITEMS",
    "ORDINAL_ITEMS",
    "EKSPEKTASI",
    "PROFILES",
    "EXPORT_COLUMNS",
    "OUTCOMES",
    "MODEL",
    "SAMPLE_ARGS",
    "write_sample",
]

DEFAULT_PERIODS: tuple[str, ...] = ("2023-S1", "2023-S2", "2024-S1", "2024-S2", "2025-S1", "2025-S2")
DEFAULT_WAVES: tuple[str, ...] = ("2024-S1", "2024-S2", "2025-S1")
ITEMS: tuple[str, ...] = BERAKHLAK + KPI_ITEMS + ORDINAL_ITEMS
EKSPEKTASI: tuple[str, ...] = EKSPEKTASI_LEVELS
PREDIKAT: tuple[str, ...] = PREDIKAT_LEVELS
# kuadran kinerja of PermenPANRB 6/2022 (rows Hasil, columns Perilaku: Di Bawah, Sesuai, Di Atas)
_KUADRAN = np.array(KUADRAN)
ORG_PREDIKAT: tuple[str, ...] = ORG_PREDIKAT_LEVELS
PROFILES: tuple[str, ...] = ("calibrated", "lenient_clique", "severe_clique", "low_agreement", "no_effect",
                             "harm")
#: the order in which pilot units of each wave receive profiles
DEFAULT_PROFILE_CYCLE: tuple[str, ...] = ("calibrated", "lenient_clique", "calibrated", "severe_clique",
                                          "low_agreement", "no_effect", "harm")
EXPECTED_VERDICT: dict[str, str | None] = {"calibrated": "go", "lenient_clique": "fix-first",
                                           "severe_clique": "fix-first", "low_agreement": "fix-first",
                                           "no_effect": "stop", "harm": "stop", "control": None}
#: the same expectation in the report's verdict codes (``evaltools.report.VERDICTS``)
EXPECTED_CODE: dict[str, str | None] = {"calibrated": "SIAP", "lenient_clique": "PERBAIKI DULU",
                                        "severe_clique": "PERBAIKI DULU", "low_agreement": "PERBAIKI DULU",
                                        "no_effect": "BELUM TERBUKTI", "harm": "TUNDA", "control": None}
#: contract column -> e-Kinerja-like export column
EXPORT_COLUMNS: dict[str, str] = {
    "period": "periode", "unit": "unit_kerja", "subject": "nip", "subject_name": "nama",
    "rater": "nip_penilai", "rater_name": "nama_penilai", "rater_role": "peran_penilai",
    "item": "indikator", "score": "nilai",
}
OUTCOMES: dict[str, dict[str, Any]] = {
    "ikm": {"label": "Indeks Kepuasan Masyarakat (0-100)", "label_en": "Public satisfaction index (0-100)",
            "higher_is_better": True, "primary": True, "unit": "poin", "unit_en": "points"},
    "service_days": {"label": "Median lama layanan (hari)", "label_en": "Median service time (days)",
                     "higher_is_better": False, "primary": True, "unit": "hari", "unit_en": "days"},
    "cases_resolved": {"label": "Proporsi perkara/permohonan selesai (0-1)",
                       "label_en": "Share of cases resolved (0-1)", "higher_is_better": True},
    "target_achievement": {"label": "Capaian target kinerja unit (%)", "label_en": "Unit target achievement (%)",
                           "higher_is_better": True},
}

#: model constants (latent 1-5 scale); override any of them with ``simulate_study(model={...})``
MODEL: dict[str, Any] = {
    "mu": 3.5,                      # grand mean of true item scores
    "sd_unit": 0.25,                # unit mean performance
    "sd_subject": 0.55,             # subject true performance within unit
    "sd_subject_item": 0.2,         # subject x item true profile
    "sd_residual": 0.45,            # rating noise
    "item_difficulty": {"Berorientasi Pelayanan": 0.15, "Akuntabel": -0.05, "Kompeten": 0.0, "Harmonis": 0.2,
                        "Loyal": 0.25, "Adaptif": -0.15, "Kolaboratif": 0.1,
                        "KPI Ketepatan Waktu Layanan": -0.2, "KPI Capaian Target Kinerja": -0.1,
                        "Hasil Kerja": 0.0, "Perilaku Kerja": 0.0},
    "ordinal_cuts": (2.75, 4.2),     # latent cut points Di Bawah | Sesuai | Di Atas
    # Rater bias of ok raters: severity (rater main effect) SD 0.25 and impression (rater x
    # subject, "dyadic") SD 0.3 put 18 % of an item rating's variance on rater bias, about
    # half the 37 % average of Hoyt & Kerns' (1999, Psychological Methods 4(4)) meta-analysis
    # of 79 G studies (inferential rating scales with trained raters are at the low end),
    # with the dyadic part the larger one.
    "severity_ok_sd": 0.25,
    "spread_ok_sd": 0.05,
    "halo_ok": 0.3,
    "kind_threshold": 0.5,          # |severity| from which an individual rater counts as lenient/severe
    "clique_share": 0.3,
    "clique_severity": 0.7,
    "clique_severity_sd": 0.1,
    "central_spread": 0.35,
    "halo_strong": 0.7,
    "halo_residual_mult": 0.35,
    "odd_rater_share": 0.2,          # central/halo raters in low_agreement units
    "low_agreement_items": 2,
    "low_agreement_mult": 3.0,
    # rater drift: a share of the internal raters of pilot units change severity by about
    # +-drift_size from their unit's first rated period on to the later ones
    "drift_share": 0.03,
    "drift_size": 0.8,
    "drift_sd": 0.1,
    "role_shift": {"atasan": 0.0, "rekan_kerja": 0.05, "bawahan": 0.25, "masyarakat": 0.2, "diri_sendiri": 0.6},
    "role_noise": {"atasan": 1.0, "rekan_kerja": 1.0, "bawahan": 1.1, "masyarakat": 1.4, "diri_sendiri": 1.0},
    "public_severity_sd": 0.3,
    "public_halo": 0.45,
    "presence": {"atasan": 0.97, "rekan_kerja": 0.85, "bawahan": 0.8, "diri_sendiri": 0.85},
    "item_missing": 0.03,
    "frontline_share": 0.5,
    "public_per_subject": (3, 0.6),  # binomial(n, p) SKM respondents per front-line subject and period
    # outcomes: baseline mean, baseline sd, period trend, noise sd, pilot effect of wave 1
    "outcome_model": {
        "ikm": {"base": 76.0, "base_sd": 4.0, "trend": 0.6, "noise": 1.5, "effect": 7.5, "digits": 2,
                "lo": 0.0, "hi": 100.0},
        "service_days": {"base": 6.0, "base_sd": 1.5, "trend": -0.1, "noise": 0.35, "effect": -1.6,
                         "digits": 2, "lo": 0.5, "hi": None},
        "cases_resolved": {"base": 0.78, "base_sd": 0.05, "trend": 0.004, "noise": 0.012, "effect": 0.05,
                           "digits": 4, "lo": 0.0, "hi": 1.0},
        "target_achievement": {"base": 88.0, "base_sd": 5.0, "trend": 0.5, "noise": 2.0, "effect": 5.0,
                               "digits": 2, "lo": 0.0, "hi": None},
    },
    # later waves gain less; effects of wave 1 are ~1.7 x the MDE of one unit against 8 controls
    # over 6 periods (IKM: MDE ~4.4 points; service days: ~1.0 day), the last wave's ~1.4 x
    "wave_effect_factor": (1.0, 0.9, 0.8),
    "profile_effect_factor": {"calibrated": 1.0, "lenient_clique": 1.0, "severe_clique": 1.0,
                              "low_agreement": 0.7, "no_effect": 0.0, "harm": -1.0},
    "effect_heterogeneity_sd": 0.15,
}


# ------------------------------------------------------------------------ result
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
        first_treated, true_effect {outcome: value}, expected_verdict, ...),
        ``variance_components``, ``reliability`` (unit -> model ICCs), ``effects``
        (true ATT by wave and overall), ``roles``, ``items``, ``periods``, ``params``.
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
        """
        from .data import pseudonymize  # the loader's own hash, so truth joins the loaded study

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        fmt = format.lower()
        # "parquet-dataset": ratings as a folder partitioned by unit, the other tables as Parquet
        ext = {"csv": ".csv.gz", "csv.gz": ".csv.gz", "plain-csv": ".csv", "parquet": ".parquet",
               "parquet-dataset": "", "xlsx": ".xlsx"}.get(fmt)
        if ext is None:
            raise ValueError(f"format '{format}' not supported: use 'csv', 'csv.gz', 'plain-csv', 'parquet', "
                             "'parquet-dataset' or 'xlsx'")
        side_ext = ".csv" if ext in (".csv.gz", ".csv") else (ext or ".parquet")
        if key is None:
            if key_file is not None and (out / key_file).exists():
                key = (out / key_file).read_text(encoding="utf-8").strip()
            elif key_file is None:
                raise ValueError("key_file=None needs an explicit key (the truth's ids are pseudonymized with it)")
            else:
                key = secrets.token_hex(32)
        files = {"ratings": "ratings" + ext, "units": "units" + side_ext, "outcomes": "outcomes" + side_ext}
        cfg = _study_config(self.config, files=files, export_style=export_style, key_file=key_file)
        text = _render_toml(cfg)
        if tomllib.loads(text) != cfg:  # the hand-written TOML must read back as the config
            raise RuntimeError("study.toml rendering does not round-trip")

        ratings = _file_ratings(self.ratings, cfg["columns"]["ratings"])
        if fmt == "xlsx" and len(ratings) > 1_048_575:
            raise ValueError(f"{len(ratings)} ratings do not fit one XLSX sheet (1,048,575 rows): use csv or parquet")
        units = self.units.copy()
        units["first_treated"] = units["first_treated"].astype(object).where(units["first_treated"].notna(), None)
        outcomes = self.outcomes.copy()
        outcomes["period"] = outcomes["period"].astype(str)

        if key_file is not None:
            atomic_write(out / key_file, key + "\n")
        atomic_write(out / "study.toml", text)
        if fmt == "parquet-dataset":
            _atomic_write_dataset(ratings, out / files["ratings"], cfg["columns"]["ratings"]["unit"])
        else:
            _atomic_write_table(ratings, out / files["ratings"])
        _atomic_write_table(units, out / files["units"])
        _atomic_write_table(outcomes, out / files["outcomes"])
        truth = _pseudonymize_truth(self.truth, key.encode("utf-8"), pseudonymize)
        atomic_write(out / "truth.json", _dump_truth(truth))
        return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = {c: (df[c].astype(object).where(df[c].notna(), None).tolist() if df[c].dtype.kind not in "fiu"
                else df[c].tolist()) for c in df.columns}
    n = len(df)
    return [{c: cols[c][i] for c in cols} for i in range(n)]


def _dump_truth(truth: dict[str, Any]) -> str:
    """JSON with one line per rater / subject record (readable, and a third of the indented size)."""
    parts = []
    for k, v in truth.items():
        if k in ("raters", "subjects"):
            body = ",\n  ".join(json.dumps(r, ensure_ascii=False, allow_nan=False) for r in v)
            parts.append(f" {json.dumps(k)}: [\n  {body}\n ]" if v else f" {json.dumps(k)}: []")
        else:
            parts.append(f" {json.dumps(k)}: " + json.dumps(v, ensure_ascii=False, indent=1, allow_nan=False)
                         .replace("\n", "\n "))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _pseudonymize_truth(truth: dict[str, Any], key: bytes, pseudonymize) -> dict[str, Any]:
    out = dict(truth)
    for part, col in (("raters", "rater"), ("subjects", "subject")):
        recs = truth[part]
        ids = pd.Series([r[col] for r in recs], dtype=object)
        pseud = pseudonymize(ids, key).tolist() if len(ids) else []
        out[part] = [{**r, col: p} for r, p in zip(recs, pseud)]
    out["ids"] = ("subject and rater ids are the pseudonyms evaltools.load_study gives with this study's key "
                  "(HMAC-SHA256); no raw identifier or name is kept here")
    return out


# --------------------------------------------------------------------- generation
def simulate_study(*, seed: int = 0, n_regions: int = 4, n_units: int = 30,
                   subjects_per_unit: int | tuple[int, int] = (40, 120), periods: Sequence[str] | None = None,
                   waves: Sequence[str] | None = None, control_share: float = 0.25,
                   profiles: Sequence[str] | None = None, rating_periods: int | None = 2,
                   team_size: int = 8, peers_per_subject: int = 6, subordinates_per_leader: int = 3,
                   name: str | None = None, model: dict[str, Any] | None = None) -> SimulatedStudy:
    """Simulate a staged pilot rollout with 360-degree ratings, unit outcomes and the truth.

    Parameters
    ----------
    seed : seed of the one random generator (``numpy.random.default_rng``); the same seed
        and arguments give identical output.
    n_regions : number of provinces (real names, 28 in the catalogue; more get "Wilayah k").
    n_units : number of work units (dinas, badan, RSUD, kecamatan, distrik), spread over the
        regions in turn; names are real agencies first, then "UPT k" of real agencies.
    subjects_per_unit : employees rated per unit, an int or an inclusive (low, high) range.
    periods : ordered period labels (default the six semesters 2023-S1 .. 2025-S2).
    waves : first_treated period of each rollout wave (default 2024-S1, 2024-S2, 2025-S1; with
        custom ``periods``, three consecutive periods from a third of the way in).
    control_share : share of never-treated units; pilots are split evenly over the waves.
    profiles : profile cycle given to the pilot units of each wave in turn (see module doc);
        default calibrated, lenient_clique, calibrated, severe_clique, low_agreement, no_effect, harm.
    rating_periods : ratings exist in pilot units from first_treated on, only in the last
        ``rating_periods`` periods (``None``: every period from first_treated on).
    team_size, peers_per_subject, subordinates_per_leader : the 360-degree design. Staff are
        split into teams of about ``team_size`` under a leader; each staff member is rated by
        ``peers_per_subject`` teammates (circular assignment, so a rekan kerja also rates that
        many teammates: with the defaults every staff member rates all ~6 teammates, the
        "rate your whole team" form of multisource feedback; leaders are rated by that many
        fellow leaders of the unit).
    name : the study name written to study.toml.
    model : overrides of :data:`MODEL` constants.

    Returns
    -------
    SimulatedStudy

    Examples
    --------
    >>> sim = simulate_study(seed=1, n_units=6, subjects_per_unit=(8, 12))
    >>> sorted(sim.ratings["rater_role"].unique())
    ['atasan', 'bawahan', 'diri_sendiri', 'masyarakat', 'rekan_kerja']
    >>> sim.units["first_treated"].notna().sum(), len(sim.outcomes)
    (np.int64(4), 36)
    >>> sim.truth["units"][sim.units["unit"][0]]["profile"] in PROFILES + ("control",)
    True
    """
    m = {**MODEL, **(model or {})}
    rng = np.random.default_rng(seed)
    periods = list(DEFAULT_PERIODS if periods is None else periods)
    n_per = len(periods)
    if n_per < 2 or len(set(periods)) != n_per:
        raise ValueError("periods: give at least two distinct period labels")
    if waves is None:
        waves = list(DEFAULT_WAVES) if periods == list(DEFAULT_PERIODS) else \
            periods[max(1, n_per // 3): max(1, n_per // 3) + 3]
    waves = list(waves)
    bad = [w for w in waves if w not in periods]
    if bad or not waves:
        raise ValueError(f"waves: {bad or 'none given'} not among the periods {periods}")
    if len(set(waves)) != len(waves) or periods.index(waves[0]) == 0:
        raise ValueError("waves: give distinct periods after the first one (a wave needs a pre-period)")
    lo, hi = (subjects_per_unit, subjects_per_unit) if np.isscalar(subjects_per_unit) else subjects_per_unit
    lo, hi = int(lo), int(hi)
    if lo < 3 or hi < lo:
        raise ValueError("subjects_per_unit: need 3 <= low <= high")
    if n_units < 1 or n_regions < 1:
        raise ValueError("n_units and n_regions must be positive")
    cycle = list(DEFAULT_PROFILE_CYCLE if profiles is None else profiles)
    unknown = [p for p in cycle if p not in PROFILES]
    if unknown or not cycle:
        raise ValueError(f"profiles: unknown {unknown}; choose from {PROFILES}")
    if not 0 <= control_share < 1:
        raise ValueError("control_share must be in [0, 1)")
    if rating_periods is not None and rating_periods < 1:
        raise ValueError("rating_periods must be at least 1 (or None for every period from first_treated on)")
    if team_size < 2 or peers_per_subject < 0 or subordinates_per_leader < 0:
        raise ValueError("team_size must be at least 2; peers_per_subject and subordinates_per_leader >= 0")
    unknown = set(model or {}) - set(MODEL)
    if unknown:
        raise ValueError(f"model: unknown constants {sorted(unknown)}; see evaltools.simulate.MODEL")

    U = n_units
    n_waves = len(waves)
    wave_idx0 = np.array([periods.index(w) for w in waves])

    # ---- units: names, regions, waves, profiles
    region_names = _region_names(n_regions)
    unit_region = np.arange(U) % n_regions
    unit_names, unit_city, unit_type = _unit_names(region_names, unit_region)
    n_ctrl = int(round(control_share * U))
    perm = rng.permutation(U)
    unit_wave = np.zeros(U, dtype=np.int64)                 # 0 = control, 1.. = wave number
    pil = perm[n_ctrl:]
    k = np.arange(len(pil))
    unit_wave[pil] = 1 + k % n_waves
    prof_code = np.full(U, -1)                              # index into PROFILES, -1 = control
    cyc_codes = np.array([PROFILES.index(p) for p in cycle])
    prof_code[pil] = cyc_codes[(k // n_waves) % len(cycle)]
    ft0 = np.where(unit_wave > 0, wave_idx0[np.maximum(unit_wave - 1, 0)], -1)  # 0-based first_treated
    a_u = rng.normal(0.0, m["sd_unit"], U)
    z_org = a_u / max(m["sd_unit"], 1e-9) + rng.normal(0, 0.5, U)
    org_code = np.searchsorted(np.array([-1.9, -1.45, -0.75, 0.85]), z_org)  # ~3/7/17/55/18 %
    n_s = rng.integers(lo, hi + 1, U)

    # ---- subjects and unit heads (persons 0..S-1 are subjects, S..S+U-1 the heads)
    S = int(n_s.sum())
    starts = np.concatenate([[0], np.cumsum(n_s)[:-1]])
    s_unit = np.repeat(np.arange(U), n_s)
    pos = np.arange(S) - starts[s_unit]
    n_teams = np.clip(np.rint(n_s / team_size), 1, np.maximum(1, n_s // 3)).astype(np.int64)
    team_off = np.concatenate([[0], np.cumsum(n_teams)[:-1]])
    T = int(n_teams.sum())
    is_leader = pos < n_teams[s_unit]
    team_local = np.where(is_leader, pos, (pos - n_teams[s_unit]) % n_teams[s_unit])
    s_team = team_off[s_unit] + team_local
    leader_of_team = np.empty(T, dtype=np.int64)
    leader_of_team[s_team[is_leader]] = np.flatnonzero(is_leader)
    P = S + U
    p_unit = np.concatenate([s_unit, np.arange(U)])
    theta = np.concatenate([rng.normal(0.0, m["sd_subject"], S), np.zeros(U)])
    true_score = m["mu"] + a_u[p_unit] + theta            # expected item score from a neutral rater

    # identities: NIP and name for every person
    nip, name_codes, name_cats = _people(rng, P, np.concatenate([np.zeros(S, bool), np.ones(U, bool)]),
                                         unit_region[p_unit], region_names)

    # ---- rater traits of persons (profiles shift them)
    severity = rng.normal(0.0, m["severity_ok_sd"], P)
    spread = np.clip(rng.normal(1.0, m["spread_ok_sd"], P), 0.8, 1.2)
    halo = np.full(P, m["halo_ok"])
    resid_mult = np.ones(P)
    kind = np.zeros(P, dtype=np.int64)                      # index into KINDS
    prof_p = prof_code[p_unit]
    u01 = rng.random(P)
    clique_sev = rng.normal(m["clique_severity"], m["clique_severity_sd"], P)
    in_clique = u01 < m["clique_share"]
    len_ = in_clique & (prof_p == PROFILES.index("lenient_clique"))
    sev_ = in_clique & (prof_p == PROFILES.index("severe_clique"))
    severity[len_] = -clique_sev[len_]
    severity[sev_] = clique_sev[sev_]
    kind[len_] = KINDS.index("lenient")
    kind[sev_] = KINDS.index("severe")
    # an individual rater whose own severity is beyond the tolerance is lenient/severe too
    # (the kind is what a calibration panel should find, whatever the unit's profile)
    kind[(kind == 0) & (severity <= -m["kind_threshold"])] = KINDS.index("lenient")
    kind[(kind == 0) & (severity >= m["kind_threshold"])] = KINDS.index("severe")
    low = prof_p == PROFILES.index("low_agreement")
    cen = low & (u01 < m["odd_rater_share"] / 2)
    hal = low & (u01 >= m["odd_rater_share"] / 2) & (u01 < m["odd_rater_share"])
    spread[cen] = m["central_spread"]
    kind[cen] = KINDS.index("central")
    halo[hal] = m["halo_strong"]
    resid_mult[hal] = m["halo_residual_mult"]
    kind[hal] = KINDS.index("halo")

    # items per unit: 1 or 2 KPI items; low-agreement items get extra residual noise
    n_items = len(ITEMS)
    n_kpi = 1 + (rng.random(U) < 0.5)
    item_mult = np.ones((U, n_items))
    r = rng.random((U, len(BERAKHLAK)))
    low_units = np.flatnonzero(prof_code == PROFILES.index("low_agreement"))
    rank = np.argsort(r, axis=1)[:, : m["low_agreement_items"]]
    item_mult[low_units[:, None], rank[low_units]] = m["low_agreement_mult"]
    unit_item_ok = np.ones((U, n_items), dtype=bool)
    unit_item_ok[:, ITEMS.index(KPI_ITEMS[1])] = n_kpi == 2
    beta = np.array([m["item_difficulty"].get(it, 0.0) for it in ITEMS])
    gamma = rng.standard_normal((S, n_items), dtype=np.float32)
    gamma *= np.float32(m["sd_subject_item"])
    gamma[:, [ITEMS.index(i) for i in ORDINAL_ITEMS]] = 0.0

    # ---- structural rater-subject pairs (same every period)
    rated_unit = ft0 >= 0
    rs, ss, gs = [], [], []                                 # rater, subject, role
    members = ~is_leader
    # atasan: team leader for staff, unit head for leaders
    ss.append(np.arange(S)); rs.append(np.where(is_leader, S + s_unit, leader_of_team[s_team]))
    gs.append(np.full(S, ROLES.index("atasan")))
    # rekan kerja: peers in the same group (staff: own team's staff; leaders: the unit's leaders)
    grp = np.where(is_leader, s_unit, U + s_team)
    order = np.argsort(grp, kind="stable")
    gsize = np.bincount(grp, minlength=U + T)
    gfirst = np.concatenate([[0], np.cumsum(gsize)[:-1]])
    g_sorted = grp[order]
    m_g = gsize[g_sorted]
    p_in = np.arange(S) - gfirst[g_sorted]
    start = np.floor(rng.random(S) * np.maximum(m_g - 1, 1)).astype(np.int64)
    for j in range(peers_per_subject):
        ok = j < m_g - 1
        off = 1 + (start + j) % np.maximum(m_g - 1, 1)
        peer = order[gfirst[g_sorted] + (p_in + off) % m_g]
        ss.append(order[ok]); rs.append(peer[ok]); gs.append(np.full(int(ok.sum()), ROLES.index("rekan_kerja")))
    # bawahan: staff of the leader's team rate the leader
    lead = np.flatnonzero(is_leader)
    mg = U + s_team[lead]
    m_l = gsize[mg]
    st = np.floor(rng.random(len(lead)) * np.maximum(m_l, 1)).astype(np.int64)
    for j in range(subordinates_per_leader):
        ok = j < m_l
        sub = order[gfirst[mg] + (st + j) % np.maximum(m_l, 1)]
        ss.append(lead[ok]); rs.append(sub[ok]); gs.append(np.full(int(ok.sum()), ROLES.index("bawahan")))
    # diri sendiri
    ss.append(np.arange(S)); rs.append(np.arange(S)); gs.append(np.full(S, ROLES.index("diri_sendiri")))
    # int32 ids and int8 codes: the pair arrays are tens of millions long at national scale
    pr_s = np.concatenate(ss).astype(np.int32)
    pr_r = np.concatenate(rs).astype(np.int32)
    pr_g = np.concatenate(gs).astype(np.int8)
    keep = rated_unit[s_unit[pr_s]]
    pr_s, pr_r, pr_g = pr_s[keep], pr_r[keep], pr_g[keep]
    del members

    # ---- rated periods per unit
    w0 = np.where(rated_unit, np.maximum(ft0, n_per - rating_periods if rating_periods else 0), n_per)
    n_rp = n_per - w0                                       # 0 for controls
    reps = n_rp[s_unit[pr_s]]
    pidx = np.repeat(np.arange(len(pr_s), dtype=np.int64), reps)
    cum = np.cumsum(reps) - reps
    per = (w0[s_unit[pr_s]][pidx] + np.arange(len(pidx)) - cum[pidx]).astype(np.int8)
    pr_s, pr_r, pr_g = pr_s[pidx], pr_r[pidx], pr_g[pidx]
    presence = np.array([m["presence"].get(g, 1.0) for g in ROLES])
    here = rng.random(len(pr_s)) < presence[pr_g]
    pr_s, pr_r, pr_g, per = pr_s[here], pr_r[here], pr_g[here], per[here]

    # masyarakat: anonymous SKM respondents, new each period, rate front-line staff
    service_unit = np.array([t in ("kecamatan", "distrik", "rsud") or n.startswith(("Disdukcapil", "DPMPTSP"))
                             for t, n in zip(unit_type, unit_names)], dtype=bool)  # one check per unit
    share = np.where(service_unit, min(1.0, m["frontline_share"] + 0.25), m["frontline_share"])
    frontline = rng.random(S) < share[s_unit]
    fs = np.flatnonzero(frontline & rated_unit[s_unit])
    f_reps = n_rp[s_unit[fs]]
    f_s = np.repeat(fs, f_reps)
    f_cum = np.cumsum(f_reps) - f_reps
    f_per = w0[s_unit[f_s]] + np.arange(len(f_s)) - np.repeat(f_cum, f_reps)
    n_pub = rng.binomial(m["public_per_subject"][0], m["public_per_subject"][1], len(f_s))
    q_s = np.repeat(f_s, n_pub)
    q_per = np.repeat(f_per, n_pub)
    Q = len(q_s)
    q_r = (P + np.arange(Q)).astype(np.int32)
    pr_s = np.concatenate([pr_s, q_s.astype(np.int32)])
    pr_r = np.concatenate([pr_r, q_r])
    pr_g = np.concatenate([pr_g, np.full(Q, ROLES.index("masyarakat"), dtype=np.int8)])
    per = np.concatenate([per, q_per.astype(np.int8)])

    # public raters' traits appended after the persons
    severity = np.concatenate([severity, rng.normal(0.0, m["public_severity_sd"], Q)])
    spread = np.concatenate([spread, np.ones(Q)])
    halo = np.concatenate([halo, np.full(Q, m["public_halo"])])
    resid_mult = np.concatenate([resid_mult, np.ones(Q)])
    kind = np.concatenate([kind, np.zeros(Q, dtype=np.int64)])

    # rater drift: its own random stream, so the rest of the study does not depend on it
    rng_d = np.random.default_rng([seed, 1])
    drift = np.zeros(P + Q)
    multi = np.zeros(P + Q, dtype=bool)
    multi[:P] = rated_unit[p_unit] & (n_rp[p_unit] >= 2)
    dr = multi & (rng_d.random(P + Q) < m["drift_share"])
    drift[dr] = rng_d.choice([-1.0, 1.0], int(dr.sum())) * rng_d.normal(m["drift_size"], m["drift_sd"], int(dr.sum()))

    # ---- expand pairs to item rows
    role_items = np.zeros((len(ROLES), n_items), dtype=bool)
    num_items = [ITEMS.index(i) for i in BERAKHLAK + KPI_ITEMS]
    role_items[ROLES.index("atasan"), :] = True
    role_items[ROLES.index("rekan_kerja"), num_items] = True
    role_items[ROLES.index("diri_sendiri"), num_items] = True
    role_items[ROLES.index("bawahan"), [ITEMS.index(i) for i in BERAKHLAK]] = True
    role_items[ROLES.index("masyarakat"), [ITEMS.index(i) for i in ("Berorientasi Pelayanan", "Akuntabel",
                                                                     "Harmonis", "Adaptif", KPI_ITEMS[0])]] = True
    pr_u = s_unit[pr_s].astype(np.int32)
    n_pairs = len(pr_s)
    # Each pair's rows are contiguous, so per-pair values reach the rows by np.repeat (a
    # streaming copy) rather than a gather; int32/float32 keep national-scale memory in check.
    pair_items = role_items[pr_g] & unit_item_ok[pr_u]
    pair_items &= (np.frombuffer(rng.bytes(pair_items.size), dtype=np.uint8).reshape(pair_items.shape)
                   >= int(round(m["item_missing"] * 256)))
    counts = pair_items.sum(axis=1)
    row_item = np.broadcast_to(np.arange(n_items, dtype=np.int8), pair_items.shape)[pair_items]
    del pair_items
    n_rows = len(row_item)

    def rep(x, dtype):
        return np.repeat(np.asarray(x, dtype=dtype), counts)

    role_shift = np.array([m["role_shift"][g] for g in ROLES])
    role_noise = np.array([m["role_noise"][g] for g in ROLES])
    eta = rng.standard_normal(n_pairs)                      # the rater's impression of the subject
    # y* = mu - severity + shift + spread * (a_u + theta + halo * eta)     one value per pair
    #      + spread * (beta_i + gamma_si + e_rsi)                          one value per row
    pair_spread = spread[pr_r]
    later = per > w0[pr_u]                                  # after the unit's first rated period
    dev = rep(m["mu"] - severity[pr_r] - drift[pr_r] * later + role_shift[pr_g]
              + pair_spread * (a_u[pr_u] + theta[pr_s] + halo[pr_r] * eta), np.float32)
    idx = rep(pr_s * n_items, np.int64 if S * n_items >= 2**31 else np.int32)
    idx += row_item
    # (subject, item) tables looked up once per row: beta + gamma, and the residual sd with
    # the low-agreement items' multiplier
    gamma += beta.astype(np.float32)[None, :]
    x = gamma.ravel()[idx]
    gamma -= beta.astype(np.float32)[None, :]
    e = _normal_rows(rng, n_rows)
    e *= (m["sd_residual"] * item_mult).astype(np.float32)[s_unit].ravel()[idx]
    del idx
    e *= rep(resid_mult[pr_r] * role_noise[pr_g], np.float32)
    x += e
    del e
    x *= rep(pair_spread, np.float32)
    dev += x
    del x
    ord_codes = [ITEMS.index(i) for i in ORDINAL_ITEMS]
    is_ord = (row_item >= min(ord_codes)) & (row_item <= max(ord_codes))
    c1, c2 = m["ordinal_cuts"]
    score = np.clip(np.rint(dev), 1, 5, dtype=np.float64)
    score[is_ord] = 1.0 + (dev[is_ord] > c1) + (dev[is_ord] > c2)
    del dev
    label = np.full(n_rows, -1, dtype=np.int8)
    label[is_ord] = score[is_ord] - 1

    # ---- the ratings frame
    used = np.zeros(P + Q, dtype=bool)
    used[pr_s] = True
    used[pr_r] = True
    ids = np.concatenate([nip, _skm_ids(Q)])
    new_code = (np.cumsum(used) - 1).astype(np.int32)
    id_cats = pd.Index(ids[used])
    pers_name = np.concatenate([name_codes, np.full(Q, -1)]).astype(np.int32)
    name_index = pd.Index(name_cats)
    ptype = pd.CategoricalDtype(periods, ordered=True)

    def cat(codes, categories=None, dtype=None):
        return pd.Categorical.from_codes(codes, categories=categories, dtype=dtype, validate=False)

    ucode = np.int16 if U < 2**15 else np.int32
    ratings = pd.DataFrame({
        "period": cat(rep(per, np.int8), dtype=ptype),
        "unit": cat(rep(pr_u, ucode), categories=pd.Index(unit_names)),
        "subject": cat(rep(new_code[pr_s], np.int32), categories=id_cats),
        "subject_name": cat(rep(pers_name[pr_s], np.int32), categories=name_index),
        "rater": cat(rep(new_code[pr_r], np.int32), categories=id_cats),
        "rater_name": cat(rep(pers_name[pr_r], np.int32), categories=name_index),
        "rater_role": cat(rep(pr_g, np.int8), categories=list(ROLES)),
        "item": cat(row_item, categories=list(ITEMS)),
        "score": score,
        "score_label": cat(label, dtype=pd.CategoricalDtype(list(EKSPEKTASI), ordered=True)),
    }, copy=False)

    # ---- units and outcomes
    first_treated = np.array([periods[f] if f >= 0 else None for f in ft0], dtype=object)
    units = pd.DataFrame({
        "unit": unit_names.astype(object), "region": np.array(region_names, dtype=object)[unit_region],
        "first_treated": first_treated, "n_employees": (n_s + 1).astype(np.int64),
        "org_predikat": np.array(ORG_PREDIKAT, dtype=object)[org_code],
        "unit_type": unit_type.astype(object), "kabupaten_kota": unit_city.astype(object),
    })
    outcomes, effects, baselines, period_effects = _outcomes(rng, m, units, unit_wave, prof_code, ft0, org_code,
                                                             periods)

    # ---- truth
    has_role = np.zeros((P + Q, len(ROLES)), dtype=bool)
    has_role[pr_r, pr_g] = True
    rater_ids = np.flatnonzero(has_role.any(axis=1))
    prio = [ROLES.index(g) for g in ("atasan", "bawahan", "rekan_kerja", "masyarakat", "diri_sendiri")]
    prim = np.array(prio)[np.argmax(has_role[rater_ids][:, prio], axis=1)]
    role_lists = _role_lists(has_role[rater_ids])
    r_unit = np.concatenate([p_unit, np.zeros(Q, dtype=np.int64)])
    q_unit = s_unit[q_s]
    r_unit[P:] = q_unit
    raters_t = pd.DataFrame({
        "rater": pd.Categorical.from_codes(new_code[rater_ids], categories=id_cats, validate=False),
        "unit": pd.Categorical.from_codes(r_unit[rater_ids], categories=unit_names),
        "role": pd.Categorical.from_codes(prim, categories=list(ROLES)), "roles": role_lists,
        "severity": np.round(severity[rater_ids], 6), "spread": np.round(spread[rater_ids], 6),
        "halo": np.round(halo[rater_ids], 6), "kind": pd.Categorical.from_codes(kind[rater_ids], categories=KINDS),
        "drift": np.round(drift[rater_ids], 6),
    })
    subj_ids = np.flatnonzero(used[:S])
    subjects_t = pd.DataFrame({"subject": pd.Categorical.from_codes(new_code[subj_ids], categories=id_cats,
                                                                    validate=False),
                               "unit": pd.Categorical.from_codes(s_unit[subj_ids], categories=unit_names),
                               "true_score": np.round(true_score[subj_ids], 6)})
    # the rater-free ekspektasi level of Hasil / Perilaku Kerja (an ok atasan's latent score
    # without noise, through the ordinal cuts) and the predikat of the kuadran matrix; true
    # performance does not change between periods in this simulator
    lat = {it: true_score[subj_ids] + m["item_difficulty"].get(it, 0.0) for it in ORDINAL_ITEMS}
    lvl = {it: 1 + (lat[it] > m["ordinal_cuts"][0]).astype(np.int64) + (lat[it] > m["ordinal_cuts"][1])
           for it in ORDINAL_ITEMS}
    subjects_t["true_hasil"] = pd.Categorical.from_codes(lvl[ORDINAL_ITEMS[0]] - 1, categories=list(EKSPEKTASI),
                                                        ordered=True)
    subjects_t["true_perilaku"] = pd.Categorical.from_codes(lvl[ORDINAL_ITEMS[1]] - 1,
                                                           categories=list(EKSPEKTASI), ordered=True)
    subjects_t["true_predikat"] = pd.Categorical.from_codes(
        _KUADRAN[lvl[ORDINAL_ITEMS[0]] - 1, lvl[ORDINAL_ITEMS[1]] - 1], categories=list(PREDIKAT), ordered=True)

    reliability = _reliability(m, U, unit_names, pr_r, pr_g, pr_u, severity, spread, halo, resid_mult, item_mult,
                               is_rated=rated_unit)
    unit_truth = {}
    for u in range(U):  # one record per unit (a handful of fields, not per subject)
        pc = int(prof_code[u])
        prof = PROFILES[pc] if pc >= 0 else "control"
        low_items = [ITEMS[i] for i in np.flatnonzero(item_mult[u] > 1)]
        unit_truth[str(unit_names[u])] = {
            "region": region_names[unit_region[u]], "profile": prof, "wave": int(unit_wave[u]),
            "first_treated": first_treated[u], "expected_verdict": EXPECTED_VERDICT[prof],
            "expected_code": EXPECTED_CODE[prof],
            "true_effect": {o: round(float(effects[o][u]), 6) for o in OUTCOMES},
            "baseline": {o: round(float(baselines[o][u]), 6) for o in OUTCOMES},
            "unit_effect": round(float(a_u[u]), 6), "org_predikat": ORG_PREDIKAT[org_code[u]],
            "n_subjects": int(n_s[u]), "kpi_items": list(KPI_ITEMS[: int(n_kpi[u])]),
            "low_agreement_items": low_items,
            "rated_periods": periods[int(w0[u]):] if rated_unit[u] else [],
        }
    treated = unit_wave > 0
    by_wave = {}
    for w in range(1, n_waves + 1):
        sel = unit_wave == w
        by_wave[waves[w - 1]] = {o: (round(float(effects[o][sel].mean()), 6) if sel.any() else None)
                                 for o in OUTCOMES}
    post_cells = np.where(treated, n_per - np.maximum(ft0, 0), 0)
    overall = {o: (round(float(np.average(effects[o][treated], weights=post_cells[treated])), 6)
                   if treated.any() else None) for o in OUTCOMES}
    unit_mean = {o: (round(float(effects[o][treated].mean()), 6) if treated.any() else None) for o in OUTCOMES}

    num_beta = beta[num_items]
    meta = {
        "description": "Ground truth of a simulated study (evaltools.simulate); latent scores are on the 1-5 "
                       "scale before rounding; severity > 0 means harsher (scores lower by severity).",
        "periods": periods, "waves": waves,
        "units": unit_truth,
        "effects": {"by_wave": by_wave, "overall_unit_period": overall, "overall_unit": unit_mean,
                    "note": "true_effect is constant over post periods; overall_unit_period weights units by "
                            "their number of post periods (the simple ATT over treated unit-periods)"},
        "period_effects": {o: [round(float(x), 6) for x in period_effects[o]] for o in OUTCOMES},
        "variance_components": {
            "scale": "latent 1-5 score scale before rounding, for an ok (calibrated) rater",
            "unit": m["sd_unit"] ** 2, "subject": m["sd_subject"] ** 2,
            "item": round(float(np.var(num_beta)), 6), "subject_item": m["sd_subject_item"] ** 2,
            "rater": m["severity_ok_sd"] ** 2, "rater_subject": m["halo_ok"] ** 2,
            "residual": m["sd_residual"] ** 2,
            "empirical": {
                "subject_within_unit": round(float(np.var(theta[subj_ids])) if len(subj_ids) else float("nan"), 6),
                "rater_severity_all": round(float(np.var(severity[rater_ids])) if len(rater_ids) else float("nan"),
                                            6),
            },
        },
        "reliability": reliability,
        "roles": {g: {"shift": m["role_shift"][g], "noise_factor": m["role_noise"][g],
                      "presence": m["presence"].get(g)} for g in ROLES},
        "items": {it: {"difficulty": float(beta[i]), "kind": "ordinal" if it in ORDINAL_ITEMS else "numeric",
                       "rated_by": [g for gi, g in enumerate(ROLES) if role_items[gi, i]]}
                  for i, it in enumerate(ITEMS)},
        "ordinal_cuts": list(m["ordinal_cuts"]),
        "params": {"seed": seed, "n_regions": n_regions, "n_units": n_units,
                   "subjects_per_unit": [lo, hi], "control_share": control_share, "rating_periods": rating_periods,
                   "team_size": team_size, "peers_per_subject": peers_per_subject,
                   "subordinates_per_leader": subordinates_per_leader, "profiles": cycle,
                   "n_ratings": int(n_rows), "n_subjects": int(S), "n_public_raters": int(Q)},
    }
    config = _base_config(name or f"Studi simulasi: uji coba penilaian kinerja 360° (seed {seed})", periods, seed)
    return SimulatedStudy(ratings=ratings, units=units, outcomes=outcomes, config=config,
                          truth_frames={"raters": raters_t, "subjects": subjects_t}, truth_meta=meta)


def write_study(out: str | os.PathLike, *, seed: int = 0, format: str = "csv", export_style: bool = True,
                key: str | None = None, key_file: str | None = "demo.key", **kwargs: Any) -> SimulatedStudy:
    """Simulate a study (``simulate_study(seed=seed, **kwargs)``) and write it to ``out``.

    Returns the :class:`SimulatedStudy`; see :meth:`SimulatedStudy.write` for the files.
    """
    sim = simulate_study(seed=seed, **kwargs)
    sim.write(out, format=format, export_style=export_style, key=key, key_file=key_file)
    return sim


KINDS: tuple[str, ...] = ("ok", "lenient", "severe", "central", "halo")

#: arguments of the committed sample study in data/sample (see :func:`write_sample`)
SAMPLE_ARGS: dict[str, Any] = {"seed": 20250101, "n_regions": 4, "n_units": 30, "subjects_per_unit": (40, 120),
                               "name": "Studi contoh: uji coba penilaian kinerja 360°"}


def write_sample(out: str | os.PathLike = "data/sample", *, format: str = "csv") -> SimulatedStudy:
    """(Re)write the sample study: :data:`SAMPLE_ARGS`, e-Kinerja-style columns, demo key.

    An existing ``demo.key`` in ``out`` is reused, so the rewritten files are identical.
    """
    return write_study(out, format=format, export_style=True, key_file="demo.key", **SAMPLE_ARGS)


def _role_lists(has: np.ndarray) -> pd.Categorical:
    # 32 possible role sets: build each label once, then index
    bits = (has * (1 << np.arange(has.shape[1]))).sum(axis=1)
    labels = [";".join(g for j, g in enumerate(ROLES) if b >> j & 1) for b in range(1 << len(ROLES))]
    return pd.Categorical.from_codes(bits, categories=labels)


def _reliability(m, U, unit_names, pr_r, pr_g, pr_u, severity, spread, halo, resid_mult, item_mult, *, is_rated):
    """Model ICC of one numeric rating by one atasan / rekan / bawahan rater, per unit and item.

    With y = s_r (T + eta + e) - severity_r (module doc), two raters' ratings of one
    subject-item share ``E[s]^2 var(T)``; one rating has variance
    ``E[s^2 (var(T) + halo^2 + sd_e^2)] + var(severity)``: ICC = ratio, the absolute-agreement
    ICC(1) of McGraw & Wong (1996, Psychological Methods 1(1), Table 4) on the latent scale
    (rounding to integers lowers it a little). ``icc_mean`` applies Spearman-Brown to the
    mean number ``k`` of such raters per subject-item.
    """
    sel = np.isin(pr_g, [ROLES.index(g) for g in ("atasan", "rekan_kerja", "bawahan")])
    # one entry per (unit, rater) in the pool
    key = np.unique(pr_u[sel].astype(np.int64) * (len(severity) + 1) + pr_r[sel])
    ru = key // (len(severity) + 1)
    rr = key % (len(severity) + 1)
    cnt = np.bincount(ru, minlength=U).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = lambda x: np.bincount(ru, weights=x, minlength=U) / cnt  # noqa: E731
        es = mean(spread[rr])
        es2 = mean(spread[rr] ** 2)
        es2h = mean(spread[rr] ** 2 * halo[rr] ** 2)
        es2e = mean(spread[rr] ** 2 * resid_mult[rr] ** 2)
        vsev = mean(severity[rr] ** 2) - mean(severity[rr]) ** 2
    # raters per subject-item: pairs per subject in the pool, averaged
    n_subj_pairs = np.bincount(pr_u[sel], minlength=U).astype(float)
    n_subj = np.bincount(pr_u[sel & (pr_g == ROLES.index("atasan"))], minlength=U).astype(float)
    var_t = m["sd_subject"] ** 2 + m["sd_subject_item"] ** 2
    out = {}
    numeric = BERAKHLAK + KPI_ITEMS
    for u in np.flatnonzero(is_rated):
        if cnt[u] < 2:
            out[str(unit_names[u])] = {"icc_single": None, "note": "fewer than two raters"}
            continue
        by_item = {}
        for it in numeric:
            e2 = es2e[u] * (m["sd_residual"] * item_mult[u, ITEMS.index(it)]) ** 2
            by_item[it] = float(es[u] ** 2 * var_t / (es2[u] * var_t + es2h[u] + e2 + vsev[u]))
        icc = float(np.mean([by_item[i] for i in BERAKHLAK]))
        k = float(n_subj_pairs[u] / n_subj[u]) if n_subj[u] else float("nan")
        out[str(unit_names[u])] = {
            "icc_single": round(icc, 6),
            "icc_mean": round(k * icc / (1 + (k - 1) * icc), 6) if k == k else None,
            "k_raters": round(k, 4) if k == k else None,
            "icc_single_by_item": {i: round(v, 6) for i, v in by_item.items()},
            "rater_severity_var": round(float(vsev[u]), 6),
            "note": "model ICC(1) on the latent scale, atasan/rekan_kerja/bawahan raters, BerAKHLAK items; "
                    "per period",
        }
    return out


def _outcomes(rng, m, units, unit_wave, prof_code, ft0, org_code, periods):
    U, n_per = len(units), len(periods)
    t = np.arange(n_per)
    post = (ft0[:, None] >= 0) & (t[None, :] >= ft0[:, None])
    wf = np.array(m["wave_effect_factor"], dtype=float)
    wave_factor = np.where(unit_wave > 0, wf[np.clip(unit_wave - 1, 0, len(wf) - 1)], 0.0)
    pf = np.array([m["profile_effect_factor"][p] for p in PROFILES])
    prof_factor = np.where(prof_code >= 0, pf[np.maximum(prof_code, 0)], 0.0)
    het = 1 + rng.normal(0, m["effect_heterogeneity_sd"], U)
    org_z = (org_code - 3) / 1.0                             # Baik = 0
    data = {"unit": np.repeat(units["unit"].to_numpy(), n_per), "period": np.tile(np.array(periods, dtype=object), U)}
    effects, baselines, period_effects = {}, {}, {}
    for o, spec in m["outcome_model"].items():              # four outcomes
        sign = 1.0 if OUTCOMES[o]["higher_is_better"] else -1.0
        base = spec["base"] + spec["base_sd"] * (0.8 * rng.standard_normal(U) + 0.3 * sign * org_z)
        lam = spec["trend"] * t + 0.25 * spec["noise"] * rng.standard_normal(n_per)
        lam -= lam[0]
        delta = spec["effect"] * wave_factor * prof_factor * het
        y = base[:, None] + lam[None, :] + delta[:, None] * post + spec["noise"] * rng.standard_normal((U, n_per))
        y = np.clip(y, spec["lo"] if spec["lo"] is not None else -np.inf,
                    spec["hi"] if spec["hi"] is not None else np.inf)
        data[o] = np.round(y, spec["digits"]).ravel()
        effects[o], baselines[o], period_effects[o] = delta, base, lam
    return pd.DataFrame(data), effects, baselines, period_effects


# ------------------------------------------------------------------- identities
def _region_names(n: int) -> list[str]:
    names = list(_REGIONS)
    return names[:n] + [f"Wilayah {k}" for k in range(len(names) + 1, n + 1)]


def _unit_type(name: str) -> str:
    first = name.split()[0]
    return {"Kecamatan": "kecamatan", "Distrik": "distrik", "RSUD": "rsud", "UPT": "upt", "Bapenda": "badan",
            "BPBD": "badan", "BKPSDM": "badan", "Bappeda": "badan", "Inspektorat": "badan"}.get(first, "dinas")


def _unit_names(region_names: list[str], unit_region: np.ndarray):
    """Unit names per region: curated real units, then real agencies of real cities, then UPTs."""
    per_region: dict[int, list[tuple[str, str]]] = {}
    need = np.bincount(unit_region, minlength=len(region_names))
    for ri, rname in enumerate(region_names):  # a loop over regions and catalogue entries, not subjects
        cities, curated = _REGIONS.get(rname, ([f"Kota Contoh {ri + 1}"], []))
        out = [(u, _city_of(u, cities)) for u in curated]
        seen = {u for u, _ in out}
        combos = [(f"{a} {c}", c) for c in cities for a in _AGENCIES if f"{a} {c}" not in seen]
        out += combos
        k = 1
        while len(out) < need[ri]:
            for c in cities:
                for a in _AGENCIES:
                    out.append((f"UPT {k} {a} {c}", c))
            k += 1
        per_region[ri] = out[: need[ri]]
    taken = np.zeros(len(region_names), dtype=np.int64)
    names, cities_, types = [], [], []
    for ri in unit_region:
        n, c = per_region[ri][taken[ri]]
        taken[ri] += 1
        names.append(n)
        cities_.append(c)
        types.append(_unit_type(n))
    return np.array(names, dtype=object), np.array(cities_, dtype=object), np.array(types, dtype=object)


def _city_of(unit: str, cities: list[str]) -> str:
    for c in cities:
        if unit.endswith(c) or unit.endswith(f"({c.split(' ', 1)[1]})"):
            return c
    for c in cities:
        if c.split(" ", 1)[1] in unit:
            return c
    return cities[0]


def _people(rng, n: int, is_head: np.ndarray, region: np.ndarray, region_names: list[str]):
    """Synthetic NIPs and names for ``n`` civil servants.

    NIP layout (BKN): birth date YYYYMMDD + first CPNS appointment YYYYMM + sex digit
    (1 male, 2 female) + 3-digit serial, unique per (birth date, appointment, sex).
    """
    age = np.where(is_head, rng.integers(45, 59, n), rng.integers(23, 59, n))
    by = 2024 - age
    bm = rng.integers(1, 13, n)
    bd = rng.integers(1, 29, n)
    appt_age = np.minimum(rng.integers(20, 36, n), age - 1)
    ty = np.minimum(by + appt_age, 2023)
    tm = np.array([1, 2, 3, 4, 12])[rng.integers(0, 5, n)]
    sex = 1 + (rng.random(n) < 0.5)
    key = ((by * 10000 + bm * 100 + bd) * 1_000_000 + ty * 100 + tm) * 10 + sex
    order = np.argsort(key, kind="stable")
    sk = key[order]
    new = np.concatenate([[True], sk[1:] != sk[:-1]])
    run_start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    serial = np.empty(n, dtype=np.int64)
    serial[order] = np.arange(n) - run_start + 1
    if n and serial.max() > 999:
        raise ValueError("too many civil servants share a birth date and appointment month for a 3-digit serial")
    nip_int = key * 1000 + serial
    nip = _digits(nip_int, 18)

    # names: culture by region, given name by sex, second name, optional academic degree
    cultures = list(_FIRST_NAMES)
    first_pool, first_off = [], {}
    second_pool, second_off = [], {}
    for c in cultures:  # a few pools
        for sx in (1, 2):
            first_off[(c, sx)] = (len(first_pool), len(_FIRST_NAMES[c][sx]))
            first_pool += _FIRST_NAMES[c][sx]
            pool = _SECOND_NAMES[c].get(sx, _SECOND_NAMES[c][1])
            second_off[(c, sx)] = (len(second_pool), len(pool))
            second_pool += pool
    culture = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for ri, rname in enumerate(region_names):  # loop over regions
        mix = _REGION_CULTURES.get(rname, {"umum": 1.0})
        sel = region == ri
        acc = 0.0
        cidx = np.full(int(sel.sum()), cultures.index("umum"))
        us = u[sel]
        for c, share in mix.items():
            cidx[(us >= acc) & (us < acc + share)] = cultures.index(c)
            acc += share
        culture[sel] = cidx
    f_off = np.array([[first_off[(c, sx)][0] for sx in (1, 2)] for c in cultures])
    f_len = np.array([[first_off[(c, sx)][1] for sx in (1, 2)] for c in cultures])
    s_off = np.array([[second_off[(c, sx)][0] for sx in (1, 2)] for c in cultures])
    s_len = np.array([[second_off[(c, sx)][1] for sx in (1, 2)] for c in cultures])
    fi = f_off[culture, sex - 1] + (rng.random(n) * f_len[culture, sex - 1]).astype(np.int64)
    si = s_off[culture, sex - 1] + (rng.random(n) * s_len[culture, sex - 1]).astype(np.int64)
    di = rng.integers(0, len(_DEGREES), n)
    code = (fi * len(second_pool) + si) * len(_DEGREES) + di
    # codes are small integers: distinct ones by counting, not sorting
    present = np.bincount(code, minlength=len(first_pool) * len(second_pool) * len(_DEGREES)) > 0
    uniq = np.flatnonzero(present)
    inv = (np.cumsum(present) - 1)[code]
    labels = []
    for cd in uniq.tolist():  # one string per distinct name, not per person
        f, rest = divmod(cd, len(second_pool) * len(_DEGREES))
        s, d = divmod(rest, len(_DEGREES))
        deg = _DEGREES[d]
        labels.append(f"{first_pool[f]} {second_pool[s]}" + (f", {deg}" if deg else ""))
    # a given name can sit in two cultures' pools: merge equal strings
    lab_codes, lab_uniq = pd.factorize(pd.Index(labels))
    return nip, lab_codes[inv].astype(np.int64), list(lab_uniq)


_NORMAL_TABLE: np.ndarray | None = None


def _normal_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` standard normal draws (float32) by inverse-CDF lookup of 16-bit uniforms.

    Each draw is the normal quantile at the centre of one of 65,536 equal-probability bins
    (rescaled to unit variance; tails reach 4.3 sd). The per-row residual is the largest
    draw of a national-scale study (hundreds of millions); a table lookup on random bytes
    costs a fraction of ``standard_normal`` and is indistinguishable for the rounded scores.
    """
    global _NORMAL_TABLE
    if _NORMAL_TABLE is None:
        from statistics import NormalDist

        inv = NormalDist().inv_cdf   # 65,536 bin centres, once per process
        z = np.array([inv((k + 0.5) / 65536) for k in range(65536)])
        _NORMAL_TABLE = (z / np.sqrt(np.mean(z ** 2))).astype(np.float32)
    return _NORMAL_TABLE[np.frombuffer(rng.bytes(2 * n), dtype=np.uint16)]


def _digits(x: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded decimal strings, built as UCS-4 code points.

    ``astype(str)`` formats one number at a time; writing the digits into a (n, width)
    uint32 array and viewing it as ``<U{width}`` is one array pass.
    """
    pw = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    codes = (x[:, None] // pw[None, :] % 10 + ord("0")).astype(np.uint32)
    return np.ascontiguousarray(codes).view(f"<U{width}").ravel()


def _skm_ids(q: int) -> np.ndarray:
    """Ids of anonymous public-satisfaction (SKM) survey respondents."""
    if q == 0:
        return np.array([], dtype=str)
    return np.strings.add("SKM-", _digits(np.arange(1, q + 1, dtype=np.int64), 8))


# ----------------------------------------------------------------------- writing
def _base_config(name: str, periods: list[str], seed: int) -> dict[str, Any]:
    return {
        "study": {"name": name, "periods": list(periods), "rater_roles": list(ROLES),
                  "key_env": "EVALTOOLS_KEY"},
        "files": {},
        "columns": {"ratings": {c: c for c in EXPORT_COLUMNS}},
        "scales": {"skala_1_5": {"kind": "numeric", "min": 1, "max": 5},
                   "ekspektasi": {"kind": "ordinal", "levels": list(EKSPEKTASI)}},
        "items": {"default": "skala_1_5", **{i: "ekspektasi" for i in ORDINAL_ITEMS}},
        "outcomes": {o: dict(v) for o, v in OUTCOMES.items()},
        "thresholds": {},
        "simulation": {"generator": "evaltools.simulate", "seed": seed, "truth": "truth.json"},
    }


def _study_config(cfg: dict[str, Any], *, files: dict[str, str], export_style: bool,
                  key_file: str | None) -> dict[str, Any]:
    out = json.loads(json.dumps(cfg))
    out["files"] = dict(files)
    if key_file is not None:
        out["study"] = {**{k: v for k, v in out["study"].items() if k != "key_env"}, "key_file": key_file,
                        "key_env": out["study"].get("key_env", "EVALTOOLS_KEY")}
    out["columns"]["ratings"] = dict(EXPORT_COLUMNS) if export_style else {c: c for c in EXPORT_COLUMNS}
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k, ensure_ascii=False)


_COMMENTS = {
    ("study", "key_file"): "DEMO ONLY: a real study sets its key in $EVALTOOLS_KEY and commits no key",
    ("study", "key_env"): "environment variable holding the pseudonymization key (takes precedence)",
}


def _render_toml(cfg: dict[str, Any]) -> str:
    lines = ["# Study definition read by evaltools.load_study (written by evaltools.simulate).", ""]

    def table(path: list[str], d: dict[str, Any], header_comment: str | None = None):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        if scalars or not subs:
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]"
                         + (f"  # {header_comment}" if header_comment else ""))
            if not scalars and path == ["thresholds"]:
                lines.append("# read by evaltools.report (free-form keys documented there)")
            for k, v in scalars.items():
                c = _COMMENTS.get((path[0], k)) if len(path) == 1 else None
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}" + (f"  # {c}" if c else ""))
            lines.append("")
        for k, v in subs.items():
            table(path + [k], v)

    notes = {"files": ".csv, .csv.gz, .parquet or .xlsx",
             "columns": None, "thresholds": "verdict thresholds"}
    for top, d in cfg.items():
        if top == "columns":
            for k, v in d.items():
                table(["columns", k], v, "contract name = column name in the file")
        else:
            table([top], d, notes.get(top))
    return "\n".join(lines).rstrip() + "\n"


def _file_ratings(r: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """The ratings as an export carries them: score as text (numbers or level labels), sorted."""
    num = r["score_label"].isna().to_numpy()
    codes = np.where(num, r["score"].to_numpy() - 1, 5 + r["score_label"].cat.codes.to_numpy()).astype(np.int16)
    text = pd.Categorical.from_codes(codes, categories=["1", "2", "3", "4", "5", *EKSPEKTASI])
    out = pd.DataFrame({c: r[c] for c in EXPORT_COLUMNS if c != "score"})
    out["score"] = text
    order = np.lexsort([out[c].cat.codes.to_numpy() for c in ("item", "rater", "rater_role", "subject", "unit",
                                                              "period")])
    out = out.iloc[order].reset_index(drop=True)
    return out.rename(columns=mapping)[[mapping[c] for c in EXPORT_COLUMNS]]


def _atomic_write_dataset(df: pd.DataFrame, path: Path, unit_column: str) -> None:
    """Ratings as a hive-partitioned Parquet folder, one partition per unit, swapped in whole."""
    import shutil

    import pyarrow as pa
    import pyarrow.dataset as pads

    plain = df.copy()
    for c in plain.columns:
        if isinstance(plain[c].dtype, pd.CategoricalDtype) or plain[c].dtype == object:
            plain[c] = plain[c].astype(object).where(plain[c].notna(), None).astype("string")
    table = pa.Table.from_pandas(plain, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    pads.write_dataset(table, tmp, format="parquet", partitioning=[unit_column], partitioning_flavor="hive",
                       basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore")
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _atomic_write_table(df: pd.DataFrame, path: Path) -> None:
    name = path.name
    # atomic_path keeps the extension at the end of the temporary name: the writers pick the format from it
    with atomic_path(path) as tmp:
        if name.endswith(".csv.gz"):
            # no file name and no time stamp in the gzip header: same data, same bytes
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9,
                                                        mtime=0) as gz, \
                    io.TextIOWrapper(gz, encoding="utf-8", newline="") as fh:
                df.to_csv(fh, index=False)
        elif name.endswith(".csv"):
            df.to_csv(tmp, index=False)
        elif name.endswith(".parquet"):
            plain = df.copy()
            for c in plain.columns:
                if isinstance(plain[c].dtype, pd.CategoricalDtype) or plain[c].dtype == object:
                    plain[c] = plain[c].astype(object).where(plain[c].notna(), None).astype("string")
            plain.to_parquet(tmp, index=False)
        elif name.endswith(".xlsx"):
            plain = df.copy()
            for c in plain.columns:
                if isinstance(plain[c].dtype, pd.CategoricalDtype):
                    plain[c] = plain[c].astype(object)
            plain.to_excel(tmp, index=False, engine="openpyxl")
        else:
            raise ValueError(f"unsupported table file '{name}'")


# --------------------------------------------------------------------- catalogue
# Real provinces, kabupaten/kota, kecamatan/distrik and agency (OPD) names, and common
# Indonesian given and second names by regional naming culture. Every person is synthetic.
# province -> (kabupaten/kota, curated units in order of preference)
_REGIONS: dict[str, tuple[list[str], list[str]]] = {
    "Sumatera Utara": (
        ["Kota Binjai", "Kota Medan", "Kota Pematangsiantar", "Kabupaten Deli Serdang", "Kabupaten Langkat"],
        ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Binjai", "Kecamatan Binjai Utara (Binjai)",
         "Dinas Pendidikan Kota Medan", "Kecamatan Medan Baru (Medan)", "DPMPTSP Kota Medan",
         "RSUD Dr. R.M. Djoelham Kota Binjai", "Dinas Sosial Kota Pematangsiantar",
         "Kecamatan Lubuk Pakam (Deli Serdang)", "Dinas Perhubungan Kabupaten Langkat"],
    ),
    "Jawa Tengah": (
        ["Kota Semarang", "Kota Surakarta", "Kabupaten Banyumas", "Kabupaten Kendal", "Kota Magelang"],
        ["Dinas Pendidikan Kota Semarang", "Dinas Kesehatan Kota Semarang", "Kecamatan Banyumanik (Semarang)",
         "Disdukcapil Kota Surakarta", "Kecamatan Laweyan (Surakarta)", "DPMPTSP Kabupaten Banyumas",
         "Dinas Sosial Kabupaten Kendal", "Kecamatan Purwokerto Selatan (Banyumas)",
         "RSUD Tidar Kota Magelang", "Bapenda Kota Semarang"],
    ),
    "Aceh": (
        ["Kota Lhokseumawe", "Kota Banda Aceh", "Kabupaten Aceh Utara", "Kabupaten Bireuen", "Kabupaten Aceh Besar"],
        ["Disdukcapil Kota Lhokseumawe", "Kecamatan Banda Sakti (Lhokseumawe)", "Dinas Kesehatan Kota Banda Aceh",
         "Kecamatan Syiah Kuala (Banda Aceh)", "Dinas Pendidikan Kabupaten Aceh Utara", "DPMPTSP Kota Banda Aceh",
         "Dinas Sosial Kabupaten Bireuen", "Kecamatan Muara Dua (Lhokseumawe)",
         "RSUD Cut Meutia Kabupaten Aceh Utara", "Kecamatan Darussalam (Aceh Besar)"],
    ),
    "Sumatera Barat": (
        ["Kota Padang", "Kota Bukittinggi", "Kota Payakumbuh", "Kabupaten Agam", "Kabupaten Padang Pariaman"],
        ["Kecamatan Lubuk Begalung (Padang)", "Dinas Kesehatan Kota Padang", "Kecamatan Koto Tangah (Padang)",
         "Disdukcapil Kota Bukittinggi", "Dinas Pendidikan Kabupaten Agam", "DPMPTSP Kota Payakumbuh",
         "Dinas Perhubungan Kota Padang", "Kecamatan Guguk Panjang (Bukittinggi)",
         "RSUD dr. Rasidin Kota Padang", "Dinas Sosial Kabupaten Padang Pariaman"],
    ),
    "Papua Selatan": (
        ["Kabupaten Merauke", "Kabupaten Boven Digoel", "Kabupaten Mappi", "Kabupaten Asmat"],
        ["Distrik Salor (Merauke)", "Distrik Merauke (Merauke)", "Dinas Kesehatan Kabupaten Merauke",
         "Disdukcapil Kabupaten Merauke", "Distrik Kurik (Merauke)", "Dinas Pendidikan Kabupaten Boven Digoel",
         "Distrik Mandobo (Boven Digoel)", "RSUD Merauke", "Dinas Sosial Kabupaten Mappi",
         "Distrik Agats (Asmat)"],
    ),
    "Jawa Timur": (["Kota Surabaya", "Kota Malang", "Kabupaten Sidoarjo"], []),
    "Sulawesi Selatan": (["Kota Makassar", "Kabupaten Gowa", "Kota Parepare"], []),
    "Kalimantan Timur": (["Kota Samarinda", "Kota Balikpapan", "Kabupaten Kutai Kartanegara"], []),
    "Bali": (["Kota Denpasar", "Kabupaten Badung", "Kabupaten Gianyar"], []),
    "Nusa Tenggara Timur": (["Kota Kupang", "Kabupaten Sikka", "Kabupaten Manggarai"], []),
    "DI Yogyakarta": (["Kota Yogyakarta", "Kabupaten Sleman", "Kabupaten Bantul"], []),
    "Jawa Barat": (["Kota Bandung", "Kota Bogor", "Kabupaten Garut"], []),
    "Riau": (["Kota Pekanbaru", "Kota Dumai", "Kabupaten Kampar"], []),
    "Sumatera Selatan": (["Kota Palembang", "Kota Prabumulih", "Kabupaten Ogan Ilir"], []),
    "Kalimantan Selatan": (["Kota Banjarmasin", "Kota Banjarbaru", "Kabupaten Banjar"], []),
    "Sulawesi Utara": (["Kota Manado", "Kota Bitung", "Kabupaten Minahasa"], []),
    "Maluku": (["Kota Ambon", "Kota Tual", "Kabupaten Maluku Tengah"], []),
    "Nusa Tenggara Barat": (["Kota Mataram", "Kabupaten Lombok Timur", "Kota Bima"], []),
    "Lampung": (["Kota Bandar Lampung", "Kota Metro", "Kabupaten Lampung Selatan"], []),
    "Banten": (["Kota Serang", "Kota Tangerang", "Kabupaten Pandeglang"], []),
    "Kalimantan Barat": (["Kota Pontianak", "Kota Singkawang", "Kabupaten Sambas"], []),
    "Sulawesi Tengah": (["Kota Palu", "Kabupaten Poso", "Kabupaten Donggala"], []),
    "Jambi": (["Kota Jambi", "Kabupaten Muaro Jambi", "Kabupaten Kerinci"], []),
    "Bengkulu": (["Kota Bengkulu", "Kabupaten Rejang Lebong"], []),
    "Gorontalo": (["Kota Gorontalo", "Kabupaten Gorontalo"], []),
    "Papua": (["Kota Jayapura", "Kabupaten Jayapura", "Kabupaten Biak Numfor"], []),
    "Maluku Utara": (["Kota Ternate", "Kota Tidore Kepulauan"], []),
    "Kepulauan Riau": (["Kota Batam", "Kota Tanjungpinang"], []),
}

_AGENCIES: list[str] = [
    "Dinas Kesehatan", "Dinas Pendidikan", "Disdukcapil", "DPMPTSP", "Dinas Sosial", "Dinas Perhubungan",
    "Dinas PUPR", "Bapenda", "BPBD", "Satpol PP", "Dinas Lingkungan Hidup", "Dinas Tenaga Kerja",
    "Dinas Koperasi dan UKM", "Dinas Pertanian", "Dinas Perpustakaan dan Kearsipan", "Dinas Kominfo",
    "BKPSDM", "Bappeda", "Inspektorat", "Dinas Pariwisata",
]

# Naming cultures: given names by sex ("1" male, "2" female, as the NIP sex digit) and second names.
_FIRST_NAMES: dict[str, dict[int, list[str]]] = {
    "umum": {
        1: ["Agus", "Budi", "Joko", "Slamet", "Bambang", "Hendra", "Rudi", "Dedi", "Eko", "Ahmad", "Muhammad",
            "Rizky", "Fajar", "Arif", "Andi", "Irwan", "Yusuf", "Hasan", "Taufik", "Teguh", "Wahyu", "Dimas",
            "Bayu", "Hadi", "Heru", "Iwan", "Rahmat", "Fauzi", "Ilham", "Reza", "Yudi", "Indra", "Gunawan"],
        2: ["Siti", "Sri", "Dewi", "Nur", "Rina", "Ratna", "Wulan", "Indah", "Fitri", "Yuni", "Endang", "Ani",
            "Dian", "Maya", "Putri", "Ayu", "Novi", "Rahma", "Aisyah", "Nurul", "Yanti", "Susi", "Mega", "Eka",
            "Kartika", "Ratih", "Intan", "Lina", "Desi", "Nadia", "Anisa", "Rini", "Tuti"],
    },
    "batak": {
        1: ["Hotman", "Parulian", "Togar", "Benny", "Robert", "Jhonson", "Marihot", "Sahat", "Bonar", "Darwin",
            "Maruli", "Poltak", "Ridwan", "Syahrul", "Zulkifli", "Rudi", "Hendra", "Andi"],
        2: ["Rosmawati", "Lamria", "Martha", "Juliana", "Rumondang", "Nurhayati", "Sondang", "Tiurma", "Erna",
            "Masniari", "Rosdiana", "Dewi", "Siti", "Fitri", "Rina"],
    },
    "aceh": {
        1: ["Teuku", "Muhammad", "Zulfikar", "Mukhtar", "Husaini", "Iskandar", "Razali", "Nurdin", "Fadhil",
            "Munawar", "Syahrizal", "Khairul", "Rizal", "Saiful"],
        2: ["Cut", "Nurul", "Rahmi", "Maulida", "Zahara", "Fitriani", "Nurhayati", "Humaira", "Mutia", "Zuraida",
            "Safrida", "Rosmiati", "Husna"],
    },
    "minang": {
        1: ["Syafri", "Efendi", "Yunus", "Rasyid", "Zulhendri", "Afrizal", "Yulianto", "Hendri", "Novrizal",
            "Fadli", "Yusrizal", "Andri", "Irwan"],
        2: ["Yusnita", "Rahmadani", "Novita", "Elvira", "Yulia", "Desfita", "Afrida", "Suryani", "Meliza",
            "Fitriyani", "Yelmi", "Nofriyanti", "Silvia"],
    },
    "papua": {
        1: ["Yohanes", "Markus", "Petrus", "Agustinus", "Fransiskus", "Yosep", "Daniel", "Kornelis", "Paulus",
            "Yakobus", "Simon", "Benediktus", "Alfons"],
        2: ["Maria", "Yuliana", "Agustina", "Fransiska", "Elisabeth", "Theresia", "Magdalena", "Yohana",
            "Regina", "Veronika", "Antonia"],
    },
}

_SECOND_NAMES: dict[str, dict[int, list[str]]] = {
    "umum": {
        1: ["Santoso", "Wibowo", "Prasetyo", "Setiawan", "Susanto", "Nugroho", "Hidayat", "Purnomo", "Kurniawan",
            "Saputra", "Utomo", "Wijaya", "Hartono", "Sutrisno", "Kusuma", "Purwanto", "Permana", "Haryanto",
            "Firmansyah", "Ramadhan", "Hakim", "Syahputra"],
        2: ["Rahayu", "Handayani", "Lestari", "Wulandari", "Pratiwi", "Susilowati", "Sulistyowati", "Puspitasari",
            "Anggraini", "Kusumawati", "Rahmawati", "Safitri", "Wahyuni", "Oktaviani", "Permatasari", "Maharani"],
    },
    "batak": {
        1: ["Siregar", "Nasution", "Lubis", "Harahap", "Simanjuntak", "Sitompul", "Hutapea", "Pardede", "Sinaga",
            "Tambunan", "Ginting", "Tarigan", "Sembiring", "Damanik", "Daulay", "Rangkuti", "Situmorang",
            "Manurung"],
    },
    "aceh": {
        1: ["Ibrahim", "Abdullah", "Ismail", "Yusuf", "Husaini", "Mukhtar", "Iskandar", "Hasballah", "Nurdin",
            "Razali", "Syahputra", "Daud"],
        2: ["Safitri", "Rahmi", "Maulida", "Zahara", "Fitriani", "Nurhayati", "Rahmawati", "Zuraida", "Yusra",
            "Marlina"],
    },
    "minang": {
        1: ["Tanjung", "Chaniago", "Piliang", "Koto", "Sikumbang", "Jambak", "Putra", "Syafri", "Rasyid",
            "Malik", "Datuak", "Amri"],
        2: ["Yusnita", "Rahmadani", "Novita", "Yulia", "Suryani", "Fitriyani", "Yanti", "Sari", "Hayati",
            "Wahyuni"],
    },
    "papua": {
        1: ["Gebze", "Mahuze", "Kaize", "Balagaize", "Ndiken", "Samkakai", "Wanggai", "Rumbiak", "Kogoya",
            "Wenda", "Mandowen", "Yoku", "Rumbewas", "Kambu"],
    },
}

_DEGREES: list[str] = ["", "", "", "S.Pd.", "S.E.", "S.Sos.", "S.Kom.", "S.H.", "S.Kep.", "A.Md.", "S.T.",
                      "S.AP.", "M.Si.", "S.Ak.", "S.K.M."]

# Share of each naming culture among civil servants of a province (others: "umum").
_REGION_CULTURES: dict[str, dict[str, float]] = {
    "Sumatera Utara": {"batak": 0.6, "umum": 0.4},
    "Aceh": {"aceh": 0.75, "umum": 0.25},
    "Sumatera Barat": {"minang": 0.75, "umum": 0.25},
    "Papua Selatan": {"papua": 0.5, "umum": 0.5},
    "Papua": {"papua": 0.6, "umum": 0.4},
}
