"""GB/T 34014-2017 《汽车动力蓄电池编码规则》: parse and validate traction-battery codes.

Two forms (regulation-passport.md §3.1; structure confirmed by the Catena-X
``io.catenax.traction_battery_code`` pattern [V K9], the NIO test utility [S K14] and decoders):

- full, 24 characters: manufacturer (3) | product type (1) | battery type (1) | specification (2) |
  traceability information (7) | production year, month, day (1 each) | serial number (7);
- cascade use (梯次利用), 19 characters: the same without the traceability field, ending in
  ``R`` and a product type letter.

Years and days use table T: 1-9 -> ``1``-``9``, 10-30 -> ``A B C D E F G H J K L M N P R S T V W X
Y`` (I, O, Q, U, Z left out [S K14]); year = 2010 + T, day 31 = ``0``. The Catena-X pattern also
admits I and U in those positions: such codes are accepted with a warning and no decoded date. The
standard defines no check character,
so none is checked.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

from pydantic import BaseModel, Field

FULL_LENGTH = 24
CASCADE_LENGTH = 19

ALNUM = string.ascii_uppercase + string.digits
T_LETTERS = "ABCDEFGHJKLMNPRSTVWXY"
"""Table T letters for 10..30 (no I, O, Q, U, Z)."""
T_TABLE = {**{str(i): i for i in range(1, 10)}, **{c: 10 + i for i, c in enumerate(T_LETTERS)}}
LENIENT_LETTERS = "IU"
"""Letters the Catena-X pattern admits in the date positions but table T leaves out."""
MONTHS = {**{str(i): i for i in range(1, 10)}, "A": 10, "B": 11, "C": 12}

PRODUCT_TYPES = {"P": "pack", "M": "module", "C": "cell"}
BATTERY_TYPES = {
    "A": "nickel-metal hydride [M]",
    "B": "lithium iron phosphate (LFP) [S]",
    "C": "lithium manganese oxide (LMO) [M]",
    "D": "lithium cobalt oxide (LCO) [M]",
    "E": "ternary (NCM/NCA) [S]",
    "F": "supercapacitor [M]",
    "G": "lithium titanate (LTO) [M]",
    "Z": "other [M]",
}
"""Battery-type letters: the set is from the Catena-X pattern [V]; meanings tagged per source."""
KNOWN_MANUFACTURERS = {"001": "CATL", "071": "XPT", "03U": "Zenergy (NIO)"}
"""Manufacturer codes quoted as examples by the NIO test utility [S K14]; codes are assigned by
the 汽车动力蓄电池编码备案系统."""


class CodeCheck(BaseModel):
    """Result of :func:`check_code`: each field explained, or each error named."""

    valid: bool
    form: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def _layout(form: str) -> list[tuple[str, int]]:
    head = [("manufacturer", 3), ("product_type", 1), ("battery_type", 1), ("specification", 2)]
    date = [("year", 1), ("month", 1), ("day", 1), ("serial", 7)]
    if form == "full":
        return [*head, ("traceability", 7), *date]
    return [*head, *date, ("cascade_marker", 1), ("cascade_product_type", 1)]


def _alnum(code: str, where: str, errors: list[str]) -> None:
    bad = [c for c in code if c not in ALNUM]
    if bad:
        errors.append(f"{where}: {''.join(bad)!r} not allowed; allowed: A-Z and 0-9")


def _table_t(c: str, where: str, errors: list[str], warnings: list[str]) -> int | None:
    if c in T_TABLE:
        return T_TABLE[c]
    if c in LENIENT_LETTERS:
        warnings.append(
            f"{where}: {c!r} is admitted by the Catena-X pattern but not by table T "
            "(I, O, Q, U, Z are left out), so its value is unknown"
        )
        return None
    errors.append(f"{where}: {c!r} not allowed; allowed: 1-9 and {T_LETTERS}")
    return None


def check_code(code: str) -> CodeCheck:
    """Parse and validate a GB/T 34014-2017 code (24 characters, or 19 for cascade use)."""
    code = code.strip()
    if len(code) == FULL_LENGTH:
        form = "full"
    elif len(code) == CASCADE_LENGTH:
        form = "cascade"
    else:
        return CodeCheck(
            valid=False,
            errors=[
                f"length {len(code)}: a GB/T 34014 code has {FULL_LENGTH} characters "
                f"(or {CASCADE_LENGTH} for the cascade-use form ending in R + P/M/C)"
            ],
        )
    errors: list[str] = []
    warnings: list[str] = []
    parts: dict[str, str] = {}
    pos = 0
    spans: dict[str, str] = {}
    for name, n in _layout(form):
        parts[name] = code[pos : pos + n]
        spans[name] = f"{pos + 1}" if n == 1 else f"{pos + 1}-{pos + n}"
        pos += n

    def where(name: str) -> str:
        return f"position {spans[name]} ({name.replace('_', ' ')})"

    fields: dict[str, Any] = {}
    mfr = parts["manufacturer"]
    _alnum(mfr, where("manufacturer"), errors)
    known = KNOWN_MANUFACTURERS.get(mfr)
    fields["manufacturer"] = {
        "code": mfr,
        "meaning": "manufacturer code assigned by the battery coding filing system"
        + (f" ({known}, per the NIO test utility)" if known else ""),
    }
    for name, table in (("product_type", PRODUCT_TYPES), ("battery_type", BATTERY_TYPES)):
        c = parts[name]
        if c in table:
            fields[name] = {"code": c, "meaning": table[c]}
        else:
            errors.append(f"{where(name)}: {c!r} not allowed; allowed: {', '.join(table)}")
    spec = parts["specification"]
    _alnum(spec, where("specification"), errors)
    fields["specification"] = {
        "code": spec,
        "meaning": "specification code defined and filed by the manufacturer",
    }
    if form == "full":
        trace = parts["traceability"]
        _alnum(trace, where("traceability"), errors)
        fields["traceability"] = {
            "code": trace,
            "meaning": "traceability information defined and filed by the manufacturer",
        }
    year_v = _table_t(parts["year"], where("year"), errors, warnings)
    month_v = MONTHS.get(parts["month"])
    if month_v is None:
        errors.append(
            f"{where('month')}: {parts['month']!r} not allowed; allowed: 1-9, A, B, C (10-12)"
        )
    day_c = parts["day"]
    day_v = 31 if day_c == "0" else _table_t(day_c, where("day"), errors, warnings)
    if year_v is not None and month_v is not None and day_v is not None:
        try:
            made = dt.date(2010 + year_v, month_v, day_v)
            fields["production_date"] = {
                "code": parts["year"] + parts["month"] + day_c,
                "value": made.isoformat(),
                "meaning": "year (2010 + table T), month (1-9, A-C), day (table T; 0 = 31)",
            }
        except ValueError:
            errors.append(
                f"positions {spans['year']}-{spans['day']} (production date): "
                f"{2010 + year_v}-{month_v:02d} has no day {day_v}"
            )
    serial = parts["serial"]
    if not re.fullmatch(r"[0-9]{7}", serial):
        errors.append(f"{where('serial')}: {serial!r} not allowed; allowed: 7 digits")
    elif int(serial) == 0:
        errors.append(f"{where('serial')}: 0000000 not allowed; serials run 0000001-9999999")
    else:
        fields["serial"] = {
            "code": serial,
            "value": int(serial),
            "meaning": "serial number within the production day",
        }
    if form == "cascade":
        if parts["cascade_marker"] != "R":
            errors.append(
                f"{where('cascade_marker')}: {parts['cascade_marker']!r} not allowed; a 19-character "
                "code is the cascade-use form and has R here"
            )
        last = parts["cascade_product_type"]
        if last in PRODUCT_TYPES:
            fields["cascade_use"] = {
                "code": "R" + last,
                "meaning": f"cascade-use (梯次利用) product, re-coded ({PRODUCT_TYPES[last]}); "
                "the original code is kept alongside",
            }
        else:
            errors.append(
                f"{where('cascade_product_type')}: {last!r} not allowed; allowed: P, M, C"
            )
    return CodeCheck(valid=not errors, form=form, fields=fields, errors=errors, warnings=warnings)
