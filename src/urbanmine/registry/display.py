"""A Battery Pass document as people read it: sections with labelled rows, values in words and units.

``sections(document)`` turns aspect -> properties into one ``Section`` per aspect (in the order of
the DIN DKE SPEC 99100 chapters), each a list of ``Row``s: the property's human label and unit from
the SAMM model (``urbanmine.passport.labels``) and its value as

- ``Text``: a number with its unit ("450 kg"; beyond 10^15 or below 10^-4 in powers of ten), an
  enumeration value in words ("Electric vehicle battery"), a date written out ("1 March 2027"),
  Yes/No, a web address (``href`` only for http and https), any other string as written;
- ``Group``: an object's properties as sub-rows;
- ``Table``: a list of flat objects with at most ``TABLE_COLUMNS`` properties (fits a phone);
- ``Items``: any other list.

The raw property path stays on each row (``Row.name``) for the page's ``data-field`` attribute.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from urbanmine.passport.labels import aspect_order, aspect_title, enumeration_words, property_label

TABLE_COLUMNS = 3
"""Most columns a list of objects is shown as a table with; 3 short columns fit a 390-px screen."""
PLAIN_RANGE = (1e-4, 1e15)
"""Magnitudes written as plain decimals; outside it, in powers of ten (1.79769 × 10³⁰⁸)."""
SIGNIFICANT = 6
"""Significant digits shown of a number in powers of ten."""
MINUS = "\u2212"
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_G_MONTH = re.compile(r"^--(\d{2})$")


@dataclass(frozen=True)
class Text:
    text: str
    href: str | None = None
    kind: str = "text"


@dataclass(frozen=True)
class Row:
    name: str
    """Raw property path, e.g. ``batteryCondition.stateOfCharge``."""
    label: str
    value: Value


@dataclass(frozen=True)
class Group:
    rows: tuple[Row, ...]
    kind: str = "group"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    names: tuple[str, ...]
    cells: tuple[tuple[Text, ...], ...]
    kind: str = "table"


@dataclass(frozen=True)
class Items:
    items: tuple[Value, ...]
    kind: str = "items"


Value = Text | Group | Table | Items


@dataclass(frozen=True)
class Section:
    aspect: str
    title: str
    rows: tuple[Row, ...]


def sections(document: dict[str, Any]) -> list[Section]:
    """The document's aspects as sections of labelled rows, in page order."""
    order = aspect_order()
    aspects = sorted(document, key=lambda a: (a not in order, order.index(a) if a in order else a))
    return [
        Section(a, aspect_title(a), _group(document[a], "").rows)
        for a in aspects
        if isinstance(document[a], dict)
    ]


def _group(obj: dict[str, Any], prefix: str) -> Group:
    return Group(tuple(_row(k, v, f"{prefix}{k}") for k, v in obj.items()))


def _row(key: str, value: Any, name: str) -> Row:
    label, unit = property_label(key)
    return Row(name, label, _value(key, value, unit, name))


def _value(key: str, value: Any, unit: str, name: str) -> Value:
    if isinstance(value, dict):
        return _group(value, f"{name}.")
    if isinstance(value, list):
        return _list(key, value, unit, name)
    return _scalar(key, value, unit)


def _list(key: str, values: list[Any], unit: str, name: str) -> Value:
    keys = list(dict.fromkeys(k for v in values if isinstance(v, dict) for k in v))
    flat = all(
        isinstance(v, dict) and not any(isinstance(x, dict | list) for x in v.values())
        for v in values
    )
    if values and flat and len(keys) <= TABLE_COLUMNS:
        labels = [property_label(k) for k in keys]
        return Table(
            columns=tuple(label for label, _ in labels),
            names=tuple(f"{name}.{k}" for k in keys),
            cells=tuple(
                tuple(
                    _scalar(k, v[k], u) if k in v else Text("")
                    for k, (_, u) in zip(keys, labels, strict=True)
                )
                for v in values
            ),
        )
    return Items(tuple(_value(key, v, unit, name) for v in values))


def _scalar(key: str, value: Any, unit: str) -> Text:
    if value is None:
        return Text("—")
    if isinstance(value, bool):
        return Text("Yes" if value else "No")
    if isinstance(value, int | float):
        return Text(f"{format_number(value)} {unit}".strip())
    text = str(value)
    if text.startswith(("https://", "http://")):
        return Text(text, href=text)
    month = _G_MONTH.match(text)
    if month and unit:  # xsd:gMonth with a unit of months (warrentyPeriod): a number of months
        return Text(f"{int(month.group(1))} {unit}")
    words = enumeration_words(key, text)
    if words != text:
        return Text(words)
    return Text(format_time(text) or text)


def format_number(x: float) -> str:
    """A number for people: plain decimals in ``PLAIN_RANGE``, powers of ten outside it."""
    if isinstance(x, float) and not math.isfinite(x):
        return "not a number" if math.isnan(x) else ("−∞" if x < 0 else "∞")
    magnitude = abs(Decimal(x))
    if magnitude == 0 or PLAIN_RANGE[0] <= magnitude < PLAIN_RANGE[1]:
        text = str(x) if isinstance(x, int) else f"{x:.12g}"
        return text.replace("-", MINUS)
    mantissa, exponent = f"{Decimal(x):.{SIGNIFICANT - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa.replace('-', MINUS)} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def format_time(text: str) -> str | None:
    """An ISO 8601 date ("1 March 2027"), month ("January 2027") or date-time written out with its
    UTC offset; ``None`` when ``text`` is not one."""
    date = _DATE.match(text)
    if date:
        year, month, day = date.groups()
        try:
            parsed = datetime(int(year), int(month), int(day or 1))
        except ValueError:
            return None
        head = f"{MONTHS[parsed.month - 1]} {parsed.year}"
        return f"{parsed.day} {head}" if day else head
    if not _DATETIME.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    when = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return when
    if not offset:
        return f"{when} (UTC)"
    zone = f"{moment:%z}"
    return f"{when} (UTC{zone[:3]}:{zone[3:5]})"
