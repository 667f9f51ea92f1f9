"""Breakpoints as R ``segmented`` 1.6-2 estimates them (Muggeo 2003, 2008).

``segmented(lm, seg.Z = ~x, npsi = k)`` starts from quantiles of x, runs
Muggeo's iteration (a least-squares step for γ/β, then a Brent line search on
the step length, as R's ``optimize``) and, by default, ten bootstrap restarts
with ``set.seed(12345)``. The optimum it reports is a local one and depends on
those restarts, so matching it means following the same steps with R's random
numbers: this module carries R's Mersenne-Twister seeding, ``unif_rand`` and
rejection ``sample``, R's ``fmin`` and the restart bookkeeping of
``seg.lm.fit.boot``. ``selgmented(type = "bic")`` is emulated as well.
"""
from __future__ import annotations

import math

import numpy as np

from ecd.errors import ModelError

_I2_32M1 = 2.328306437080797e-10
_TOL_OPT = np.finfo(float).eps ** 0.25


class RRandom:
    """R's default generator (Mersenne-Twister, Inversion, Rejection sampling)."""

    def __init__(self, seed: int):
        s = seed & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        key = np.empty(625, dtype=np.uint32)
        for j in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            key[j] = s
        self._bg = np.random.MT19937()
        # key[0] is R's "mti" slot (set to 624 by FixupSeeds); the state is key[1:]
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}

    def unif_rand(self) -> float:
        x = float(self._bg.random_raw()) * 2.3283064365386963e-10
        if x <= 0.0:
            return 0.5 * _I2_32M1
        if 1.0 - x <= 0.0:
            return 1.0 - 0.5 * _I2_32M1
        return x

    def _rbits(self, bits: int) -> int:
        v = 0
        for _ in range(0, bits + 1, 16):
            v = 65536 * v + int(math.floor(self.unif_rand() * 65536))
        return v & ((1 << bits) - 1)

    def unif_index(self, dn: int) -> int:
        if dn <= 0:
            return 0
        bits = int(math.ceil(math.log2(dn)))
        while True:
            dv = self._rbits(bits)
            if dn > dv:
                return dv

    def sample_replace(self, n: int, size: int) -> np.ndarray:
        """``sample(n, size, replace = TRUE) - 1`` (0-based indices)."""
        return np.array([self.unif_index(n) for _ in range(size)], dtype=int)

    def runif(self, a: float, b: float) -> float:
        return a + (b - a) * self.unif_rand()


def brent_fmin(f, ax: float, bx: float, tol: float = _TOL_OPT) -> float:
    """R's ``optimize`` minimiser (Brent's fmin, as in R's fmin.c)."""
    c = (3.0 - math.sqrt(5.0)) * 0.5
    eps = math.sqrt(np.finfo(float).eps)
    a, b = ax, bx
    v = w = x = a + c * (b - a)
    d = e = 0.0
    fx = f(x)
    fv = fw = fx
    tol3 = tol / 3.0
    while True:
        xm = (a + b) * 0.5
        tol1 = eps * abs(x) + tol3
        t2 = tol1 * 2.0
        if abs(x - xm) <= t2 - (b - a) * 0.5:
            break
        p = q = r = 0.0
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = (q - r) * 2.0
            if q > 0.0:
                p = -p
            else:
                q = -q
            r = e
            e = d
        if abs(p) >= abs(q * 0.5 * r) or p <= q * (a - x) or p >= q * (b - x):
            e = (b - x) if x < xm else (a - x)
            d = c * e
        else:
            d = p / q
            u = x + d
            if u - a < t2 or b - u < t2:
                d = tol1 if x < xm else -tol1
        if abs(d) >= tol1:
            u = x + d
        elif d > 0.0:
            u = x + tol1
        else:
            u = x - tol1
        fu = f(u)
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv = w, fw
                w, fw = u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x


class _Fail(Exception):
    """seg.lm.fit stopped with an error (R's try() catches it)."""


def _r_quantile(z, probs):
    return np.quantile(np.asarray(z, float), probs)  # type 7, R's default


def _lsq(X, y, w):
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], y * sw
    beta, _, rank, sv = np.linalg.lstsq(Xw, yw, rcond=None)
    resid = yw - Xw @ beta
    return beta, float(resid @ resid), rank, sv


