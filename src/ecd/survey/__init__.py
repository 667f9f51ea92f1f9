"""Design-based survey estimation (Taylor linearization), validated against R ``survey``.

A :class:`Design` is built once from a tidy data frame (strata, PSUs, weights,
fpc); its methods return frozen result objects whose ``.tidy()`` gives one long
DataFrame (``variable``, the ``by`` columns, ``domain``, ``estimate, se,
ci_low, ci_high, ci_method, df, deff, deff_replace, n``); ``result.vcov`` is
the covariance of all estimates (domains and variables) for contrasts.

Models and weights, as R ``survey``: :func:`glm` (``svyglm``: gaussian,
binomial, poisson and their quasi families, R-like formulas, design-based
SEs) with :meth:`GLMResult.margins` (predictive margins and average marginal
effects); ``Design.postStratify``, ``Design.rake`` and ``Design.calibrate``
return calibrated designs; :class:`ReplicateDesign` estimates from replicate
weights (JK1, JKn, BRR, Fay, bootstrap).

Many indicators by the same domains are one call:
``design.mean(["stunted", "wasted", ...], by="area", na="drop_each")`` gives the
numbers of one call per variable (each with its own missing values) in one pass;
``vcov=False`` skips what only the covariance needs (standard errors only).

>>> import pandas as pd
>>> from ecd.survey import Design
>>> df = pd.DataFrame({"s": [1, 1, 2, 2], "c": [1, 2, 3, 4], "w": [2.0, 2, 3, 3],
...                    "y": [1, 0, 1, 1], "g": ["u", "r", "u", "r"]})
>>> d = Design(df, strata="s", psu="c", weights="w")
>>> d.proportion("y", by="g", ci="mean").tidy()[["g", "estimate"]].values.tolist()
[['r', 0.6], ['u', 1.0]]
"""
from ecd.survey._design import LONELY_PSU, Design
from ecd.survey._glm import FAMILIES, GLMResult, glm
from ecd.survey._margins import MarginsResult
from ecd.survey._replicate import ReplicateDesign
from ecd.survey._results import ContrastResult, EstimateResult, ProportionResult

__all__ = ["Design", "EstimateResult", "ProportionResult", "ContrastResult", "LONELY_PSU",
           "glm", "GLMResult", "MarginsResult", "FAMILIES", "ReplicateDesign"]
