"""The passport page's readable fields: labels and units of the SAMM model, values in words.

Expected texts: the issue's examples ("Battery mass 450 kg", "Carbon footprint 61.2 kg CO2e/kWh",
"Electric vehicle battery"), the SAMM unit symbols (unit:ampereHour "A·h"), calendar dates written
out. The published example payloads (tests/registry/batterypass_examples/, byte-identical copies of
../shared/data/batterypass-1.2.0, most UTF-16 with a BOM) cover every shape the model allows.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

import pytest

from registry.registry_helpers import document
from urbanmine.registry.display import Group, Items, Row, Table, Text, format_time, sections

EXAMPLES = Path(__file__).parent / "batterypass_examples"


def _read(path: Path) -> Any:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return json.loads(raw.decode("utf-16"))
    return json.loads(raw.decode("utf-8-sig"))


def published_document() -> dict[str, Any]:
    """One passport made of the seven published example payloads (aspect -> payload)."""
    return {p.name.split("-")[0].removesuffix(".json"): _read(p) for p in EXAMPLES.glob("*.json")}


def _rows(values: Any) -> list[Row]:
    """Every row of a rendered tree, depth first."""
    out: list[Row] = []
    for v in values:
        if isinstance(v, Row):
            out.append(v)
            out += _rows([v.value])
        elif isinstance(v, Group):
            out += _rows(v.rows)
        elif isinstance(v, Items):
            out += _rows(v.items)
        elif isinstance(v, Table):
            out += _rows(c for row in v.cells for c in row)
    return out


def _texts(values: Any) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, Text):
            out.append(v.text)
        elif isinstance(v, Row):
            out += _texts([v.value])
        elif isinstance(v, Group):
            out += _texts(v.rows)
        elif isinstance(v, Items):
            out += _texts(v.items)
        elif isinstance(v, Table):
            out += list(v.columns) + _texts(c for row in v.cells for c in row)
    return out


def _by_name(doc: dict[str, Any]) -> dict[str, Row]:
    return {r.name: r for s in sections(doc) for r in _rows(s.rows)}


def test_fields_read_as_label_value_unit() -> None:
    doc = document("urn:acme:bat0001")
    doc["CarbonFootprintForBatteries"]["batteryCarbonFootprint"] = 61.2
    doc["GeneralProductInformation"]["manufacturingDate"] = "2027-01-15T10:00:00+01:00"
    doc["GeneralProductInformation"]["puttingIntoService"] = "2027-03-01T09:00:00+01:00"
    doc["PerformanceAndDurability"]["batteryTechicalProperties"]["ratedCapacity"] = 200
    doc["MaterialComposition"]["batteryChemistry"] = {
        "shortName": "NMC811",
        "clearName": "lithium nickel manganese cobalt oxide",
    }
    doc["Circularity"]["safetyMeasures"]["extinguishingAgent"] = ["water"]
    rows = _by_name(doc)
    assert (rows["batteryMass"].label, rows["batteryMass"].value) == (
        "Battery mass",
        Text("450 kg"),
    )
    footprint = rows["batteryCarbonFootprint"]
    assert "carbon footprint" in footprint.label.lower()
    assert footprint.value == Text("61.2 kg CO2e/kWh")
    assert rows["batteryCategory"].value == Text("Electric vehicle battery")
    assert rows["manufacturingDate"].value == Text("15 January 2027, 10:00 (UTC+01:00)")
    assert rows["puttingIntoService"].value == Text("1 March 2027, 09:00 (UTC+01:00)")
    assert rows["batteryTechicalProperties.ratedCapacity"].value == Text("200 A·h")
    assert rows["batteryTechicalProperties.ratedCapacity"].label == "Rated capacity"
    chemistry = rows["batteryChemistry"].value
    assert isinstance(chemistry, Group)
    assert [(r.label, r.value) for r in chemistry.rows] == [
        ("Short name", Text("NMC811")),
        ("Clear name", Text("lithium nickel manganese cobalt oxide")),
    ]
    assert rows["safetyMeasures.extinguishingAgent"].value == Items((Text("water"),))


def test_sections_have_human_titles_in_model_order() -> None:
    titles = [s.title for s in sections(document("urn:acme:bat0001"))]
    assert titles[0] == "General product information"
    assert "Carbon footprint for batteries" in titles and "Performance and durability" in titles


def test_links_only_for_web_addresses() -> None:
    rows = _by_name(
        {
            "Labeling": {
                "resultOfTestReport": "https://example.org/report.pdf",
                "declarationOfConformity": "javascript:alert(1)",
            }
        }
    )
    assert rows["resultOfTestReport"].value == Text(
        "https://example.org/report.pdf", href="https://example.org/report.pdf"
    )
    assert rows["declarationOfConformity"].value == Text("javascript:alert(1)")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2027-01", "January 2027"),
        ("2027-03-01", "1 March 2027"),
        ("2025-06-17T11:14:27.698+02:00", "17 June 2025, 11:14 (UTC+02:00)"),
        ("2025-01-31T14:06:29Z", "31 January 2025, 14:06 (UTC)"),
        ("2025-13-45", None),  # not a date: left as written
        ("NMC811", None),
    ],
)
def test_dates_are_written_out(value: str, text: str | None) -> None:
    assert format_time(value) == text


def test_every_published_example_renders_readably() -> None:
    doc = published_document()
    assert len(doc) == 7
    secs = sections(doc)
    assert {s.aspect for s in secs} == set(doc)
    for s in secs:
        shown = {r.name.split(".")[0] for r in s.rows}
        assert shown == set(doc[s.aspect]), s.aspect  # every top-level property has a row
    rows = [r for s in secs for r in _rows(s.rows)]
    for r in rows:
        assert not re.search(r"[a-z][A-Z]", r.label), (r.name, r.label)  # no raw camelCase names
        assert r.label[0].isupper() or r.label[0].isdigit() or r.label == "en", r.label
    for text in _texts(secs):
        assert not text.startswith(('"', "{", "[")), text  # no JSON
        assert len(text) < 250, text
    by_name = {r.name: r for r in rows}
    assert by_name["batteryMass"].value == Text("699 kg")
    assert by_name["batteryCategory"].value == Text("LMT battery")
    # 1.8e308 as a float, and a 309-digit integer: in scientific notation, not 309 digits
    assert by_name["batteryCarbonFootprint"].value == Text("−1.79769 × 10³⁰⁸ kg CO2e/kWh")
    cycles = by_name["batteryCondition.numberOfFullCycles.numberOfFullCyclesValue"].value
    assert cycles == Text("−1.79769 × 10³⁰⁸ cycles")
    stages = by_name["carbonFootprintPerLifecycleStage"].value
    assert isinstance(stages, Table) and stages.columns == ("Lifecycle stage", "Carbon footprint")
    assert stages.cells[0][0] == Text("Raw material extraction")
