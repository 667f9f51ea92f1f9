"""Child development scores: D-score and DAZ (as R ``dscore`` computes them) and ECDI2030.

The project ships no item bank or reference population. Users supply a key and a DAZ
reference as files. From R (dscore installed; the GSED tables are AGPL-3 and stay with
the user)::

    write.csv(dscore::builtin_itembank, "itembank.csv", row.names = FALSE)
    write.csv(dscore::builtin_references, "references.csv", row.names = FALSE)
    subset(dscore::builtin_keys, key == "gsed2406")  # transform and quadrature for key_params.yaml

then ``Key.from_itembank("itembank.csv", key="gsed2406", params="key_params.yaml")`` and
``Reference.from_csv("references.csv", population="preliminary_standards", key="gsed2406")``.
Items whose tau is NA in the bank are left out of the key (``Key.uncalibrated_``) and
answers to them are not counted, as in R. A key can also be a plain ``key.csv``
(``item, tau[, domain]``) read with :meth:`Key.from_files`. The prior-mean rule of a
key (R ``dscore:::count_mu_*``) goes into ``key_params.yaml`` as ``prior.mean_pieces``;
if it does not fit that piecewise form, compute the per-child prior means in R and
pass them as a column (``prior_mean="mu"``).

A team with its own instrument estimates difficulties from data with
:func:`calibrate` (pairwise Rasch, two anchor items) and scores with
``calibrate(...).key()``.

Everything under ``synthetic`` and :func:`synthetic_survey` is SYNTHETIC, for tests
and demonstrations only.
"""
from ._calibrate import Calibration, KeyLink, calibrate, link_to_key
from ._ecdi import (
    ECDI2030_BANDS,
    ECDI2030_DOMAINS,
    Ecdi2030Result,
    OnTrackPrevalence,
    ecdi2030,
    on_track_prevalence,
)
from ._instruments import dimension_coverage, instruments
from ._key import Key, PriorPiece
from ._milestones import PassingAges, pass_rates, passing_ages
from ._reference import Reference, daz, zad
from ._score import dscore, dscore_posterior, item_matrix
from ._synthetic import FREQUENCY_CODES, synthetic_key, synthetic_reference, synthetic_responses, synthetic_survey

__all__ = [
    "Key",
    "PriorPiece",
    "Reference",
    "daz",
    "zad",
    "dscore",
    "dscore_posterior",
    "item_matrix",
    "calibrate",
    "Calibration",
    "link_to_key",
    "KeyLink",
    "passing_ages",
    "PassingAges",
    "pass_rates",
    "instruments",
    "dimension_coverage",
    "ecdi2030",
    "Ecdi2030Result",
    "ECDI2030_BANDS",
    "ECDI2030_DOMAINS",
    "on_track_prevalence",
    "OnTrackPrevalence",
    "synthetic_survey",
    "synthetic_key",
    "synthetic_reference",
    "synthetic_responses",
    "FREQUENCY_CODES",
]
