from __future__ import annotations


def province_items() -> list[dict]:
    """The 31 provinces as foreach items: id (ISO code), title (Chinese name)."""
    from ecd import catalog

    df = catalog.provinces()
    return [{"id": r.geo, "title": r.name_zh} for r in df.itertuples()]
