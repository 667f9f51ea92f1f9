from __future__ import annotations

from pathlib import Path

GEO_YAML = Path(__file__).resolve().parents[1] / "catalog" / "geo.yaml"


def province_items() -> list[dict]:
    """The 31 provinces as foreach items: id (ISO code), title (Chinese name).

    Read straight from the catalog's geo table (the same file ``ecd.catalog.provinces()``
    reads) so that planning a build does not import pandas.
    """
    from ecd._yaml import load_yaml

    geo = load_yaml(GEO_YAML.read_text(encoding="utf-8"), "src/ecd/catalog/geo.yaml")
    return [{"id": code, "title": info["name_zh"]} for code, info in geo["provinces"].items()]
