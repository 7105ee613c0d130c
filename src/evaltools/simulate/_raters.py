"""Raters: their traits (severity, spread, halo, drift), who rates whom, in which period.

Steps of :func:`evaltools.simulate.simulate_study` after the people: rater traits of every
person, shifted by the unit's profile (cliques, central and halo raters); the 360-degree
rater-subject pairs (atasan, rekan kerja, bawahan, diri sendiri, and anonymous masyarakat
respondents); their rated periods; and the drift of a few raters between periods.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from evaltools.asn import ROLES

from ._model import KINDS, PROFILES
from ._people import People, Units


@dataclasses.dataclass
class Raters:
    """Traits of every rater: persons 0 .. P-1 first, then the public respondents (if added)."""

    severity: np.ndarray       # > 0: harsher, scores lower by severity
    spread: np.ndarray         # < 1: central tendency
    halo: np.ndarray           # sd of the rater's impression of a subject
    resid_mult: np.ndarray     # residual noise factor (< 1 for halo raters)
    kind: np.ndarray           # index into KINDS
    drift: np.ndarray | None = None  # change of severity after the unit's first rated period


@dataclasses.dataclass
class Pairs:
    """One entry per (rater, subject, period) who rate each other: int32 ids, int8 codes.

    The arrays are tens of millions long at national scale.
    """

    subject: np.ndarray        # person index of the subject
    rater: np.ndarray          # person index (public respondents: P + k)
    role: np.ndarray           # index into ROLES
    period: np.ndarray         # period index
    public_subject: np.ndarray  # subject of each public respondent k

    @property
    def n_public(self) -> int:
        return len(self.public_subject)


def draw_rater_traits(rng: np.random.Generator, m: dict, units: Units, people: People) -> Raters:
    """Ok raters around the norm; cliques of ``lenient_clique`` / ``severe_clique`` units shifted
    by about -/+ ``clique_severity``; central and halo raters in ``low_agreement`` units.

    A rater's ``kind`` is what a calibration panel should find, whatever the unit's profile:
    an individual whose own severity is beyond ``kind_threshold`` is lenient/severe too.
    """
    P = people.n
    severity = rng.normal(0.0, m["severity_ok_sd"], P)
    spread = np.clip(rng.normal(1.0, m["spread_ok_sd"], P), 0.8, 1.2)
    halo = np.full(P, m["halo_ok"])
    resid_mult = np.ones(P)
    kind = np.zeros(P, dtype=np.int64)
    prof_p = units.profile[people.person_unit]
    u01 = rng.random(P)
    clique_sev = rng.normal(m["clique_severity"], m["clique_severity_sd"], P)
    in_clique = u01 < m["clique_share"]
    len_ = in_clique & (prof_p == PROFILES.index("lenient_clique"))
    sev_ = in_clique & (prof_p == PROFILES.index("severe_clique"))
    severity[len_] = -clique_sev[len_]
    severity[sev_] = clique_sev[sev_]
    kind[len_] = KINDS.index("lenient")
    kind[sev_] = KINDS.index("severe")
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
    return Raters(severity=severity, spread=spread, halo=halo, resid_mult=resid_mult, kind=kind)


def draw_pairs(rng: np.random.Generator, m: dict, units: Units, people: People, *, peers_per_subject: int,
               subordinates_per_leader: int) -> Pairs:
    """Who rates whom in which period: the internal 360-degree pairs, then the public's.

    The structural pairs are the same every period; each is repeated over its unit's rated
    periods and kept when the rater is present (``presence`` by role). Front-line staff are
    also rated by new anonymous SKM respondents each period.
    """
    s, r, g = _structural_pairs(rng, units, people, peers_per_subject, subordinates_per_leader)
    s, r, g, per = _rated_periods(rng, m, units, people, s, r, g)
    q_s, q_per = _public_respondents(rng, m, units, people)
    Q = len(q_s)
    q_r = (people.n + np.arange(Q)).astype(np.int32)
    return Pairs(subject=np.concatenate([s, q_s.astype(np.int32)]), rater=np.concatenate([r, q_r]),
                 role=np.concatenate([g, np.full(Q, ROLES.index("masyarakat"), dtype=np.int8)]),
                 period=np.concatenate([per, q_per.astype(np.int8)]), public_subject=q_s)


def _structural_pairs(rng, units: Units, people: People, peers_per_subject: int, subordinates_per_leader: int):
    """Rater-subject pairs of the rated units' employees (the same every period)."""
    S, U, T = people.n_subjects, units.n, people.n_teams
    s_unit, s_team, is_leader = people.unit, people.team, people.is_leader
    rs, ss, gs = [], [], []                                 # rater, subject, role
    # atasan: team leader for staff, unit head for leaders
    ss.append(np.arange(S)); rs.append(np.where(is_leader, S + s_unit, people.leader_of_team[s_team]))
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
    pr_s = np.concatenate(ss).astype(np.int32)
    pr_r = np.concatenate(rs).astype(np.int32)
    pr_g = np.concatenate(gs).astype(np.int8)
    keep = units.rated[s_unit[pr_s]]
    return pr_s[keep], pr_r[keep], pr_g[keep]


