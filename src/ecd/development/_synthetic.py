"""SYNTHETIC key, references and survey for tests, doctests and the demo notebook.

Everything here is invented (see ``synthetic/README.md``): never use it to score
real data and never show it in the book except labelled SYNTHETIC.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

_HERE = Path(__file__).resolve().parent / "synthetic"


def synthetic_key_paths() -> tuple[Path, Path]:
    """Paths of the SYNTHETIC ``key.csv`` and ``key_params.yaml`` shipped for tests and demos."""
    return _HERE / "synthetic_key.csv", _HERE / "synthetic_key_params.yaml"


def synthetic_itembank_path() -> Path:
    """Path of the SYNTHETIC item bank in R dscore's export layout (keys ``zz_synthetic``, ``zz_other``).

    Key ``zz_synthetic`` is the SYNTHETIC key with five items whose tau is NA.
    """
    return _HERE / "synthetic_itembank.csv"


def synthetic_reference_path(kind: str = "bct") -> Path:
    """Path of the SYNTHETIC BCT (``"bct"``) or LMS (``"lms"``) reference table."""
    if kind not in ("bct", "lms"):
        from ecd.errors import ParameterError

        raise ParameterError("kind", f"{kind!r}: the SYNTHETIC references are 'bct' and 'lms'.")
    return _HERE / f"synthetic_reference_{kind}.csv"


def synthetic_key():
    """The SYNTHETIC 60-item key (tests and demonstrations only; not a real item bank).

    Examples
    --------
    >>> from ecd.development import synthetic_key
    >>> synthetic_key().name
    'zz_synthetic'
    """
    from ._key import Key

    return Key.from_files(*synthetic_key_paths())


def synthetic_reference(kind: str = "bct"):
    """The SYNTHETIC DAZ reference, ``"bct"`` (2 weeks to 4 years) or ``"lms"`` (0–5 years).

    Examples
    --------
    >>> from ecd.development import synthetic_reference
    >>> synthetic_reference("lms").distribution
    'LMS'
    """
    from ._reference import Reference

    return Reference.from_csv(synthetic_reference_path(kind))


def synthetic_responses(n: int = 1000, *, random_state: int | np.random.Generator | None = None,
                        missing: float = 0.1, window: float = 18.0, return_truth: bool = False):
    """SYNTHETIC 0/1 answers to the 60 SYNTHETIC key items, for calibration tests and demos.

    Children aged 1–42 months; true D-scores from the SYNTHETIC BCT reference at a
    standard-normal z; answers drawn from the Rasch model with the key's
    difficulties. An item is given when its difficulty is within ``window`` D of
    the key's prior mean at the child's age (so which items a child answers
    depends on age only), and then left missing with probability ``missing``.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, numpy.ndarray)
        ``age`` (years) and the 60 item columns; with ``return_truth`` also the
        true D-scores.

    Examples
    --------
    >>> from ecd.development import synthetic_responses
    >>> synthetic_responses(5, random_state=0).shape
    (5, 61)
    """
    rng = np.random.default_rng(random_state)
    key = synthetic_key()
    ref = synthetic_reference("bct")
    age = np.round(rng.uniform(1.0, 42.0, n) / 12.0, 4)
    d_true = ref.zad(rng.normal(0.0, 1.0, n), np.clip(age, ref.age[0], ref.age[-1]), dec=None)
    prob = 1.0 / (1.0 + np.exp(-(d_true[:, None] - key.tau[None, :]) / key.slope))
    x = (rng.random(prob.shape) < prob).astype(float)
    given = np.abs(key.tau[None, :] - key.prior_mean(age)[:, None]) < window
    x[~given | (rng.random(prob.shape) < missing)] = np.nan
    frame = pd.concat([pd.DataFrame({"age": age}), pd.DataFrame(x, columns=list(key.items))], axis=1)
    return (frame, d_true) if return_truth else frame


_REGIONS = ("East", "Central", "West")
# ECDI2030 items: age (months) at which half the children achieve each item, SYNTHETIC
_ECDI_MEDIAN_MONTHS = np.array([14, 18, 22, 26, 16, 20, 24, 27, 30, 33, 36, 39, 42, 45, 50,
                                21, 28, 34, 30, 38], dtype=float)
#: Codes of the SYNTHETIC frequency items 19-20: 1 daily, 2 weekly, 3 monthly, 4 a few times a
#: year, 5 never; 8 = don't know.
FREQUENCY_CODES = {1: "daily", 2: "weekly", 3: "monthly", 4: "few_times_year", 5: "never"}


def synthetic_survey(n: int = 2000, *, random_state: int | np.random.Generator | None = None,
                     psu_per_stratum: int = 10) -> pd.DataFrame:
    """A SYNTHETIC cluster sample of children 0–59 months with D-score and ECDI2030 items.

    Not data about any country: development is drawn from the SYNTHETIC key and
    BCT reference shipped for tests (rural children 0.3 SD lower, a PSU effect),
    so every figure made from it must be labelled SYNTHETIC.

    Parameters
    ----------
    n : int
        Number of children.
    random_state : int, numpy.random.Generator or None
        Seed or generator; the same seed gives the same survey.
    psu_per_stratum : int
        PSUs per stratum; strata are region x area (6 strata).

    Returns
    -------
    pandas.DataFrame
        ``id, region, area (urban/rural), stratum, psu (restarting within stratum),
        weight, sex (male/female), agedays, age_months``; the 60 SYNTHETIC key items
        (0/1, missing = not administered, children under 4 years only); and
        ``ecdi01`` … ``ecdi20`` for children 24–59 months (items 1–18 coded 1/0,
        items 19–20 coded 1–5 as :data:`FREQUENCY_CODES`, 8 = don't know, about 1 %
        missing).

    Examples
    --------
    >>> from ecd.development import synthetic_survey
    >>> synthetic_survey(4, random_state=0).columns[:6].tolist()
    ['id', 'region', 'area', 'stratum', 'psu', 'weight']
    """
    rng = np.random.default_rng(random_state)
    n_strata = 2 * len(_REGIONS)
    stratum = rng.integers(0, n_strata, n)
    psu = rng.integers(0, psu_per_stratum, n)
    rural = stratum % 2 == 1
    effect = rng.normal(0.0, 0.3, (n_strata, psu_per_stratum))[stratum, psu]
    z = -0.3 * rural + effect + rng.normal(0.0, 0.95, n)
    sex = np.where(rng.random(n) < 0.52, "male", "female")
    agedays = rng.integers(0, 1826, n)
    months = agedays / (365.25 / 12)

    key = synthetic_key()
    ref = synthetic_reference("bct")
    a = np.round(agedays / 365.25, 4)
    d_true = ref.zad(z, np.clip(a, ref.age[0], ref.age[-1]), dec=None)
    p = 1.0 / (1.0 + np.exp(-(d_true[:, None] - key.tau[None, :]) / key.slope))
    gsed = (rng.random(p.shape) < p).astype(float)
    # an item is administered when it is within reach of the child's expected level
    administered = (np.abs(key.tau[None, :] - key.prior_mean(a)[:, None]) < 18) & (a[:, None] < 4)
    gsed[~administered | (rng.random(p.shape) < 0.05)] = np.nan

    logit = (months[:, None] - _ECDI_MEDIAN_MONTHS[None, :] - 3.0) / 5.0 + 1.2 * z[:, None]
    ecdi = (rng.random(logit.shape) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    freq = np.where(ecdi[:, 18:] == 1, rng.integers(4, 6, (n, 2)), rng.integers(1, 4, (n, 2))).astype(float)
    ecdi[:, 18:] = freq
    ecdi[rng.random(ecdi.shape) < 0.01] = np.nan
    dk = rng.random(ecdi.shape) < 0.005
    ecdi[dk] = 8.0
    ecdi[(months < 24) | (months >= 60)] = np.nan

    base = np.where(rural, 900.0, 500.0) * (1 + 0.4 * (stratum // 2))
    frame = pd.DataFrame({
        "id": [f"S{i:05d}" for i in range(1, n + 1)],
        "region": np.array(_REGIONS)[stratum // 2],
        "area": np.where(rural, "rural", "urban"),
        "stratum": stratum + 1,
        "psu": psu + 1,
        "weight": np.round(base * rng.uniform(0.7, 1.3, n), 3),
        "sex": sex,
        "agedays": agedays,
        "age_months": np.round(months, 2),
    })
    items = pd.DataFrame(gsed, columns=list(key.items))
    ecdi_cols = pd.DataFrame(ecdi, columns=[f"ecdi{k:02d}" for k in range(1, 21)])
    out = pd.concat([frame, items, ecdi_cols], axis=1)
    return out.sort_values(["stratum", "psu", "id"], kind="stable").reset_index(drop=True)