def _mylm_sse(X, y, w):
    """SSE as segmented's internal ``mylm``: normal equations solved by LAPACK (R's solve)."""
    sw = np.sqrt(w)
    x1, y1 = X * sw[:, None], y * sw
    b = np.linalg.solve(x1.T @ x1, x1.T @ y1)
    r = y - X @ b
    return float(np.sum(r * r * w))


def _qr_coef(X, y, w):
    """Coefficients as ``lm.wfit`` (Householder QR of the weighted design)."""
    sw = np.sqrt(w)
    q, r = np.linalg.qr(X * sw[:, None])
    return np.linalg.solve(r, q.T @ (y * sw))


def _rank_ok(X, w) -> bool:
    # lm.wfit's pivoted QR drops columns whose residual norm falls below 1e-7
    # of their own norm; the condition of the scaled design is a close proxy
    Xw = X * np.sqrt(w)[:, None]
    norms = np.linalg.norm(Xw, axis=0)
    if np.any(norms == 0):
        return False
    _, r = np.linalg.qr(Xw / norms)
    return bool(np.min(np.abs(np.diag(r))) > 1e-7)


def _counts(z, psi, strict=True):
    above = (z[:, None] > psi[None, :]) if strict else (z[:, None] >= psi[None, :])
    bins = above.sum(axis=1)
    return np.bincount(bins, minlength=0)


def _far_psi(z, psi, fc):
    k = psi.size
    nj = _counts(z, psi)
    if nj.size != k + 1:
        nj = _counts(z, psi, strict=False)
    if nj.size < k + 1:
        nj = np.concatenate([nj, np.zeros(k + 1 - nj.size, dtype=int)])
    ok = nj >= 2
    far = ok[:-1] & ok[1:]
    factor = np.where(np.diff(nj) > 0, 1.0 / fc, fc)
    return far, factor


def seg_lm_fit(y, X, z, psi, w, opz, return_all=False):
    """Port of ``segmented:::seg.lm.fit`` for one segmented variable (pow = 1)."""
    psi = np.asarray(psi, float).copy()
    range_z = (z.min(), z.max())
    lim = _r_quantile(z, [opz["alpha"], 1 - opz["alpha"]])
    if not np.all((psi > lim[0]) & (psi < lim[1])):
        raise _Fail("starting psi out of the range")
    far, _ = _far_psi(z, psi, opz["fc"])
    if not far.all():
        raise _Fail("psi values too close each other")

    def U_of(p):
        return np.clip(z[:, None] - p[None, :], 0, None) * 1.0

    U = U_of(psi)
    L0 = _mylm_sse(np.column_stack([X, U]), y, w)
    dev_values = [opz["dev0"], L0]
    psi_values = [None, psi.copy()]
    it, epsilon = 0, 10.0
    PSI = psi.copy()
    while abs(epsilon) > opz["toll"]:
        it += 1
        V = -(z[:, None] > PSI[None, :]).astype(float)
        XX = np.column_stack([X, U, V])
        if not _rank_ok(XX, w):
            if return_all:
                return {"dev_values": dev_values, "psi_values": psi_values}
            raise _Fail("breakpoint estimate too close or at the boundary causing NA estimates")
        coef = _qr_coef(XX, y, w)
        k = psi.size
        beta_c, gamma_c = coef[X.shape[1] : X.shape[1] + k], coef[X.shape[1] + k :]
        psi_old = psi.copy()
        psi = np.clip(psi_old + gamma_c / beta_c, *range_z)

        def search_min(h, psi=psi, psi_old=psi_old, L0=L0):
            p = psi * h + psi_old * (1 - h)
            try:
                return _mylm_sse(np.column_stack([X, U_of(p)]), y, w)
            except np.linalg.LinAlgError:
                XU = np.column_stack([X, U_of(p)])
                beta, sse, rank, _ = _lsq(XU, y, w)
                return sse if rank == XU.shape[1] else L0 + 10

        use_k = brent_fmin(search_min, 0.0, 1.0)
        L1 = search_min(use_k)
        psi = psi * use_k + psi_old * (1 - use_k)
        psi = np.clip(psi, lim[0], lim[1])
        PSI = psi.copy()
        U1 = U_of(PSI)
        epsilon = (L0 - L1) / (abs(L0) + 0.1)
        L0 = L1
        U = U1
        psi_values.append(psi.copy())
        dev_values.append(L0)
        far, factor = _far_psi(z, PSI, opz["fc"])
        inside = (PSI > lim[0]) & (PSI < lim[1])
        if not (far & inside).all():
            # R rescales a breakpoint that leaves < 2 points in a segment (psi * 0.95
            # or / 0.95, whatever the scale of x) and carries on
            psi = psi * np.where(far, 1.0, factor)
            PSI = psi.copy()
        if it >= opz["it_max"]:
            break
    psi = np.sort(psi)
    U = U_of(psi)
    sse = _lsq(np.column_stack([X, U]), y, w)[1]
    return {"psi": psi, "sse": sse, "it": it, "epsilon": epsilon}