def _rated_periods(rng, m: dict, units: Units, people: People, pr_s, pr_r, pr_g):
    """Each pair once per rated period of its unit, kept when the rater takes part."""
    s_unit, w0 = people.unit, units.w0
    reps = units.n_rated_periods[s_unit[pr_s]]
    pidx = np.repeat(np.arange(len(pr_s), dtype=np.int64), reps)
    cum = np.cumsum(reps) - reps
    per = (w0[s_unit[pr_s]][pidx] + np.arange(len(pidx)) - cum[pidx]).astype(np.int8)
    pr_s, pr_r, pr_g = pr_s[pidx], pr_r[pidx], pr_g[pidx]
    presence = np.array([m["presence"].get(g, 1.0) for g in ROLES])
    here = rng.random(len(pr_s)) < presence[pr_g]
    return pr_s[here], pr_r[here], pr_g[here], per[here]


def _public_respondents(rng, m: dict, units: Units, people: People):
    """Subject and period of each anonymous SKM respondent: new ones each period, rating front-line staff."""
    S, s_unit, w0 = people.n_subjects, people.unit, units.w0
    service_unit = np.array([t in ("kecamatan", "distrik", "rsud") or n.startswith(("Disdukcapil", "DPMPTSP"))
                             for t, n in zip(units.type, units.names)], dtype=bool)  # one check per unit
    share = np.where(service_unit, min(1.0, m["frontline_share"] + 0.25), m["frontline_share"])
    frontline = rng.random(S) < share[s_unit]
    fs = np.flatnonzero(frontline & units.rated[s_unit])
    f_reps = units.n_rated_periods[s_unit[fs]]
    f_s = np.repeat(fs, f_reps)
    f_cum = np.cumsum(f_reps) - f_reps
    f_per = w0[s_unit[f_s]] + np.arange(len(f_s)) - np.repeat(f_cum, f_reps)
    n_pub = rng.binomial(m["public_per_subject"][0], m["public_per_subject"][1], len(f_s))
    return np.repeat(f_s, n_pub), np.repeat(f_per, n_pub)


def add_public_raters(rng: np.random.Generator, m: dict, raters: Raters, pairs: Pairs) -> Raters:
    """The public respondents' traits appended after the persons' (ok raters with their own spread of severity)."""
    Q = pairs.n_public
    return Raters(severity=np.concatenate([raters.severity, rng.normal(0.0, m["public_severity_sd"], Q)]),
                  spread=np.concatenate([raters.spread, np.ones(Q)]),
                  halo=np.concatenate([raters.halo, np.full(Q, m["public_halo"])]),
                  resid_mult=np.concatenate([raters.resid_mult, np.ones(Q)]),
                  kind=np.concatenate([raters.kind, np.zeros(Q, dtype=np.int64)]), drift=raters.drift)


def draw_drift(rng_d: np.random.Generator, m: dict, units: Units, people: People, pairs: Pairs) -> np.ndarray:
    """Change of severity after the unit's first rated period, per rater (0 for most).

    A share ``drift_share`` of the internal raters of units rated in two periods or more
    drift by about +-``drift_size``. ``rng_d`` is a stream of its own, so the rest of the
    study does not depend on the drift settings.
    """
    P, Q = people.n, pairs.n_public
    drift = np.zeros(P + Q)
    multi = np.zeros(P + Q, dtype=bool)
    multi[:P] = units.rated[people.person_unit] & (units.n_rated_periods[people.person_unit] >= 2)
    dr = multi & (rng_d.random(P + Q) < m["drift_share"])
    drift[dr] = rng_d.choice([-1.0, 1.0], int(dr.sum())) * rng_d.normal(m["drift_size"], m["drift_sd"], int(dr.sum()))
    return drift
