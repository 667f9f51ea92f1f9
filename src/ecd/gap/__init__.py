"""Why a gap exists: Blinder-Oaxaca and Fairlie decompositions, design-aware.

``oaxaca`` splits a gap in a mean outcome between two groups into the part
explained by differences in characteristics and the part due to different
coefficients (R ``oaxaca``, Stata ``oaxaca``); ``fairlie`` does the same for a
binary outcome through a logit model (Stata ``fairlie``).

>>> import ecd
>>> sorted(ecd.gap.REFERENCES)
['cotton', 'group0', 'group1', 'neumark', 'pooled', 'reimers']
"""
from ecd.gap._fairlie import FAIRLIE_REFERENCES, FairlieResult, fairlie
from ecd.gap._oaxaca import REFERENCES, OaxacaResult, oaxaca

__all__ = ["oaxaca", "OaxacaResult", "REFERENCES", "fairlie", "FairlieResult", "FAIRLIE_REFERENCES"]
