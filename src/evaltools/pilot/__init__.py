"""Pilot-vs-control impact: balance, difference-in-differences for staggered waves,
event studies, few-cluster inference, single-unit estimates and tests, partial pooling
across pilot units and rollout power.

The public names live in private submodules by method family; they are imported
here on first use so ``import evaltools.pilot`` stays cheap in a unit notebook.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    # Callaway & Sant'Anna (2021) and event studies
    "staggered_att": "_staggered",
    "StaggeredResult": "_staggered",
    "AggregateResult": "_aggregate",
    "event_study": "_staggered",
    # 2x2 / TWFE, few-cluster inference, balance, single-unit, power, multiplicity
    "balance_table": "_balance",
    "did": "_did",
    "wild_cluster_bootstrap": "_wild",
    "randomization_inference": "_randinf",
    "unit_effect": "_synth",
    "unit_effects": "_synth",
    "UnitEffect": "_synth",
    "control_window": "_window",
    "ControlWindow": "_window",
    # one pilot unit against few controls, and partial pooling across pilot units
    "unit_did_test": "_inference",
    "unit_did_tests": "_inference",
    "pooled_unit_effects": "_pooling",
    "PooledEffects": "_pooling",
    "pooled_power": "_pooling",
    "pooled_mde": "_pooling",
    "power": "_power",
    "mde": "_power",
    "adjust_pvalues": "evaltools._multitest",  # one definition, shared
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'evaltools.pilot' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod if "." in mod else f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
