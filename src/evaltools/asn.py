"""ASN appraisal rules as data: rater roles, rated items, predikat levels, the kuadran, the
distribution pattern.

The constants of PermenPANRB 6/2022 (SKP: Hasil Kerja and Perilaku Kerja, each rated against
the three *ekspektasi* levels, combined by the kuadran into a predikat) and of SE MenPANRB
3/2023 (the expected predikat distribution of a unit given its Predikat Kinerja Organisasi).
Statistics, the simulator and the reports read them from here.

Examples
--------
>>> from evaltools import asn
>>> asn.PREDIKAT_LEVELS[asn.KUADRAN[2][2]]
'Sangat Baik'
>>> asn.ORDINAL_ITEMS
('Hasil Kerja', 'Perilaku Kerja')
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "ROLES",
    "BERAKHLAK",
    "KPI_ITEMS",
    "ORDINAL_ITEMS",
    "EKSPEKTASI_LEVELS",
    "PREDIKAT_LEVELS",
    "ORG_PREDIKAT_LEVELS",
    "KUADRAN",
    "DISTRIBUTION_PATTERN",
]

#: rater roles of a 360-degree appraisal (supervisor, peer, subordinate, public, self)
ROLES: tuple[str, ...] = ("atasan", "rekan_kerja", "bawahan", "masyarakat", "diri_sendiri")
#: the seven BerAKHLAK core values (SE MenPANRB 20/2021), rated as Perilaku Kerja
BERAKHLAK: tuple[str, ...] = ("Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal",
                              "Adaptif", "Kolaboratif")
#: unit indicators of the sample studies
KPI_ITEMS: tuple[str, ...] = ("KPI Ketepatan Waktu Layanan", "KPI Capaian Target Kinerja")
#: the two SKP ratings scored on the ordered ekspektasi scale, not on a numeric one
ORDINAL_ITEMS: tuple[str, ...] = ("Hasil Kerja", "Perilaku Kerja")
EKSPEKTASI_LEVELS: tuple[str, ...] = ("Di Bawah Ekspektasi", "Sesuai Ekspektasi", "Di Atas Ekspektasi")
PREDIKAT_LEVELS: tuple[str, ...] = ("Sangat Kurang", "Kurang/Misconduct", "Butuh Perbaikan", "Baik",
                                    "Sangat Baik")
ORG_PREDIKAT_LEVELS: tuple[str, ...] = ("Sangat Kurang", "Kurang", "Butuh Perbaikan", "Baik", "Istimewa")

# Kuadran kinerja (PermenPANRB 6/2022): rows = Hasil Kerja, columns = Perilaku Kerja,
# both coded 0 = Di Bawah, 1 = Sesuai, 2 = Di Atas; entries index PREDIKAT_LEVELS.
KUADRAN: tuple[tuple[int, ...], ...] = (
    (0, 2, 2),   # hasil Di Bawah: Sangat Kurang, Butuh Perbaikan, Butuh Perbaikan
    (1, 3, 3),   # hasil Sesuai:   Kurang/Misconduct, Baik, Baik
    (1, 3, 4),   # hasil Di Atas:  Kurang/Misconduct, Baik, Sangat Baik
)

# SE MenPANRB 3/2023 pattern (secondary source, unconfirmed: every number is a default
# the caller may replace). kind: "largest" (the category is the biggest group),
# "max"/"min" (share bound on the summed categories), "min_count" (at least k people).
DISTRIBUTION_PATTERN: dict[str, list[dict[str, Any]]] = {
    "Istimewa": [
        {"kind": "largest", "categories": ["Sangat Baik"]},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.70},
    ],
    "Baik": [
        {"kind": "largest", "categories": ["Baik"]},
        {"kind": "max", "categories": ["Baik"], "share": 0.70},
        {"kind": "min_count", "categories": ["Butuh Perbaikan", "Kurang/Misconduct"], "count": 1},
    ],
    "Butuh Perbaikan": [
        {"kind": "min", "categories": ["Butuh Perbaikan"], "share": 0.60},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.10},
    ],
    "Kurang": [
        {"kind": "min", "categories": ["Kurang/Misconduct"], "share": 0.60},
        {"kind": "min", "categories": ["Butuh Perbaikan"], "share": 0.10},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.10},
    ],
    "Sangat Kurang": [
        {"kind": "min", "categories": ["Sangat Kurang"], "share": 0.60},
        {"kind": "min", "categories": ["Kurang/Misconduct", "Butuh Perbaikan"], "share": 0.10},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.0},
    ],
}