def _extract(sol):
    dev = sol["dev_values"][1:]
    psis = sol["psi_values"][1:]
    i = int(np.argmin(dev))
    return {"psi": np.asarray(psis[i], float), "sse": dev[i], "partial": True}


def _try(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (_Fail, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError):
        return None


def seg_lm_fit_boot(y, X, z, psi0, w, opz, rng: RRandom, n_boot=10, break_boot=5, random=True):
    """Port of ``segmented:::seg.lm.fit.boot`` (nonparametric bootstrap restarts)."""
    n = y.size
    opz = dict(opz)
    opz1 = dict(opz, it_max=1)
    opz_boot = dict(opz)
    lim = _r_quantile(z, [opz["alpha"], 1 - opz["alpha"]])
    o0 = _try(seg_lm_fit, y, X, z, psi0, w, opz)
    if o0 is None:
        sol = _try(seg_lm_fit, y, X, z, psi0, w, opz, return_all=True)
        if sol is None or "dev_values" not in sol:
            raise ModelError("segmented: the first breakpoint fit failed")
        o0 = _extract(sol)
    est_psi0 = np.asarray(o0["psi"], float)
    all_selected_ss = []
    alpha_q = 0.1
    for _ in range(n_boot):
        sel = [v for v in all_selected_ss if v is not None]
        dss = np.diff(sel)[::-1]
        if dss.size >= 2 and np.all(np.round(dss[:2], 6) == 0):
            qpsi = np.array([np.mean(p >= z) for p in est_psi0])
            qpsi = np.where(np.abs(qpsi - 0.5) < 0.1, alpha_q, qpsi)
            alpha_q = 1 - alpha_q
            est_psi0 = np.array([_r_quantile(z, 1 - q) for q in qpsi])
        idx = rng.sample_replace(n, n)
        ob = _try(seg_lm_fit, y[idx], X[idx], z[idx], est_psi0, w[idx], opz_boot)
        if ob is not None:
            est_psi_boot = ob["psi"]
        else:
            est_psi_boot = np.array([rng.runif(lim[0], lim[1]) for _ in est_psi0])
        opz["it_max"] += 1
        o = _try(seg_lm_fit, y, X, z, est_psi_boot, w, opz, return_all=True)
        if o is None and random:
            # R replaces est.psi0 by the random start whether or not the fit from it succeeds:
            # the next bootstrap sample starts from there
            est_psi0 = np.array([rng.runif(lim[0], lim[1]) for _ in est_psi0])
            o = _try(seg_lm_fit, y, X, z, est_psi0, w, opz1)
        if o is not None:
            if "dev_values" in o:
                o = _extract(o)
            if o["sse"] <= o0["sse"]:
                o0 = o
            est_psi0 = np.asarray(o0["psi"], float)
            all_selected_ss.append(o0["sse"])
        asss = [v for v in all_selected_ss if v is not None]
        if len(asss) > break_boot:
            d = np.round(np.diff(asss), 6)[::-1][: break_boot - 1]
            if np.all(d == 0):
                break
    if o0.get("partial"):
        o0 = _try(seg_lm_fit, y, X, z, o0["psi"], w, opz1)
        if o0 is None:
            raise ModelError("segmented: the final breakpoint fit failed")
    return o0


def _opz(y, X, w, alpha=None, it_max=30, toll=1e-5):
    dev0 = _lsq(X, y, w)[1]
    return {"toll": toll, "it_max": it_max, "fc": 0.95, "dev0": dev0,
            "alpha": max(0.05, 1.0 / y.size) if alpha is None else alpha}


def segmented(x, y, w=None, npsi=None, psi=None, n_boot=10, seed=12345, alpha=None):
    """Breakpoints of ``segmented(lm(y ~ x, weights = w), seg.Z = ~x, npsi | psi)``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(y) if w is None else np.asarray(w, float)
    X = np.column_stack([np.ones_like(x), x])
    if psi is None:
        psi = _r_quantile(x, np.linspace(0, 1, npsi + 2)[1:-1])
    opz = _opz(y, X, w, alpha)
    if n_boot <= 0:
        out = _try(seg_lm_fit, y, X, x, psi, w, opz)
        if out is None:
            raise ModelError("segmented: no breakpoint estimated")
        return out["psi"], out["sse"]
    out = seg_lm_fit_boot(y, X, x, np.asarray(psi, float), w, opz, RRandom(seed), n_boot=n_boot)
    psi_hat = np.sort(out["psi"])
    if not np.all((psi_hat > x.min()) & (psi_hat < x.max())):
        # segmented.lm refits lm(y ~ x + U + V) at these breakpoints; one outside the data leaves
        # a column without information and R stops ("0 (non-NA) cases", "at least one coef is NA")
        raise ModelError(f"segmented: breakpoint(s) {np.round(psi_hat, 2).tolist()} outside the data "
                         f"({x.min():g}–{x.max():g}); no {psi_hat.size}-breakpoint model")
    return psi_hat, out["sse"]


def selgmented_bic(x, y, w=None, kmax=2, n_boot=10, seed=12345, stop_if=6):
    """Number of breakpoints and their estimates as ``selgmented(type = "bic", Kmax)``.

    Returns ``(k, psi, bic)`` with ``bic`` the values for 0..k fitted (NaN when a fit failed).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(y) if w is None else np.asarray(w, float)
    n = y.size

    def bic(sse, k):
        # R's BIC of an lm: n log(2π SSE/n) + n + (p + 1) log n, p = 2 + 2k
        return n * np.log(2 * np.pi * sse / n) + n + (2 + 2 * k + 1) * np.log(n)

    X = np.column_stack([np.ones_like(x), x])
    bic0 = bic(_lsq(X, y, w)[1], 0)
    alpha = 0.01
    fits, starts, bics = {}, {}, []
    try:
        psi1, sse1 = segmented(x, y, w, npsi=1, n_boot=0, alpha=alpha)
    except ModelError:
        return 0, np.array([]), [bic0]
    fits[1] = psi1
    bics.append(bic(sse1, 1))
    th = (x.max() - x.min()) / 100
    m1, m2 = x.min(), x.max()

    def widest_mid(est):
        M = np.column_stack([np.r_[m1, est], np.r_[est, m2]])
        return M, np.diff(M, axis=1).ravel()

    M, d = widest_mid(psi1)
    starts[1] = np.sort(np.r_[psi1, M[np.argmax(d)].sum() / 2])
    i = 1
    for i in range(2, kmax + 1):
        try:
            psi_i, sse_i = segmented(x, y, w, psi=starts[i - 1], n_boot=0, alpha=alpha)
            ok = True
        except ModelError:
            ok = False
        if ok:
            fits[i] = psi_i
            est = psi_i.copy()
            drop = np.nonzero(np.diff(est) <= th)[0]
            if drop.size:
                est = np.delete(est, drop)
            M, d = widest_mid(est)
            if drop.size:
                order = np.sort(d)[::-1]
                mids = [M[np.nonzero(d == order[j])[0]].sum() / 2 for j in range(drop.size)]
            else:
                mids = [M[np.argmax(d)].sum() / 2]
            starts[i] = np.sort(np.r_[est, mids])
            bics.append(bic(sse_i, psi_i.size))
        else:
            alpha = 0.005
            bics.append(bics[-1] + 1)
            M, d = widest_mid(starts[i - 1])
            mid = M[np.argmax(d)].sum() / 2
            starts[i] = np.sort(np.r_[mid, np.delete(M[:, 1], [np.argmin(d), M.shape[0] - 1])])
        vals = np.diff(np.r_[bic0, bics])[::-1]
        if i >= stop_if and np.all(vals[:stop_if] >= 0):
            break
    n_veri = [1] + [starts[j].size for j in range(1, i)]
    allb = np.r_[bic0, bics[:i]]
    best = int(np.argmin(allb))
    k = ([0] + n_veri)[best]
    if k == 0:
        return 0, np.array([]), list(allb)
    # refit the best model from its estimate with the default control (bootstrap), alpha 0.01
    start = fits[best]
    psi, _ = segmented(x, y, w, psi=start, n_boot=n_boot, seed=seed, alpha=0.01)
    return psi.size, psi, list(allb)
