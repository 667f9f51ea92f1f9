"""Normal draws that reproduce R's ``set.seed(seed); rnorm(...)`` bit for bit.

HEAT and healthequal build their simulation intervals from R's default generator
(Mersenne-Twister, normal.kind "Inversion") seeded with 123456.  Reproducing that
stream lets ``summarize`` match the engines' simulated intervals exactly without
shipping their draws.  The Mersenne-Twister core is numpy's; R only differs in how a
seed fills the state (a linear congruential scramble) and in how two uniforms are
combined into one normal deviate (``qnorm`` of a 2^-27-refined uniform).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri

_R_UNIF_SCALE = 2.3283064365386963e-10  # 1 / 2^32, R's MT_genrand
_R_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1), R's fixup()
_BIG = 134217728.0  # 2^27, R's norm_rand INVERSION


@lru_cache(maxsize=16)
def _r_mt_key(seed: int) -> np.ndarray:
    s = int(seed) & 0xFFFFFFFF
    for _ in range(50):  # R's "initial scrambling"
        s = (69069 * s + 1) & 0xFFFFFFFF
    key = np.empty(625, dtype=np.uint32)
    for j in range(625):  # dummy[0] (position, reset to 624) then mt[0..623]
        s = (69069 * s + 1) & 0xFFFFFFFF
        key[j] = s
    key.setflags(write=False)
    return key


def _r_mt_state(seed: int) -> np.random.MT19937:
    """Return numpy's MT19937 in the state R's ``set.seed(seed)`` leaves it."""
    bitgen = np.random.MT19937()
    bitgen.state = {"bit_generator": "MT19937",
                    "state": {"key": _r_mt_key(int(seed))[1:].copy(), "pos": 624}}
    return bitgen


class NormalStream:
    """A sequential stream of standard normal deviates.

    ``RNormStream(seed)`` reproduces R; a numpy ``Generator`` gives ordinary numpy
    draws.  Deviates are produced in blocks and handed out in order, so that
    rejection sampling consumes exactly the deviates R would.
    """

    def __init__(self, source: int | np.random.Generator):
        if isinstance(source, np.random.Generator):
            self._gen = source
            self._bitgen = None
        else:
            self._gen = None
            self._bitgen = _r_mt_state(source)
        self._buffer = np.empty(0)

    def _fresh(self, k: int) -> np.ndarray:
        if self._gen is not None:
            return self._gen.standard_normal(k)
        raw = self._bitgen.random_raw(2 * k).astype(np.float64) * _R_UNIF_SCALE
        raw = np.where(raw <= 0.0, 0.5 * _R_I2_32M1, raw)
        raw = np.where(1.0 - raw <= 0.0, 1.0 - 0.5 * _R_I2_32M1, raw)
        u = np.floor(_BIG * raw[0::2]) + raw[1::2]
        return ndtri(u / _BIG)

    def take(self, k: int) -> np.ndarray:
        """Return the next ``k`` deviates."""
        if self._buffer.size < k:
            self._buffer = np.concatenate([self._buffer, self._fresh(k - self._buffer.size)])
        out, self._buffer = self._buffer[:k], self._buffer[k:]
        return out

    def push_back(self, z: np.ndarray) -> None:
        """Return unused deviates to the front of the stream."""
        self._buffer = np.concatenate([z, self._buffer])


def truncated_draws(
    stream: NormalStream,
    mean: np.ndarray,
    sd: np.ndarray,
    sims: int,
    upper: float | None,
    max_rejections: int = 100_000,
) -> np.ndarray | None:
    """Draw ``sims`` datasets the way HEAT/healthequal do.

    For each simulation and each subgroup in row order, draw ``N(mean_j, sd_j)``
    again and again until the value is >= 0 (and <= ``upper`` when given).
    Returns a ``(sims, n)`` array, or ``None`` when a subgroup keeps being rejected
    (e.g. se = 0 and an estimate above 100 on scale 100, where R loops forever).
    """
    n = mean.size
    total = sims * n
    mu = np.tile(mean, sims)
    sigma = np.tile(sd, sims)
    out = np.empty(total)
    pos = 0
    rejections = 0
    while pos < total:
        z = stream.take(total - pos)
        x = mu[pos:] + sigma[pos:] * z
        ok = x >= 0.0
        if upper is not None:
            ok &= x <= upper
        if ok.all():
            out[pos:] = x
            break
        bad = int(np.argmin(ok))
        out[pos : pos + bad] = x[:bad]
        pos += bad
        stream.push_back(z[bad + 1 :])
        rejections += 1
        if rejections > max_rejections:
            return None
    return out.reshape(sims, n)
