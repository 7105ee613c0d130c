"""Constants of the simulator: periods, profiles, expected verdicts, outcomes, the model.

Every constant here is re-exported by :mod:`evaltools.simulate`; :data:`MODEL` holds the
generative model's parameters (see the package docstring for the equations).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from evaltools.asn import (BERAKHLAK, EKSPEKTASI_LEVELS, KPI_ITEMS, KUADRAN, ORDINAL_ITEMS, ORG_PREDIKAT_LEVELS,
                           PREDIKAT_LEVELS)

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
#: the verdict a unit of each profile should get, in the report's verdict codes
#: (``evaltools.report.VERDICTS``); ``truth["units"][u]["expected_code"]``
EXPECTED_CODE: dict[str, str | None] = {"calibrated": "SIAP", "lenient_clique": "PERBAIKI DULU",
                                        "severe_clique": "PERBAIKI DULU", "low_agreement": "PERBAIKI DULU",
                                        "no_effect": "BELUM TERBUKTI", "harm": "TUNDA", "control": None}
#: Deprecated: the older three-word vocabulary of :data:`EXPECTED_CODE` (``go`` = SIAP,
#: ``fix-first`` = PERBAIKI DULU, ``stop`` = BELUM TERBUKTI or TUNDA: it does not tell a pilot
#: that showed no benefit from one that did harm). Kept, with ``truth["units"][u]["expected_verdict"]``,
#: so code that reads it keeps working; read ``expected_code`` instead.
_CODE_TO_OLD_VERDICT: dict[str | None, str | None] = {"SIAP": "go", "PERBAIKI DULU": "fix-first",
                                                      "BELUM TERBUKTI": "stop", "TUNDA": "stop", None: None}
EXPECTED_VERDICT: dict[str, str | None] = {p: _CODE_TO_OLD_VERDICT[c] for p, c in EXPECTED_CODE.items()}
#: kinds of rater the truth names (``truth["raters"][k]["kind"]``)
KINDS: tuple[str, ...] = ("ok", "lenient", "severe", "central", "halo")
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


#: arguments of the committed sample study in data/sample (see :func:`evaltools.simulate.write_sample`)
SAMPLE_ARGS: dict[str, Any] = {"seed": 20250101, "n_regions": 4, "n_units": 30, "subjects_per_unit": (40, 120),
                               "name": "Studi contoh: uji coba penilaian kinerja 360°"}
