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
  evaluation can actually show. The expected code is the report's verdict code
  (``truth["units"][u]["expected_code"]``: SIAP, PERBAIKI DULU, BELUM TERBUKTI, TUNDA);
  ``expected_verdict`` (go / fix-first / stop) is its deprecated alias.
- In memory, identifiers are raw (synthetic) NIPs and the truth refers to them; in the
  written ``truth.json`` they are replaced by the pseudonyms :func:`evaltools.data.load_study`
  gives with the study's key, so truth and loaded study join on ``subject`` / ``rater``.

Layout
------
:func:`simulate_study` runs one step per module, all on one random generator, in this order:
``_people`` (units, employees, teams, identities), ``_raters`` (traits, who rates whom in
which period, drift), ``_ratings`` (item design, scores, the ratings frame), ``_outcomes``
(unit outcomes and true effects), ``_truth`` (the ground truth); ``_write`` writes a study
folder, ``_model`` holds the constants and ``_catalogue`` the place and person names.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from evaltools.asn import BERAKHLAK, KPI_ITEMS, ORDINAL_ITEMS, ROLES

from . import _outcomes, _people, _raters, _ratings, _truth
# the underscored names are re-exported for code that reached them here before the split
from ._catalogue import _AGENCIES, _DEGREES, _FIRST_NAMES, _REGION_CULTURES, _REGIONS, _SECOND_NAMES  # noqa: F401
from ._model import (_KUADRAN, DEFAULT_PERIODS, DEFAULT_PROFILE_CYCLE, DEFAULT_WAVES, EKSPEKTASI,  # noqa: F401
                     EXPECTED_CODE, EXPECTED_VERDICT, EXPORT_COLUMNS, ITEMS, KINDS, MODEL, ORG_PREDIKAT, OUTCOMES,
                     PREDIKAT, PROFILES, SAMPLE_ARGS)
from ._people import _city_of, _digits, _region_names, _skm_ids, _unit_names, _unit_type  # noqa: F401
from ._ratings import _normal_rows  # noqa: F401
from ._result import SimulatedStudy, _records  # noqa: F401
from ._truth import _role_lists  # noqa: F401
from ._write import (_COMMENTS, _atomic_write_dataset, _atomic_write_table, _base_config, _dump_truth,  # noqa: F401
                     _file_ratings, _pseudonymize_truth, _render_toml, _study_config, _toml_key, _toml_value)

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
    "EXPECTED_CODE",
    "EXPORT_COLUMNS",
    "OUTCOMES",
    "MODEL",
    "SAMPLE_ARGS",
    "write_sample",
]


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
    m, periods, waves, subjects, cycle = _arguments(
        model=model, periods=periods, waves=waves, subjects_per_unit=subjects_per_unit, n_units=n_units,
        n_regions=n_regions, profiles=profiles, control_share=control_share, rating_periods=rating_periods,
        team_size=team_size, peers_per_subject=peers_per_subject, subordinates_per_leader=subordinates_per_leader)
    # one generator, drawn from in this order: each step's draws follow the previous step's
    rng = np.random.default_rng(seed)
    units = _people.draw_units(rng, m, n_units=n_units, n_regions=n_regions, periods=periods, waves=waves,
                               control_share=control_share, cycle=cycle, subjects=subjects,
                               rating_periods=rating_periods)
    people = _people.draw_people(rng, m, units, team_size=team_size)
    raters = _raters.draw_rater_traits(rng, m, units, people)
    items = _ratings.draw_item_design(rng, m, units, people)
    pairs = _raters.draw_pairs(rng, m, units, people, peers_per_subject=peers_per_subject,
                               subordinates_per_leader=subordinates_per_leader)
    raters = _raters.add_public_raters(rng, m, raters, pairs)
    raters.drift = _raters.draw_drift(np.random.default_rng([seed, 1]), m, units, people, pairs)
    ids = _ratings.code_ids(people, pairs)
    scores = _ratings.draw_scores(rng, m, units, people, raters, items, pairs)
    ratings = _ratings.ratings_frame(units, pairs, ids, scores)
    outcomes = _outcomes.draw_outcomes(rng, m, units)
    params = {"seed": seed, "n_regions": n_regions, "n_units": n_units, "subjects_per_unit": list(subjects),
              "control_share": control_share, "rating_periods": rating_periods, "team_size": team_size,
              "peers_per_subject": peers_per_subject, "subordinates_per_leader": subordinates_per_leader,
              "profiles": cycle}
    frames, meta = _truth.study_truth(m, units, people, raters, items, pairs, ids, scores.pair_unit,
                                      len(scores.item), outcomes, params)
    config = _base_config(name or f"Studi simulasi: uji coba penilaian kinerja 360° (seed {seed})", periods, seed)
    return SimulatedStudy(ratings=ratings, units=_people.units_frame(units), outcomes=outcomes.frame,
                          config=config, truth_frames=frames, truth_meta=meta)


def _arguments(*, model, periods, waves, subjects_per_unit, n_units, n_regions, profiles, control_share,
               rating_periods, team_size, peers_per_subject, subordinates_per_leader):
    """Checked arguments: the model constants, periods, waves, (low, high) subjects, profile cycle."""
    m = {**MODEL, **(model or {})}
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
    return m, periods, waves, (lo, hi), cycle


def write_study(out: str | os.PathLike, *, seed: int = 0, format: str = "csv", export_style: bool = True,
                key: str | None = None, key_file: str | None = "demo.key", **kwargs: Any) -> SimulatedStudy:
    """Simulate a study (``simulate_study(seed=seed, **kwargs)``) and write it to ``out``.

    Returns the :class:`SimulatedStudy`; see :meth:`SimulatedStudy.write` for the files.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     sim = write_study(d, seed=1, n_units=4, subjects_per_unit=6, key="0" * 64)
    ...     written = sorted(os.listdir(d))
    >>> written
    ['demo.key', 'outcomes.csv', 'ratings.csv.gz', 'study.toml', 'truth.json', 'units.csv']
    >>> sim.truth["params"]["n_units"]
    4
    """
    sim = simulate_study(seed=seed, **kwargs)
    sim.write(out, format=format, export_style=export_style, key=key, key_file=key_file)
    return sim


def write_sample(out: str | os.PathLike = "data/sample", *, format: str = "csv") -> SimulatedStudy:
    """(Re)write the sample study: :data:`SAMPLE_ARGS`, e-Kinerja-style columns, demo key.

    An existing ``demo.key`` in ``out`` is reused, so the rewritten files are identical.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     sim = write_sample(d, format="parquet")
    ...     written = sorted(os.listdir(d))
    >>> written
    ['demo.key', 'outcomes.parquet', 'ratings.parquet', 'study.toml', 'truth.json', 'units.parquet']
    >>> sim.truth["params"]["seed"] == SAMPLE_ARGS["seed"], len(sim.units)
    (True, 30)
    """
    return write_study(out, format=format, export_style=True, key_file="demo.key", **SAMPLE_ARGS)
