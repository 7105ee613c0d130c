"""evaltools: evaluation toolkit for staged pilot rollouts of ASN performance appraisal."""
__version__ = "0.1.0"
