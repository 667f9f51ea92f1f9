"""What a book notebook calls to hand numbers, figures and tables to the book.

Each call displays a normal Jupyter output (so the notebook reads well in
JupyterLab) and tags it with metadata the assembler reads back from the
executed notebook: numbers glued into prose, figures and tables numbered
图/表 x-y with a caption and a source line.
"""
from __future__ import annotations

import base64
import io
import json
import math
import numbers
from typing import Any

from ecd.errors import ParameterError

MIME_GLUE = "application/vnd.ecd.glue+json"
MIME_TABLE = "application/vnd.ecd.table+json"
MIME_PRINT_PNG = "application/vnd.ecd.print-png"  # the figure at PRINT_DPI, for the Word manuscript and print
PRINT_DPI = 300
META_KEY = "ecd"

_LABEL_PREFIX = {"figure": "fig-", "table": "tbl-"}


def _publish(data: dict, metadata: dict | None = None) -> None:
    from IPython.display import publish_display_data

    publish_display_data(data, metadata=metadata or {})


def _check_label(kind: str, label: str) -> None:
    prefix = _LABEL_PREFIX[kind]
    if not isinstance(label, str) or not label.startswith(prefix) or not label[len(prefix):].replace("-", "").replace("_", "").isalnum():
        raise ParameterError("label", f"{label!r} is not a {kind} label; expected {prefix}<name> (letters, digits, - or _)")


