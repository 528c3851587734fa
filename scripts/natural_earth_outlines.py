"""Make ``src/urbanmine/data/network/outlines.json``, the country outlines of the network map.

Not run by CI: the output is committed. Source: Natural Earth 1:110m Cultural Vectors, Admin 0 -
Countries (public domain), as packaged in the geopandas 0.14.4 wheel
(``geopandas/datasets/naturalearth_lowres``, with geopandas' fix that puts Crimea in Ukraine).
Getting it without the geopandas stack, in a throwaway venv::

    uv venv /tmp/nevenv && uv pip install --python /tmp/nevenv pip pyshp
    /tmp/nevenv/bin/python -m pip download geopandas==0.14.4 --no-deps -d /tmp/gpd
    cd /tmp/gpd && unzip -oq geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*'
    /tmp/nevenv/bin/python scripts/natural_earth_outlines.py \\
        /tmp/gpd/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp

Selection: every ring (polygon part) whose bounding box meets one of the two map windows below
(Europe with the Mediterranean rim, Iceland and Turkey; East Asia from Central Asia to Japan),
so neighbours at the edge of a map (North Africa, Russia, Kazakhstan, India...) are drawn too
and remote parts of those countries (e.g. Russia's Far East for the Europe map) only when they
meet a window. Coordinates rounded to 0.01 degree (about 1 km, far below the 1:110m detail);
consecutive duplicate points after rounding dropped. Keys: ISO 3166-1 alpha-3 code, or the
Natural Earth name where it has none (Kosovo).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import shapefile  # pyshp, only in the throwaway venv

OUT = Path(__file__).resolve().parents[1] / "src/urbanmine/data/network/outlines.json"
WINDOWS = {  # (lon_min, lon_max, lat_min, lat_max): the map boxes of mapview.py plus a margin
    "europe": (-25.0, 45.0, 30.0, 72.0),
    "east_asia": (60.0, 150.0, 5.0, 60.0),
}
SOURCE = (
    "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (naturalearthdata.com), as "
    "packaged in geopandas 0.14.4 (datasets/naturalearth_lowres); coordinates rounded to 0.01 deg"
)


def meets(ring: list[tuple[float, float]], window: tuple[float, float, float, float]) -> bool:
    """True when the ring's bounding box overlaps the window."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    x0, x1, y0, y1 = window
    return min(lons) <= x1 and max(lons) >= x0 and min(lats) <= y1 and max(lats) >= y0


def rounded(ring: list[tuple[float, float]]) -> list[list[float]]:
    """The ring at 0.01 degree, without consecutive repeats."""
    out: list[list[float]] = []
    for lon, lat in ring:
        p = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def main(shp: str) -> None:
    reader = shapefile.Reader(shp)
    countries: dict[str, list[list[list[float]]]] = {}
    for rec, shape in zip(reader.records(), reader.shapes(), strict=True):
        key = rec["iso_a3"] if rec["iso_a3"] != "-99" else rec["name"]
        bounds = [*shape.parts, len(shape.points)]
        rings = [shape.points[a:b] for a, b in itertools.pairwise(bounds)]
        kept = [rounded(r) for r in rings if any(meets(r, w) for w in WINDOWS.values())]
        kept = [r for r in kept if len(r) >= 4]
        if kept:
            countries[key] = kept
    doc = {
        "source": SOURCE,
        "licence": "public domain (Natural Earth)",
        "windows": WINDOWS,
        "countries": dict(sorted(countries.items())),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(countries)} countries, {OUT.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1])
