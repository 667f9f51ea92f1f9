"""What a figure, table or glued number is from: publications of rows, bibliography keys, plain words.

A notebook hands the book the *rows* it drew (``source=df``); the book cites the
original publications of exactly those rows. Rows can also travel inside text:
:func:`ecd.data.source_line` returns a short line whose publications are marked
by tokens (``⟦pub:key⟧``), so ``source_line(a) + "；" + source_line(b)`` still
resolves to publications; :func:`cite` marks a ``chapters/references.bib`` key
the same way. The notebook side (:func:`gather`) turns any of these into a
:class:`Sources`; the renderer prints each publication once, in GB/T 7714 form,
linked to the chapter's 参考文献.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ecd.errors import ParameterError

TOKEN = re.compile(r"⟦(pub|bib):([A-Za-z0-9_:-]+)⟧")
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|cn|org|net|gov|edu|info)\b", re.I)
_SEPARATORS = " \t\n;；,，、。.:：|"
_LEAD = re.compile(r"^\s*(?:数据来源|资料来源|来源)\s*[:：]\s*")


def short_citation(x) -> str:
    """The publications of rows (or a source text) in short form, for a sentence of prose.

    Examples
    --------
    >>> import ecd
    >>> ecd.book.short_citation(ecd.data.load("imr", geo="CN", area="total", years=2023))
    '国家卫生健康委员会《2023年我国卫生健康事业发展统计公报》'
    """
    return gather(x, "x").plain()


def pub_token(key: str, rows: int = 0) -> str:
    """The token that stands for publication ``key`` (drawn from ``rows`` rows) inside a source text."""
    return f"⟦pub:{key}:{rows}⟧" if rows else f"⟦pub:{key}⟧"


def cite(key: str) -> str:
    """A citation of ``chapters/references.bib`` entry ``key`` for a source line or glued number.

    Examples
    --------
    >>> from ecd.book import cite
    >>> cite("who_cs_2015")
    '⟦bib:who_cs_2015⟧'
    """
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_:-]+", key):
        raise ParameterError("key", f"{key!r} is not a references.bib key (letters, digits, _ : -)")
    return f"⟦bib:{key}⟧"


@dataclass(frozen=True)
class Sources:
    """The publications (fields by key), bibliography keys and plain words behind one output."""

    pubs: tuple = ()  # dicts of publication fields with "key", sorted by year then key
    bib: tuple = ()
    text: tuple = ()
    rows: int = field(default=0, compare=False)

    def __bool__(self) -> bool:
        return bool(self.pubs or self.bib or self.text)

    def keys(self) -> list[str]:
        return [p["key"] for p in self.pubs]

    def to_json(self) -> dict:
        return {"pubs": [dict(p) for p in self.pubs], "bib": list(self.bib), "text": list(self.text)}

    def plain(self) -> str:
        """One line in short form (author《title》), for hovers and the edition records."""
        from ecd.book._bib import short_publication

        parts = [short_publication(p) for p in self.pubs] + [f"[{k}]" for k in self.bib] + list(self.text)
        return "；".join(parts)


def _merge(items: list[Sources]) -> Sources:
    pubs: dict[str, dict] = {}
    bib: list[str] = []
    text: list[str] = []
    for s in items:
        for p in s.pubs:
            if p["key"] in pubs:
                pubs[p["key"]] = {**pubs[p["key"]], "rows": pubs[p["key"]].get("rows", 0) + p.get("rows", 0)}
            else:
                pubs[p["key"]] = dict(p)
        bib += [k for k in s.bib if k not in bib]
        text += [t for t in s.text if t not in text]
    ordered = sorted(pubs.values(), key=lambda p: (str(p.get("year", "")), p["key"]))
    return Sources(tuple(ordered), tuple(bib), tuple(text), sum(s.rows for s in items))


def _fields(keys: list[str]) -> list[dict]:
    if not keys:
        return []
    import ecd.data

    table = ecd.data.publications(keys)
    out = []
    for rec in table.to_dict("records"):
        d = {k: v for k, v in rec.items() if isinstance(v, str) and v and k != "defined_in"}
        d["key"] = d.pop("publication")
        out.append(d)
    return out


def gather(x, what: str = "source") -> Sources:
    """Turn rows, token text, :func:`cite` marks or a list of them into :class:`Sources`.

    Parameters
    ----------
    x : DataFrame, str, Sources, list of those, or None
        Rows from :func:`ecd.data.load` (their ``publication`` column), text
        (publication tokens from :func:`ecd.data.source_line`, :func:`cite`
        marks, and plain Chinese words), or a list mixing them.
    what : str
        The parameter name for error messages.

    Raises
    ------
    ecd.errors.ParameterError
        Rows without a ``publication`` column, a row without a publication, a
        URL in the text (chapters never print addresses), or an unknown type.

    Examples
    --------
    >>> from ecd.book._sources import gather
    >>> gather("本章参数").text
    ('本章参数',)
    """
    import pandas as pd

    if x is None:
        return Sources()
    if isinstance(x, Sources):
        return x
    if isinstance(x, (list, tuple)):
        return _merge([gather(i, what) for i in x])
    if isinstance(x, pd.Series):
        x = x.to_frame().T
    if isinstance(x, pd.DataFrame):
        if "publication" not in x:
            raise ParameterError(what, "rows without a `publication` column; pass rows from ecd.data.load() (or "
                                       "ecd.data.source_line(rows))")
        keys = [str(k) for k in x["publication"].dropna() if str(k)]
        if len(keys) < len(x):
            raise ParameterError(what, f"{len(x) - len(keys)} row(s) without a publication; every row the book draws "
                                       f"must name its original publication")
        counts = pd.Series(keys).value_counts().to_dict()
        pubs = [{**p, "rows": int(counts[p["key"]])} for p in _fields(list(dict.fromkeys(keys)))]
        return _merge([Sources(tuple(pubs), rows=len(x))])
    if isinstance(x, str):
        counts: dict[str, int] = {}
        for m in TOKEN.finditer(x):
            if m.group(1) == "pub":
                key, _, n = m.group(2).partition(":")
                counts[key] = counts.get(key, 0) + (int(n) if n.isdigit() else 0)
        keys = list(counts)
        bib = [m.group(2) for m in TOKEN.finditer(x) if m.group(1) == "bib"]
        text = []
        for frag in TOKEN.split(x)[::3]:
            frag = _LEAD.sub("", frag).strip(_SEPARATORS)
            if frag:
                text.append(frag)
        for frag in text:
            if _URL.search(frag):
                raise ParameterError(what, f"{frag[:80]!r} contains an address; chapters never print URLs — pass the "
                                           f"rows (their publications are cited) or ecd.book.cite('<bib key>')")
        pubs = [{**p, "rows": counts[p["key"]]} for p in _fields(keys)]
        return _merge([Sources(tuple(pubs), tuple(dict.fromkeys(bib)), tuple(text))])
    raise ParameterError(what, f"expected rows (DataFrame), a source text or a list of them, found {type(x).__name__}")
