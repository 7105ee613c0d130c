"""Work units, their employees and identities: names, regions, waves, teams, NIPs.

The first steps of :func:`evaltools.simulate.simulate_study`: units get real place and
agency names, a rollout wave and a profile; employees are split into teams under a leader
and get a synthetic NIP and name. Arrays are per unit or per person, never a loop over people.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._catalogue import _AGENCIES, _DEGREES, _FIRST_NAMES, _REGION_CULTURES, _REGIONS, _SECOND_NAMES
from ._model import ORG_PREDIKAT, PROFILES


@dataclasses.dataclass
class Units:
    """The units of a study, one entry per unit in every array (``u`` = 0 .. n-1)."""

    names: np.ndarray          # object: unit names
    city: np.ndarray           # object: kabupaten/kota
    type: np.ndarray           # object: dinas, badan, kecamatan, distrik, rsud, upt
    region_names: list[str]
    region: np.ndarray         # index into region_names
    periods: list[str]
    waves: list[str]
    wave: np.ndarray           # 0 = control, 1.. = wave number
    profile: np.ndarray        # index into PROFILES, -1 = control
    ft0: np.ndarray            # 0-based first_treated period, -1 = control
    effect: np.ndarray         # a_u: the unit's mean performance on the latent scale
    org: np.ndarray            # index into ORG_PREDIKAT
    n_subjects: np.ndarray     # employees rated (the unit head comes on top)
    w0: np.ndarray             # first rated period (len(periods) for units without ratings)

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def rated(self) -> np.ndarray:
        return self.ft0 >= 0

    @property
    def n_rated_periods(self) -> np.ndarray:
        return len(self.periods) - self.w0

    @property
    def first_treated(self) -> np.ndarray:
        return np.array([self.periods[f] if f >= 0 else None for f in self.ft0], dtype=object)


@dataclasses.dataclass
class People:
    """Persons 0 .. S-1 are the rated employees (subjects), S .. S+U-1 the unit heads."""

    n_subjects: int            # S
    unit: np.ndarray           # unit of each subject (s_unit)
    is_leader: np.ndarray      # the subject leads a team
    team: np.ndarray           # team of each subject
    leader_of_team: np.ndarray
    n_teams: int
    person_unit: np.ndarray    # unit of each person (subjects, then heads)
    theta: np.ndarray          # true performance within the unit, per person (0 for heads)
    true_score: np.ndarray     # expected item score from a neutral rater, per person
    nip: np.ndarray            # synthetic 18-digit NIPs
    name_codes: np.ndarray     # index into name_labels
    name_labels: list[str]

    @property
    def n(self) -> int:
        return len(self.person_unit)


def draw_units(rng: np.random.Generator, m: dict, *, n_units: int, n_regions: int, periods: list[str],
               waves: list[str], control_share: float, cycle: Sequence[str], subjects: tuple[int, int],
               rating_periods: int | None) -> Units:
    """Unit names and regions, then (random) waves, profiles, unit effects, org predikat, sizes.

    Controls are a random ``control_share`` of the units; pilots go to the waves in turn
    and receive the profile cycle wave by wave.
    """
    U = n_units
    n_per = len(periods)
    n_waves = len(waves)
    wave_idx0 = np.array([periods.index(w) for w in waves])
    region_names = _region_names(n_regions)
    unit_region = np.arange(U) % n_regions
    unit_names, unit_city, unit_type = _unit_names(region_names, unit_region)
    n_ctrl = int(round(control_share * U))
    perm = rng.permutation(U)
    unit_wave = np.zeros(U, dtype=np.int64)
    pil = perm[n_ctrl:]
    k = np.arange(len(pil))
    unit_wave[pil] = 1 + k % n_waves
    prof_code = np.full(U, -1)
    cyc_codes = np.array([PROFILES.index(p) for p in cycle])
    prof_code[pil] = cyc_codes[(k // n_waves) % len(cycle)]
    ft0 = np.where(unit_wave > 0, wave_idx0[np.maximum(unit_wave - 1, 0)], -1)
    a_u = rng.normal(0.0, m["sd_unit"], U)
    z_org = a_u / max(m["sd_unit"], 1e-9) + rng.normal(0, 0.5, U)
    org_code = np.searchsorted(np.array([-1.9, -1.45, -0.75, 0.85]), z_org)  # ~3/7/17/55/18 %
    n_s = rng.integers(subjects[0], subjects[1] + 1, U)
    # ratings exist from first_treated on, in the last rating_periods periods only
    w0 = np.where(ft0 >= 0, np.maximum(ft0, n_per - rating_periods if rating_periods else 0), n_per)
    return Units(names=unit_names, city=unit_city, type=unit_type, region_names=region_names, region=unit_region,
                 periods=periods, waves=waves, wave=unit_wave, profile=prof_code, ft0=ft0, effect=a_u,
                 org=org_code, n_subjects=n_s, w0=w0)


def draw_people(rng: np.random.Generator, m: dict, units: Units, *, team_size: int) -> People:
    """Employees in teams of about ``team_size`` under a leader, their true performance and identities.

    The first ``n_teams`` employees of a unit lead its teams; the others are dealt to the
    teams in turn. Unit heads (one per unit) are persons too: they rate the leaders.
    """
    U, n_s = units.n, units.n_subjects
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
    true_score = m["mu"] + units.effect[p_unit] + theta
    nip, name_codes, name_labels = _identities(rng, P, np.concatenate([np.zeros(S, bool), np.ones(U, bool)]),
                                               units.region[p_unit], units.region_names)
    return People(n_subjects=S, unit=s_unit, is_leader=is_leader, team=s_team, leader_of_team=leader_of_team,
                  n_teams=T, person_unit=p_unit, theta=theta, true_score=true_score, nip=nip,
                  name_codes=name_codes, name_labels=name_labels)


def units_frame(units: Units) -> pd.DataFrame:
    """The units table: ``unit``, ``region``, ``first_treated`` (None = never treated), ..."""
    return pd.DataFrame({
        "unit": units.names.astype(object), "region": np.array(units.region_names, dtype=object)[units.region],
        "first_treated": units.first_treated, "n_employees": (units.n_subjects + 1).astype(np.int64),
        "org_predikat": np.array(ORG_PREDIKAT, dtype=object)[units.org],
        "unit_type": units.type.astype(object), "kabupaten_kota": units.city.astype(object),
    })


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


def _identities(rng, n: int, is_head: np.ndarray, region: np.ndarray, region_names: list[str]):
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
