"""Child development scores: D-score and DAZ (as R ``dscore`` computes them) and ECDI2030.

The project ships no item bank or reference population. Users supply a key
(``key.csv`` + ``key_params.yaml``) and a DAZ reference (``reference.csv``). From R
(dscore installed; the GSED tables are AGPL-3 and stay with the user)::

    ib <- dscore::builtin_itembank; write.csv(ib[ib$key == "gsed2406", c("item", "tau")], "key.csv", row.names = FALSE)
    rf <- dscore::builtin_references; write.csv(rf[rf$key == "gsed2406", ], "reference.csv", row.names = FALSE)
    subset(dscore::builtin_keys, key == "gsed2406")  # transform and quadrature for key_params.yaml

Check the key and population names (``unique(ib$key)``, ``unique(rf$population)``) and
that the columns are those :meth:`Key.from_files` and :meth:`Reference.from_csv`
expect; pick one population with ``Reference.from_csv(path, population=...)``.
The prior-mean rule of a GSED key is internal to dscore; if it does not fit the
piecewise form of ``key_params.yaml``, compute the per-child prior means in R and
pass them as a column (``prior_mean="mu"``).

Everything under ``synthetic`` and :func:`synthetic_survey` is SYNTHETIC, for tests
and demonstrations only.
"""
from ._ecdi import (
    ECDI2030_BANDS,
    ECDI2030_DOMAINS,
    Ecdi2030Result,
    OnTrackPrevalence,
    ecdi2030,
    on_track_prevalence,
)
from ._key import Key, PriorPiece
from ._reference import Reference, daz, zad
from ._score import dscore, dscore_posterior, item_matrix
from ._synthetic import FREQUENCY_CODES, synthetic_key, synthetic_reference, synthetic_survey

__all__ = [
    "Key",
    "PriorPiece",
    "Reference",
    "daz",
    "zad",
    "dscore",
    "dscore_posterior",
    "item_matrix",
    "ecdi2030",
    "Ecdi2030Result",
    "ECDI2030_BANDS",
    "ECDI2030_DOMAINS",
    "on_track_prevalence",
    "OnTrackPrevalence",
    "synthetic_survey",
    "synthetic_key",
    "synthetic_reference",
    "FREQUENCY_CODES",
]
