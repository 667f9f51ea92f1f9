"""Confidence intervals for proportions, as R ``survey``'s ``svyciprop``."""
from __future__ import annotations

import numpy as np
from scipy import special, stats

from ecd.survey._variance import factor_variances

METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit")

_THRESH = 30.0
_EPS = np.finfo(float).eps


def _linkinv(eta):
    """R's ``binomial()$linkinv`` (C ``logit_linkinv``), thresholds included."""
    eta = np.asarray(eta, dtype=float)
    tmp = np.where(eta < -_THRESH, _EPS, np.where(eta > _THRESH, 1 / _EPS, np.exp(np.clip(eta, -_THRESH, _THRESH))))
    return tmp / (1 + tmp)


def _mu_eta(eta):
    eta = np.asarray(eta, dtype=float)
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    return np.where(np.abs(eta) > _THRESH, _EPS, e / (1 + e) ** 2)


def _dev(y1, y0, mu):
    """Binomial deviance from the weighted counts of ones and zeros."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * (y1 * np.log(1 / mu) + y0 * np.log(1 / (1 - mu)))


def logit_fit(prep, y, dmask_weights):
    """Intercept-only quasi-binomial IRLS per domain, as R's ``glm.fit``.

    R's ``svyglm`` rescales the weights to mean 1 within the (domain) design and
    starts from ``mustart = (w y + 0.5) / (w + 1)``; the fitted probability
    differs from the weighted mean by the convergence tolerance (1e-8 on the
    deviance), and R reports the fitted one. The iterations are reproduced to
    report the same number. Returns the coefficient per domain, the working
    weights of the last iteration (per row, or per domain as a factor of the
    prior weight when every domain needed more than one iteration) and their
    sum per domain.
    """
    d, D = prep.d, prep.D
    wt = dmask_weights
    if np.all(wt < 1e12):
        # First iteration in closed form. With y in {0, 1}, mustart is
        # q = (w + .5)/(w + 1) for y = 1 and 1 - q for y = 0, so eta = +-log(2w + 1),
        # the working weight is w q (1 - q) for both and z = eta +- 1/q. Equal to
        # glm.fit's arithmetic up to rounding (1e-16); sums are split by y with
        # one bincount on 2 * domain + y.
        yi = y.astype(np.int64)
        idx2 = 2 * d + yi
        inv_t = 1.0 / (wt + 1.0)
        u = wt + 0.5
        q = u * inv_t
        w2 = wt * q * (0.5 * inv_t)
        a = w2 * (np.log(2.0 * u) + 1.0 / q)

        def by_y(v):
            return np.bincount(idx2, weights=v, minlength=2 * D).reshape(D, 2)

        sa = by_y(a)
        sw2 = by_y(w2).sum(1)
        beta = (sa[:, 1] - sa[:, 0]) / sw2
        devold = -2.0 * by_y(wt * np.log(q)).sum(1)
        swt_y = by_y(wt)
        swt = swt_y.sum(1)
        y1 = swt_y[:, 1]
    else:
        mustart = (wt * y + 0.5) / (wt + 1)
        eta = np.log(mustart / (1 - mustart))
        mu = _linkinv(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev_rows = 2 * wt * np.where(y == 1, np.log(1 / mu), np.log(1 / (1 - mu)))
        devold = np.bincount(d, weights=dev_rows, minlength=D)
        me = _mu_eta(eta)
        w2 = wt * me ** 2 / (mu * (1 - mu))
        sw2 = np.bincount(d, weights=w2, minlength=D)
        beta = np.bincount(d, weights=w2 * (eta + (y - mu) / me), minlength=D) / sw2
        swt = np.bincount(d, weights=wt, minlength=D)
        y1 = np.bincount(d, weights=wt * y, minlength=D)
    y0 = swt - y1
    mu_d = _linkinv(beta)
    dev = _dev(y1, y0, mu_d)
    done = np.abs(dev - devold) / (np.abs(dev) + 0.1) < 1e-8
    last_w_scale = np.full(D, np.nan)  # per-domain factor: w2_i = wt_i * factor after iter 1
    first_iter_done = done.copy()
    devold = dev
    for _ in range(24):
        if done.all():
            break
        act = ~done
        eta_d = beta[act]
        mu_a = _linkinv(eta_d)
        me_a = _mu_eta(eta_d)
        fac = me_a ** 2 / (mu_a * (1 - mu_a))
        # weighted least squares of z = eta + (y - mu)/mu.eta on an intercept
        num = fac * (eta_d * swt[act] + (y1[act] - mu_a * swt[act]) / me_a)
        beta[act] = num / (fac * swt[act])
        last_w_scale[act] = fac
        sw2[act] = fac * swt[act]
        mu_new = _linkinv(beta[act])
        dev_new = _dev(y1[act], y0[act], mu_new)
        conv = np.abs(dev_new - devold[act]) / (np.abs(dev_new) + 0.1) < 1e-8
        devold[act] = dev_new
        idx = np.flatnonzero(act)
        done[idx[conv]] = True
    # working weights of the last iteration: per row in iteration 1, else w * factor
    if first_iter_done.any():
        w_last = np.where(first_iter_done[d], w2, wt * last_w_scale[d])
        return beta, w_last, np.bincount(d, weights=w_last, minlength=D), False
    return beta, last_w_scale, last_w_scale * swt, True


def _logit_interval(design, prep, y, conf_level, df, method):
    from ecd.survey._estimate import _variance

    w_norm = prep.w / (np.bincount(prep.dcode_all, weights=design._w, minlength=prep.D)
                       / prep.nrow)[prep.d]
    beta, w_last, sw_last, per_domain = logit_fit(prep, y, w_norm)
    mu = _linkinv(beta)
    # svyglm's sandwich: estfun = x * working residual * working weight, times (X'WX)^-1
    if per_domain:
        infl = w_norm * (y - mu[prep.d]) * (w_last / _mu_eta(beta) / sw_last)[prep.d]
    else:
        infl = (y - mu[prep.d]) / _mu_eta(beta)[prep.d] * w_last / sw_last[prep.d]
    se_beta = np.sqrt(factor_variances(_variance(design, prep, infl[None, :])))
    point = np.exp(beta) / (1 + np.exp(beta))
    if method == "likelihood":
        from ecd.survey._profile import likelihood_interval
        lo, hi = likelihood_interval(design, prep, y, w_norm, beta, se_beta, w_last, sw_last,
                                     conf_level, df)
        return lo, hi, point
    with np.errstate(invalid="ignore"):
        tlevel = 1 - 2 * stats.norm.cdf(stats.t.ppf((1 - conf_level) / 2, np.where(df > 0, df, np.nan)))
        q = stats.norm.ppf((1 + tlevel) / 2)
    lo = beta - q * se_beta
    hi = beta + q * se_beta
    return np.exp(lo) / (1 + np.exp(lo)), np.exp(hi) / (1 + np.exp(hi)), point


def interval(method, design, prep, est, se, conf_level, df, nrow):
    """Lower and upper limits and the reported point estimate per domain."""
    a = 1 - conf_level
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.t.isf(a / 2, np.where(df > 0, df, np.nan))
        if method in ("logit", "likelihood"):
            return _logit_interval(design, prep, prep.y[0], conf_level, df, method)
        if method == "mean":
            return est - q * se, est + q * se, est
        if method == "xlogit":
            lg = np.log(est / (1 - est))
            s = se / (est * (1 - est))
            lo, hi = lg - q * s, lg + q * s
            return np.exp(lo) / (1 + np.exp(lo)), np.exp(hi) / (1 + np.exp(hi)), est
        if method == "asin":
            x = np.arcsin(np.sqrt(est))
            s = se / (2 * np.sqrt(est * (1 - est)))
            return np.sin(x - q * s) ** 2, np.sin(x + q * s) ** 2, est
        # beta (Korn-Graubard) with R's effective sample size
        n_eff = est * (1 - est) / se ** 2
        n_eff = n_eff * (stats.t.ppf(a / 2, nrow - 1) / stats.t.ppf(a / 2, np.where(df > 0, df, np.nan))) ** 2
        lo = _qbeta(a / 2, n_eff * est, n_eff * (1 - est) + 1)
        hi = _qbeta(1 - a / 2, n_eff * est + 1, n_eff * (1 - est))
        return lo, hi, est


def _qbeta(p, a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        out = special.betaincinv(np.where(a > 0, a, 1.0), np.where(b > 0, b, 1.0), p)
    out = np.where(a == 0, 0.0, out)
    out = np.where(b == 0, 1.0, out)
    return np.where(np.isnan(a) | np.isnan(b), np.nan, out)
