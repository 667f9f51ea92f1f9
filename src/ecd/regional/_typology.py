"""Province typology: k-means on standardized indicators, with its caveats."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError

_MISSING = ("raise", "drop_feature", "drop_geo")


class ProvinceTypology:
    """Group provinces by k-means on z-scored indicators (scikit-learn estimator contract).

    Each indicator is standardized across provinces as ``(x − mean) / sd``
    with the sample standard deviation (``ddof=1``, as R's ``scale()``); then
    :class:`sklearn.cluster.KMeans` (Lloyd) groups the rows. Clusters are
    renumbered 1…k by ascending centre on ``order_by`` (default: the first
    feature), so the numbering does not depend on the random start.

    Parameters
    ----------
    n_clusters : int, default 3
    missing : {"drop_feature", "drop_geo", "raise"}, default "drop_feature"
        What to do with missing cells: drop indicators with any missing
        province (every province keeps a type), drop provinces with any
        missing indicator, or refuse.
    order_by : str, optional
        Feature whose centre orders the cluster numbers.
    n_init : int, default 20
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), default "k-means++"
        Initial centres (an array is given in standardized units).
    max_iter : int, default 300
    random_state : int, default 0

    Attributes
    ----------
    features_ : list of str
        Indicators used.
    dropped_features_ : list of str
        Indicators dropped for missing values (``missing="drop_feature"``).
    dropped_geos_ : list
        Rows dropped (``missing="drop_geo"``).
    mean_, scale_ : pandas.Series
        Standardization per feature.
    labels_ : pandas.Series
        Cluster 1…k per row (index = the input's index).
    centers_ : pandas.DataFrame
        Cluster centres in original units (index 1…k).
    centers_z_ : pandas.DataFrame
        Cluster centres in standard deviations.
    inertia_ : float
        Within-cluster sum of squares in standardized units.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 1.1, 5.0, 5.2], "b": [0.0, 0.1, 3.0, 3.1]}, index=list("PQRS"))
    >>> t = ProvinceTypology(n_clusters=2, random_state=0).fit(X)
    >>> t.labels_.to_dict()
    {'P': 1, 'Q': 1, 'R': 2, 'S': 2}
    """

    def __init__(self, n_clusters: int = 3, *, missing: str = "drop_feature", order_by: str | None = None,
                 n_init: int = 20, init="k-means++", max_iter: int = 300, random_state: int = 0):
        self.n_clusters = n_clusters
        self.missing = missing
        self.order_by = order_by
        self.n_init = n_init
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state

    def _validate(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ParameterError("X", f"expected a DataFrame (rows = provinces, columns = indicators), got {type(X).__name__}")
        if not isinstance(self.n_clusters, (int, np.integer)) or isinstance(self.n_clusters, bool) or self.n_clusters < 2:
            raise ParameterError("n_clusters", f"{self.n_clusters!r}: expected an integer ≥ 2")
        if self.missing not in _MISSING:
            raise ParameterError("missing", f"{self.missing!r}: expected one of {_MISSING}")
        if X.index.duplicated().any():
            raise DataError(f"X: duplicate row(s) {list(X.index[X.index.duplicated()][:3])}; expected one row per province")
        num = X.apply(pd.to_numeric, errors="coerce")
        bad = X.notna() & num.isna()
        if bad.any().any():
            col = bad.any().idxmax()
            row = bad[col].idxmax()
            raise DataError(f"X row {row!r}, column {col!r}: {X.loc[row, col]!r} is not a number")
        return num.astype(float)

    def fit(self, X: pd.DataFrame, y=None) -> "ProvinceTypology":
        """Standardize ``X`` (rows = provinces, columns = indicators) and cluster it.

        Raises
        ------
        ecd.errors.ParameterError
            Bad parameters.
        ecd.errors.DataError
            Missing cells with ``missing="raise"``, non-numeric cells, a
            constant indicator, or fewer usable rows than clusters.
        """
        from sklearn.cluster import KMeans

        X = self._validate(X)
        self.dropped_features_ = []
        self.dropped_geos_ = []
        if X.isna().any().any():
            if self.missing == "raise":
                col = X.isna().any().idxmax()
                rows = list(X.index[X[col].isna()])
                raise DataError(f"X column {col!r}: missing for {rows}; fill the data, or use missing='drop_feature' "
                                "or missing='drop_geo' (never imputed)")
            if self.missing == "drop_feature":
                self.dropped_features_ = [c for c in X.columns if X[c].isna().any()]
                X = X.drop(columns=self.dropped_features_)
            else:
                self.dropped_geos_ = list(X.index[X.isna().any(axis=1)])
                X = X.dropna()
        if X.shape[1] == 0:
            raise DataError("X: no indicator is complete for every province; use missing='drop_geo' or add data")
        if len(X) < self.n_clusters:
            raise DataError(f"X: {len(X)} usable rows for {self.n_clusters} clusters; expected at least as many rows as clusters")
        sd = X.std(ddof=1)
        const = list(sd.index[~(sd > 0)])
        if const:
            raise DataError(f"X column(s) {const}: the same value for every province, so it cannot be standardized; drop it")
        self.features_ = list(X.columns)
        self.mean_ = X.mean()
        self.scale_ = sd
        Z = (X - self.mean_) / self.scale_
        self.data_ = X
        self.z_ = Z
        init = self.init
        n_init = self.n_init
        if not isinstance(init, str):
            init = np.asarray(init, dtype=float)
            if init.shape != (self.n_clusters, Z.shape[1]):
                raise ParameterError("init", f"shape {init.shape}; expected ({self.n_clusters}, {Z.shape[1]}) "
                                             f"(clusters × features used: {self.features_})")
            n_init = 1
        km = KMeans(n_clusters=self.n_clusters, init=init, n_init=n_init, max_iter=self.max_iter,
                    algorithm="lloyd", random_state=self.random_state, tol=0.0)
        raw = km.fit_predict(Z.to_numpy())
        order_by = self.order_by or self.features_[0]
        if order_by not in self.features_:
            raise ParameterError("order_by", f"{order_by!r} is not among the features used {self.features_}")
        centers_z = pd.DataFrame(km.cluster_centers_, columns=self.features_)
        rank = centers_z[order_by].rank(method="first").astype(int).to_numpy()
        self.labels_ = pd.Series(rank[raw], index=X.index, name="cluster")
        centers_z.index = rank
        self.centers_z_ = centers_z.sort_index()
        self.centers_ = self.centers_z_ * self.scale_ + self.mean_
        self.inertia_ = float(km.inertia_)
        self.n_iter_ = int(km.n_iter_)
        return self

    def _check_fitted(self):
        if not hasattr(self, "labels_"):
            raise ParameterError("fit", "this ProvinceTypology is not fitted yet; call .fit(X) first")

    def describe(self, names: dict | None = None, *, high: float = 0.5) -> pd.Series:
        """A short label per cluster from its centre: 高/低 <name> where the centre is beyond ``±high`` SD.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 1.1, 5.0, 5.2]}, index=list("PQRS"))
        >>> ProvinceTypology(n_clusters=2).fit(X).describe({"a": "收入"}).to_dict()
        {1: '低收入', 2: '高收入'}
        """
        self._check_fitted()
        names = names or {}
        out = {}
        for k, row in self.centers_z_.iterrows():
            bits = [("高" if z > 0 else "低") + names.get(f, f) for f, z in row.items() if abs(z) > high]
            out[k] = "、".join(bits) if bits else "居中"
        return pd.Series(out, name="description")

    def tidy(self) -> pd.DataFrame:
        """Long table ``geo, cluster, feature, value, z`` (one row per province × feature used)."""
        self._check_fitted()
        rows = []
        for geo, k in self.labels_.items():
            for f in self.features_:
                rows.append({"geo": geo, "cluster": int(k), "feature": f, "value": float(self.data_.loc[geo, f]),
                             "z": float(self.z_.loc[geo, f])})
        return pd.DataFrame(rows, columns=["geo", "cluster", "feature", "value", "z"])

    def caveats(self) -> list[str]:
        """Plain-language caveats (Chinese) to print beside the typology."""
        self._check_fitted()
        out = [f"仅使用 {len(self.features_)} 个指标，类型只反映这些指标的相对位置，不代表综合发展水平。",
               f"聚类数 k = {self.n_clusters} 为人为设定；各指标先标准化（减均值、除以标准差），权重相同。"]
        if self.dropped_features_:
            out.append(f"因部分省份缺数据而未使用的指标：{'、'.join(self.dropped_features_)}（不做插补）。")
        if self.dropped_geos_:
            out.append(f"因缺数据未分类的省份：{'、'.join(map(str, self.dropped_geos_))}。")
        return out


SHORT_ZH = {"crude_birth_rate": "出生率", "gdp_per_capita": "人均GDP", "urbanization_rate": "城镇化率"}


def province_typology(data: pd.DataFrame, features: list, *, n_clusters: int = 3, random_state: int = 0,
                      order_by: str | None = None):
    """Fit the book's province typology on ``(indicator, year)`` features of the 31 provinces.

    Each feature becomes a column named like ``人均GDP（2023年）``; a
    province with two sources for one cell keeps the first source id.
    Features with a missing province are dropped (never imputed).

    Parameters
    ----------
    data : DataFrame
        Warehouse rows ``indicator, geo, year, value, source_id``.
    features : list of (str, int)
        ``(indicator, year)`` pairs.
    order_by : str, optional
        Indicator whose centre numbers the clusters (default: the last feature's indicator).

    Returns
    -------
    (ProvinceTypology, DataFrame)
        The fitted typology and the rows of ``data`` it used.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.catalog
    >>> provs = ecd.catalog.provinces()["geo"]
    >>> d = pd.DataFrame({"indicator": "crude_birth_rate", "geo": provs, "year": 2021, "source_id": "s",
    ...                   "value": [5.0 + (i % 2) * 5 for i in range(len(provs))]})
    >>> t, used = province_typology(d, [("crude_birth_rate", 2021)], n_clusters=2)
    >>> sorted(t.labels_.value_counts().tolist()), len(used)
    ([15, 16], 31)
    """
    import ecd.catalog

    provs = ecd.catalog.provinces()["geo"].tolist()
    wide = pd.DataFrame(index=provs)
    used = []
    names = {}
    for code, year in features:
        col = data[(data["indicator"] == code) & (data["year"] == year) & data["geo"].isin(provs)]
        col = col.sort_values("source_id").drop_duplicates("geo")
        name = f"{SHORT_ZH.get(code, ecd.catalog.indicator(code)['name_zh'])}（{year}年）"
        names[name] = code
        wide[name] = col.set_index("geo")["value"].reindex(wide.index)
        used.append(col)
    order_code = order_by or features[-1][0]
    order_cols = [c for c in wide.columns if names[c] == order_code and not wide[c].isna().any()]
    typ = ProvinceTypology(n_clusters=n_clusters, missing="drop_feature", random_state=random_state,
                           order_by=order_cols[-1] if order_cols else None).fit(wide)
    rows = pd.concat(used, ignore_index=True)
    rows = rows[[f"{SHORT_ZH.get(c, ecd.catalog.indicator(c)['name_zh'])}（{y}年）" in typ.features_
                 for c, y in zip(rows["indicator"], rows["year"])]]
    return typ, rows
