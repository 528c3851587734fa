"""Human labels and units of the Battery Pass fields, as the SAMM model v1.2.0 names them.

Expected values are read from the model's .ttl files (batterypass/BatteryPassDataModel at commit
4c96de2947a9bd6f56481a9103aadd7c712defc8) and the SAMM unit catalogue 2.1.0 (eclipse-esmf
esmf-semantic-aspect-meta-model, ``samm/unit/2.1.0/units.ttl``): a property's ``samm:preferredName``
(``ManufacturerIdentification`` -> "Manufacturer identification"), else its name in words; a
Measurement's ``samm-c:unit`` by the unit's ``samm:symbol`` (unit:kilogram "kg", unit:ampereHour
"A·h", unit:volt "V", unit:year "y", unit:month "mo"); the model's own units by its text
(``:KilogramPerKilowattHour`` commonCode "kg CO2e/kWh"; ``:kilogramm`` "Kilogramm Co2
Equivalent", symbol "kg"; ``:C`` symbol "C").
"""

from __future__ import annotations

import re

import pytest

from urbanmine.passport import catalogue
from urbanmine.passport.catalogue import _build_field
from urbanmine.passport.labels import aspect_title, enumeration_words, property_label

MODEL = {
    # name: (label, unit)
    "batteryMass": ("Battery mass", "kg"),
    "manufacturerInformation": ("Manufacturer identification", ""),
    "batteryCategory": ("Battery category", ""),
    "batteryCarbonFootprint": ("Battery carbon footprint", "kg CO2e/kWh"),
    "absoluteCarbonFootprint": ("Absolute carbon footprint", "kg CO2e"),
    "ratedCapacity": ("Rated capacity", "A·h"),
    "nominalVoltage": ("Nominal voltage", "V"),
    "expectedLifetime": ("Expected lifetime", "y"),
    "warrentyPeriod": ("Warranty period", "mo"),
    "cRateLifeCycleTest": ("C-rate of the life cycle test", "C"),
}


@pytest.mark.parametrize("name", sorted(MODEL))
def test_field_label_and_unit_from_the_model(name: str) -> None:
    f = catalogue().fields[name]
    assert (f.label, f.unit) == MODEL[name]


def test_every_field_has_a_readable_label() -> None:
    for f in catalogue().fields.values():
        assert f.label and f.label[0].isupper(), f.name
        assert not re.search(r"[a-z][A-Z]", f.label), (f.name, f.label)  # no camelCase left


def test_a_field_without_label_is_refused_on_load() -> None:
    raw = {
        "name": "batteryMass",
        "aspect": "GeneralProductInformation",
        "path": "batteryMass",
        "longlist": [10],
        "annex_xiii": "1(a)",
        "access": "P",
        "kind": "static",
        "requirement": dict.fromkeys(("ev", "lmt", "industrial", "stationary"), "mandatory"),
        "source": ["ll"],
        "unit": "kg",
    }
    with pytest.raises(ValueError, match="label"):
        _build_field(raw, {"ll": "longlist"})
    with pytest.raises(ValueError, match="unit"):
        _build_field({**raw, "label": "Battery mass", "unit": 5}, {"ll": "longlist"})


def test_nested_properties_enumerations_and_aspects() -> None:
    # Nested properties of the model's entities (not catalogue fields): label and unit.
    assert property_label("stateOfChargeValue") == ("State of charge value", "%")
    assert property_label("lastUpdate") == ("Last update", "")
    assert property_label("shortName") == ("Short name", "")
    # Not in the model at all: the name in words, no unit.
    assert property_label("someFutureProperty") == ("Some future property", "")
    assert enumeration_words("batteryCategory", "ev") == "Electric vehicle battery"
    assert enumeration_words("batteryCategory", "lmt") == "LMT battery"
    assert enumeration_words("lifecycleStage", "RawMaterialExtraction") == "Raw material extraction"
    assert enumeration_words("batteryCategory", "unknown") == "unknown"
    assert aspect_title("PerformanceAndDurability") == "Performance and durability"
    assert aspect_title("GeneralProductInformation") == "General product information"
