"""Child development scores: D-score and DAZ (as R ``dscore`` computes them) and ECDI2030."""
from ._key import Key, PriorPiece
from ._reference import Reference, daz, zad
from ._score import dscore, dscore_posterior, item_matrix

__all__ = ["Key", "PriorPiece", "Reference", "daz", "zad", "dscore", "dscore_posterior", "item_matrix"]
