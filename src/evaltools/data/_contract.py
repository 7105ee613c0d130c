"""The names of the data contract: table columns, rater roles and loader limits, defined once."""
from __future__ import annotations

RATING_COLUMNS = ("period", "unit", "subject", "rater", "rater_role", "item", "score")
UNIT_COLUMNS = ("unit", "region", "first_treated")
OUTCOME_KEYS = ("unit", "period")
#: contract columns holding personal names: read only to be dropped
NAME_COLUMNS = ("subject_name", "rater_name")
#: columns whose values are person identifiers and get pseudonymized
ID_COLUMNS = ("subject", "rater")
#: ratings columns held as pandas categoricals in a loaded Study (``period`` too, ordered)
CATEGORICAL_COLUMNS = ("unit", "subject", "rater", "rater_role", "item")
# the categoricals whose categories are the values present (rater_role keeps the declared roles)
_ID_CATEGORIES = ("unit", "subject", "rater", "item")
DEFAULT_ROLES = ("atasan", "rekan_kerja", "bawahan", "masyarakat", "diri_sendiri")
DEFAULT_KEY_ENV = "EVALTOOLS_KEY"
MAX_PROBLEMS = 50
PSEUDONYM_PREFIX = "P-"
