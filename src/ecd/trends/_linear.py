"""Least squares pieces shared by the trend models.

Everything works in the *whitened* space: rows multiplied by ``sqrt(w)``, so
ordinary and weighted least squares are the same code.
"""
from __future__ import annotations

import numpy as np

#: Largest number of floats one block of the vectorised grid search may hold.
_BLOCK = 4_000_000


def hinge(x: np.ndarray, knots) -> np.ndarray:
    """Columns ``max(x - knot, 0)``, one per knot (n × k)."""
    knots = np.asarray(knots, dtype=float).reshape(-1)
    return np.clip(x[:, None] - knots[None, :], 0.0, None)


def wls(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Weighted least squares: coefficients, (X'WX)^-1 and the weighted SSE.

    Solved by QR of the whitened design: calendar years make X'X badly
    conditioned, and forming it would lose about six digits of the covariance.
    """
    sw = np.sqrt(w)
    Xw = X * sw[:, None]
    yw = y * sw
    q, r = np.linalg.qr(Xw)
    beta = np.linalg.solve(r, q.T @ yw)
    resid = yw - Xw @ beta
    r_inv = np.linalg.solve(r, np.eye(r.shape[0]))
    return beta, r_inv @ r_inv.T, float(resid @ resid)


def configurations(n: int, k: int, min_end: int, min_between: int) -> np.ndarray:
    """Index sets of k joinpoints at observed points that respect the spacing rules.

    A joinpoint at observation ``i`` leaves ``i`` observations before it and
    ``n - 1 - i`` after it (the joinpoint itself excluded, as in Joinpoint);
    two joinpoints ``i < j`` have ``j - i - 1`` observations between them.
    Returns an int array of shape (C, k), possibly with C = 0.
    """
    if k == 0:
        return np.zeros((1, 0), dtype=int)
    lo, hi = min_end, n - 1 - min_end
    if hi < lo:
        return np.zeros((0, k), dtype=int)
    configs = np.arange(lo, hi + 1)[:, None]
    for _ in range(k - 1):
        last = configs[:, -1]
        nxt_min = last + min_between + 1
        counts = np.clip(hi - nxt_min + 1, 0, None)
        keep = counts > 0
        configs, nxt_min, counts = configs[keep], nxt_min[keep], counts[keep]
        if configs.shape[0] == 0:
            return np.zeros((0, k), dtype=int)
        rep = np.repeat(configs, counts, axis=0)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        configs = np.column_stack([rep, np.repeat(nxt_min, counts) + offs])
    return configs


def max_feasible_k(n: int, min_end: int, min_between: int) -> int:
    """Largest k with at least one valid configuration and a residual df ≥ 1."""
    k = 0
    while True:
        nxt = k + 1
        need = 2 * min_end + nxt + (nxt - 1) * min_between
        if need > n or n - (2 * nxt + 2) < 1:
            return k
        k = nxt


class GridSSE:
    """Minimum SSE over joinpoint configurations, for many responses at once.

    The design of a configuration is ``[base, hinge(x, x[config])]``. The base
    columns are projected out once; each configuration's hinge columns are
    orthonormalised against them, so a configuration's SSE for response ``y`` is
    ``|r0|^2 - |Q_c' r0|^2`` with ``r0`` the base residual. All configurations
    and responses are handled with one matrix product per block.
    """

    def __init__(self, x, w, base, knots_x, configs):
        self.sw = np.sqrt(np.asarray(w, float))
        B = base * self.sw[:, None]
        self.q0, _ = np.linalg.qr(B)
        self.configs = configs
        self.k = configs.shape[1]
        if self.k and configs.shape[0]:
            # hinge of every observation at every candidate knot, whitened and
            # stripped of the base space: (n, m)
            H = hinge(x, knots_x) * self.sw[:, None]
            H = H - self.q0 @ (self.q0.T @ H)
            stack = np.transpose(H[:, configs], (1, 0, 2))  # (C, n, k)
            q, _ = np.linalg.qr(stack)
            self.qt = np.ascontiguousarray(np.transpose(q, (0, 2, 1)).reshape(-1, x.size))
        else:
            self.qt = None

    def base_residual(self, yw: np.ndarray) -> np.ndarray:
        """Whitened responses (n × B) minus their projection on the base."""
        return yw - self.q0 @ (self.q0.T @ yw)

    def min_sse(self, yw: np.ndarray):
        """Minimum SSE and the index of the best configuration, per column of ``yw``."""
        yw = np.asarray(yw, float)
        if yw.ndim == 1:
            yw = yw[:, None]
        r0 = self.base_residual(yw)
        sse0 = np.einsum("nb,nb->b", r0, r0)
        if self.qt is None:
            return sse0, np.zeros(sse0.size, dtype=int)
        C = self.configs.shape[0]
        best = np.empty(sse0.size)
        arg = np.empty(sse0.size, dtype=int)
        step = max(1, _BLOCK // max(1, C * self.k))
        for s in range(0, r0.shape[1], step):
            proj = self.qt @ r0[:, s : s + step]  # (C*k, b)
            gain = np.einsum("ckb,ckb->cb", *(proj.reshape(C, self.k, -1),) * 2)
            idx = np.argmax(gain, axis=0)
            arg[s : s + step] = idx
            best[s : s + step] = sse0[s : s + step] - gain[idx, np.arange(idx.size)]
        return np.maximum(best, 0.0), arg
