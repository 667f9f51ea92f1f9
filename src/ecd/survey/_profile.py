"""``svyciprop(method="likelihood")``: R survey's scaled profile-likelihood interval.

R profiles the quasi-binomial deviance of the intercept on a grid of at most
nine steps each side (MASS's ``profile.glm`` as copied into ``survey``), fits an
FMM cubic spline through (coefficient, signed root deviance), evaluates it on
``3 * points`` equally spaced coefficients and inverts it by linear
interpolation at the rescaled normal cut-offs. The interval is therefore the
root of that interpolant, not of the exact profile; reproducing R's number
means reproducing the grid, the spline and the interpolation.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from ecd.survey._ciprop import _linkinv


def _fmm_coef(x, y):
    """Forsythe-Malcolm-Moler cubic spline coefficients (R ``spline(method="fmm")``)."""
    n = len(x)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 2:
        return b, c, d
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[nm1 - 1]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[nm1 - 1] / (x[nm1] - x[nm1 - 2]) - c[nm1 - 2] / (x[nm1 - 1] - x[nm1 - 3])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[nm1 - 1] * d[nm1 - 1] / (x[nm1] - x[nm1 - 3])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(nm1 - 1, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[nm1 - 1]) / d[nm1 - 1] + d[nm1 - 1] * (c[nm1 - 1] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[nm1 - 1]
    return b, c, d


def spline_fmm(x, y, n_out=None):
    """R's ``spline(x, y)``: values of the FMM spline on ``3 * len(x)`` equally spaced points."""
    order = np.argsort(x, kind="stable")
    x = np.asarray(x, float)[order]
    y = np.asarray(y, float)[order]
    n_out = 3 * len(x) if n_out is None else n_out
    b, c, d = _fmm_coef(x, y)
    u = np.linspace(x[0], x[-1], n_out)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, len(x) - 1)
    dx = u - x[i]
    return u, y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def _approx(x, y, xout):
    """R's ``approx(x, y, xout)`` (linear, ties averaged, NA outside the range)."""
    xs, inv = np.unique(x, return_inverse=True)
    ys = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, xs, ys)
    return np.where((xout < xs[0]) | (xout > xs[-1]), np.nan, out)


def _deviance(y, w, mu):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(2 * w * np.where(y == 1, np.log(1 / mu), np.log(1 / (1 - mu)))))


def likelihood_interval(design, prep, y, w_norm, beta, se_beta, w_last, sw_last, conf_level, df):
    """Per-domain limits of ``svyciprop(method="likelihood")``."""
    D = prep.D
    lo = np.full(D, np.nan)
    hi = np.full(D, np.nan)
    for k in range(D):
        rows = prep.d == k
        yk, wk, wdes = y[rows], w_norm[rows], prep.w[rows]
        n = int(rows.sum())
        if n < 2 or not np.isfinite(se_beta[k]) or se_beta[k] == 0 or not df[k] > 0:
            continue
        mu0 = _linkinv(beta[k])
        dev0 = _deviance(yk, wk, mu0)
        # summary.svyglm's dispersion: svyvar of residuals.svyglm(type="pearson"),
        # which divides the sampling weight (rescaled after dropping NAs) back out
        pw = wdes / wdes.mean()
        r = (yk - mu0) * np.sqrt(wk / pw) / np.sqrt(mu0 * (1 - mu0))
        nz = np.count_nonzero(wdes)
        rbar = np.sum(wdes * r) / np.sum(wdes)
        disp = np.sum(wdes * (r - rbar) ** 2 * nz / (nz - 1)) / np.sum(wdes)
        lam = se_beta[k] ** 2 * sw_last[k]
        alpha = stats.norm.cdf(stats.t.ppf((1 - conf_level) / 2, df[k]) * np.sqrt(lam)) / 2
        zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
        step_size = zmax / 5
        pars, zs = [beta[k]], [0.0]
        for sgn in (-1.0, 1.0):
            step, z = 0, 0.0
            while (step := step + 1) < 10 and abs(z) < zmax:
                bi = beta[k] + sgn * step * step_size * se_beta[k]
                zz = (_deviance(yk, wk, _linkinv(bi)) - dev0) / disp
                zz = max(zz, 0.0)
                z = sgn * np.sqrt(zz)
                pars.append(bi)
                zs.append(z)
        order = np.argsort(zs, kind="stable")
        px, pz = np.asarray(pars)[order], np.asarray(zs)[order]
        sx, sy = spline_fmm(px, pz)
        cut = stats.norm.ppf([2 * alpha, 1 - 2 * alpha])
        lim = _approx(sy, sx, cut)
        lo[k], hi[k] = np.exp(lim) / (1 + np.exp(lim))
    return lo, hi