def format_value(value: Any, fmt: str | None = None) -> str:
    """Format a glued value the way the prose shows it (thousands separators for large ints)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError("value", f"{value!r} cannot be glued into prose; handle missing data explicitly")
        if fmt:
            return fmt.format(value)
        if isinstance(value, numbers.Integral):
            return f"{int(value):,}"
        return f"{float(value):,.1f}"
    if fmt:
        return fmt.format(value)
    return str(value)


def glue(name: str, value: Any, *, fmt: str | None = None, origin=None, unit: str | None = None,
         quantity: str | None = None, text: str | None = None, finding: str | None = None) -> str:
    """Record a number (or short text) for the chapter prose, which shows it as ``{{name}}``.

    Another chapter's prose shows it as ``{{chapter-id:name}}``: a number is
    computed once, by one chapter, and cited by name everywhere else.

    Parameters
    ----------
    name : str
        Placeholder name used in the prose (letters, digits, ``_``).
    value : number or str
        The value; NaN/inf are refused (say in words that data are missing instead).
    fmt : str, optional
        ``str.format`` pattern, e.g. ``"{:.1f}"``.
    origin : DataFrame, str or list, optional
        What the number was computed from: the rows (their publications are
        shown on hover and listed in the chapter's 参考文献), a source line of
        :func:`ecd.data.source_line`, :func:`ecd.book.cite` marks, or a list
        of these. Never a URL.
    unit : str, optional
        Unit, recorded for the edition diff.
    quantity : str, optional
        What the number IS, independent of chapter and name, e.g.
        ``"u5mr|CN|total|2024|value"`` (:func:`ecd.book.quantity` builds one).
        Two glued numbers with the same quantity must have the same value
        anywhere in the book (a test over the built book checks it).
    text : str, optional
        The text shown, when the value is already formatted (``fmt`` is then not used).
    finding : str, optional
        The key of the finding this text states (:func:`ecd.book.glue_findings`);
        the book refuses a chapter whose prose leaves a glued finding unstated.

    Returns
    -------
    str
        The formatted text.

    Examples
    --------
    >>> from ecd.book import format_value
    >>> format_value(3.14159, "{:.2f}")
    '3.14'
    """
    if not isinstance(name, str) or not name.replace("_", "").isalnum() or not name[:1].isalpha():
        raise ParameterError("name", f"{name!r} is not a valid glue name (letters, digits and _, starting with a letter)")
    if quantity is not None and (not isinstance(quantity, str) or not quantity.strip() or any(c.isspace() for c in quantity)):
        raise ParameterError("quantity", f"{quantity!r} is not a quantity id (non-empty text without spaces, "
                                         "e.g. 'u5mr|CN|total|2024|value')")
    if text is None:
        text = format_value(value, fmt)
    elif not isinstance(text, str):
        raise ParameterError("text", f"expected the text shown (a str), found {type(text).__name__}")
    raw = value
    if hasattr(value, "item"):
        raw = value.item()
    from ecd.book._sources import gather

    sources = gather(origin, "origin")
    payload = {"name": name, "value": raw if isinstance(raw, (int, float, str, bool)) else str(raw),
               "text": text, "origin": sources.plain(), "unit": unit or ""}
    if sources:
        payload["sources"] = sources.to_json()
    if quantity:
        payload["quantity"] = quantity
    if finding:
        payload["finding"] = finding
    _publish({MIME_GLUE: payload, "text/plain": f"{name} = {text}"})
    return text


def _sources(source, kind: str, label: str) -> tuple[str, dict]:
    from ecd.book._sources import gather

    sources = gather(source, "source")
    if not sources:
        raise ParameterError("source", f"{kind} {label} has no source; every book {kind} says where its data came from "
                                       f"(pass the rows it draws: source=df)")
    return sources.plain(), sources.to_json()


def figure(fig, *, label: str, caption: str, source, alt: str | None = None) -> None:
    """Show a matplotlib figure as a numbered book figure (图) with its source line.

    ``source`` is what the figure draws: its rows (``source=df``, or a list of
    frames) — the book then cites exactly their original publications — or a
    source line of :func:`ecd.data.source_line`, :func:`ecd.book.cite` marks
    and plain words (never a URL).

    The figure is written as PNG without timestamps (reproducible bytes) and closed.
    Before that its text is checked (:func:`ecd.viz.text_overlaps`): titles,
    tick labels, annotations and legends that overprint each other are
    recorded in the figure's metadata (``overlaps``, which the built book's
    tests read) and reported with an :class:`~ecd.errors.EcdWarning` (an
    error in the test suite).
    """
    _check_label("figure", label)
    plain, sources = _sources(source, "figure", label)
    import warnings

    import matplotlib.pyplot as plt

    from ecd.errors import EcdWarning
    from ecd.viz._overlap import text_overlaps

    overlaps = [str(o) for o in text_overlaps(fig)]
    if overlaps:
        warnings.warn(f"figure {label}: {len(overlaps)} overlapping text pair(s): " + "; ".join(overlaps[:5]),
                      EcdWarning, stacklevel=2)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    hi = io.BytesIO()  # print resolution, kept beside the screen image (the web pages embed only the latter)
    fig.savefig(hi, format="png", dpi=PRINT_DPI, metadata={"Software": None})
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    meta = {META_KEY: {"kind": "figure", "label": label, "caption": caption, "source": plain, "sources": sources,
                       "alt": alt or caption, "overlaps": overlaps}}
    _publish({"image/png": png, MIME_PRINT_PNG: base64.b64encode(hi.getvalue()).decode("ascii"),
              "text/plain": f"[{label}] {caption}"}, meta)


def table(df, *, label: str, caption: str, source, index: bool = False, na_rep: str = "—") -> None:
    """Show a DataFrame as a numbered book table (表) with its source line.

    ``source`` as for :func:`figure`: the rows the table was computed from.
    Missing cells show ``na_rep`` ("—"); every string is HTML-escaped.
    """
    _check_label("table", label)
    plain, sources = _sources(source, "table", label)
    html = df.to_html(index=index, escape=True, na_rep=na_rep, classes="ecd-table", border=0)
    shown = df.reset_index() if index else df
    cells = json.loads(shown.astype(object).where(shown.notna(), None).to_json(orient="split", index=False, force_ascii=False))
    meta = {META_KEY: {"kind": "table", "label": label, "caption": caption, "source": plain, "sources": sources}}
    _publish({"text/html": html, MIME_TABLE: cells, "text/plain": f"[{label}] {caption}"}, meta)
