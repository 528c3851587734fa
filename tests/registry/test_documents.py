"""Battery Pass documents against the published 1.2.0 JSON schemas, the registry's own rules, and
the encodings JSON arrives in (files at the command line, bodies at the API)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

from registry.registry_helpers import Registry, document
from urbanmine import jsonbytes
from urbanmine.cli import app
from urbanmine.errors import InputError
from urbanmine.passport import batterypass
from urbanmine.registry.documents import fast_validator, validate, validator
from urbanmine.registry.errors import Invalid
from urbanmine.registry.store import Operator, make_engine, session_factory

GPI = "GeneralProductInformation"
runner = CliRunner()


def refused(doc: dict[str, Any]) -> str:
    with pytest.raises(Invalid) as exc:
        validate(doc)
    return str(exc.value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "batteryMass",
            "heavy",
            "GeneralProductInformation.batteryMass: 'heavy' is not of type 'number'",
        ),
        (
            "batteryMass",
            -5,
            "GeneralProductInformation.batteryMass: -5 is less than or equal to the minimum of 0 (registry rule",
        ),
        ("batteryMass", 0, "minimum of 0"),
        (
            "manufacturingDate",
            12,
            "GeneralProductInformation.manufacturingDate: 12 is not of type 'string'",
        ),
        (
            "manufacturingDate",
            "2027-13-01T00:00:00Z",
            "is not a 'date-time'; allowed: an RFC 3339 date-time",
        ),
        (
            "batteryCategory",
            "portable",
            "'portable' is not one of ['lmt', 'ev', 'industrial', 'stationary']",
        ),
        ("warrentyPeriod", "6 months", "does not match"),
        ("colour", "blue", "('colour' was unexpected); allowed: batteryCategory, batteryMass"),
    ],
)
def test_values_are_checked_against_the_schema(key: str, value: Any, message: str) -> None:
    doc = document("urn:acme:b1")
    doc[GPI][key] = value
    assert message in refused(doc)


def test_nested_paths_required_fields_and_registry_rules() -> None:
    doc = document("urn:acme:b1")
    doc["MaterialComposition"]["batteryMaterials"][0]["batteryMaterialMass"] = -1.0
    assert refused(doc).startswith(
        "MaterialComposition.batteryMaterials[0].batteryMaterialMass: -1.0 is less than"
    )
    doc = document("urn:acme:b1")
    del doc["CarbonFootprintForBatteries"]["carbonFootprintStudy"]
    assert "CarbonFootprintForBatteries: 'carbonFootprintStudy' is a required property" in refused(
        doc
    )
    doc = document("urn:acme:b1")  # SAMM entity extended through allOf: both parts' properties
    value = doc["PerformanceAndDurability"]["batteryCondition"]["remainingPowerCapability"][0]
    value["remainingPowerCapabilityValue"]["colour"] = 1
    assert "remainingPowerCapabilityValue: Additional properties" in refused(doc)
    doc = document("urn:acme:b1")
    doc["PerformanceAndDurability"]["batteryTechicalProperties"]["temperatureRangeIdleState"] = 61
    assert "61 is greater than the maximum of 60" in refused(doc)
    doc = document("urn:acme:b1")
    doc["Labeling"]["declarationOfConformity"] = "see the box"
    assert "Labeling.declarationOfConformity: 'see the box' is not a 'uri'" in refused(doc)


def test_optional_properties_and_absent_aspects_are_accepted() -> None:
    doc = document("urn:acme:b1")
    assert "cRate" in doc["PerformanceAndDurability"]["batteryTechicalProperties"]
    validate(doc)  # cRate (optional in the model) is accepted
    del doc["PerformanceAndDurability"]["batteryTechicalProperties"]["cRate"]
    validate(doc)
    validate({GPI: doc[GPI]})  # a passport fills over its life
    assert "GeneralProductInformation is required" in refused({"Labeling": doc["Labeling"]})
    assert "unknown aspect 'Foo'; allowed: GeneralProductInformation" in refused({**doc, "Foo": {}})


def test_registry_set_fields_and_leniencies() -> None:
    doc = document("urn:acme:b1")
    del doc[GPI]["batteryStatus"]
    assert validate(doc)[GPI]["batteryStatus"] == "Original"
    doc[GPI]["batteryStatus"] = "re-used"  # the regulation's spelling
    assert validate(doc)[GPI]["batteryStatus"] == "Reused"
    doc[GPI]["batteryStatus"] = "broken"
    assert "GeneralProductInformation.batteryStatus: unknown battery status" in refused(doc)
    doc = document("urn:acme:b1")
    del doc[GPI]["batteryPassportIdentifier"]
    assert validate(doc, "urn:acme:b1")[GPI]["batteryPassportIdentifier"] == "urn:acme:b1"
    doc[GPI]["batteryPassportIdentifier"] = "X12MCPM27KLPCLX2M2382320"  # GB/T 34014
    validate(doc)
    # the published CAS number "7439-93-2 " (trailing space) is stored as it came
    stored = validate(document("urn:acme:b1"))
    assert stored["MaterialComposition"]["batteryMaterials"][0]["batteryMaterialIdentifier"] == (
        "7439-93-2 "
    )
    doc = document("urn:acme:b1")
    doc["MaterialComposition"]["batteryMaterials"][0]["batteryMaterialIdentifier"] = "7439-93"
    assert "does not match '^\\\\d{2,7}-\\\\d{2}-\\\\d{1}$'" in refused(doc)
    # the general product information's e-mail pattern as published matches no real address
    doc = document("urn:acme:b1")
    doc[GPI]["operatorInformation"]["emailAddress"] = "passports@acme-cells.de"
    schema = batterypass.schema(GPI)
    assert not Draft4Validator(schema).is_valid(doc[GPI])
    validate(doc)
    doc[GPI]["operatorInformation"]["emailAddress"] = "passports at acme-cells.de"
    assert "emailAddress" in refused(doc)


def wrong_types(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from wrong_types(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i)
            yield from wrong_types(value, (*path, i))


def replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    node = json.loads(json.dumps(node))
    target = node
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return node


@pytest.mark.parametrize("aspect", batterypass.ASPECTS)
def test_the_registry_refuses_whatever_the_published_schema_refuses(aspect: str) -> None:
    """Each value of the published example replaced by a value of another type (a JSON object
    for a scalar, a string for a list or object): the published schema (with its references, as
    published) and the registry's inlined validator give the same verdict."""
    example = batterypass.example(aspect)
    if aspect == "MaterialComposition":  # valid under the published schema without the space
        example["batteryMaterials"][0]["batteryMaterialIdentifier"] = "7439-93-2"
    published = Draft4Validator(batterypass.schema(aspect))
    assert published.is_valid(example)
    ours, fast = validator(aspect), fast_validator(aspect)
    assert fast.is_valid(example)
    checked = 0
    for path in wrong_types(example):
        if path == ("batteryPassportIdentifier",):  # checked by check_identifier instead
            continue
        for value in ({"x": 1}, "x", 1.5, True, None):
            bad = replaced(example, path, value)
            assert fast.is_valid(bad) == ours.is_valid(bad), (path, value)
            if not published.is_valid(bad):
                assert not ours.is_valid(bad), (path, value)
                checked += 1
    assert checked > 10


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": "\xc3\xa9"}', {"a": "é"}),
        (codecs.BOM_UTF8 + b'{"a": 1}', {"a": 1}),
        (codecs.BOM_UTF16_LE + '{"a": "é"}'.encode("utf-16-le"), {"a": "é"}),
        (codecs.BOM_UTF16_BE + '{"a": "é"}'.encode("utf-16-be"), {"a": "é"}),
    ],
)
def test_json_bytes_in_accepted_encodings(data: bytes, expected: Any) -> None:
    assert jsonbytes.loads(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": "\xe9"}', "not valid UTF-8: byte 0xe9 at offset 7"),
        ('{"a": 1}'.encode("utf-16-le"), "UTF-16 or UTF-32 without a byte-order mark"),
        (codecs.BOM_UTF32_LE + '{"a": 1}'.encode("utf-32-le"), "UTF-32 little-endian"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8{\x00", "not valid UTF-16 little-endian"),
        (b"{'a': 1}", "not JSON"),
    ],
)
def test_other_encodings_are_one_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as exc:
        jsonbytes.loads(data)
    assert message in str(exc.value)


def test_cli_import_reads_utf16_and_refuses_latin1(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert runner.invoke(app, ["registry", "init", "--db", db]).exit_code == 0
    with session_factory(make_engine(db)).begin() as s:
        s.add(Operator(id="acme", name="Acme"))
    src = tmp_path / "in.json"
    text = json.dumps(document("urn:acme:c1"))
    src.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", db])
    assert r.exit_code == 0 and json.loads(r.output) == {"imported": ["urn:acme:c1"]}, r.output
    src.write_bytes(text.replace("Lithium", "Lithium é").encode("latin-1"))
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", db])
    assert r.exit_code == 2 and "is not valid UTF-8" in r.output and "UTF-16" in r.output


def test_api_bodies_in_utf16_with_bom_and_refused_encodings(reg: Registry) -> None:
    key = {**reg.key("acme"), "Content-Type": "application/json"}
    body = json.dumps({"document": document("urn:acme:a1")}, ensure_ascii=False)
    r = reg.client.post(
        "/api/v1/passports", content=codecs.BOM_UTF16_LE + body.encode("utf-16-le"), headers=key
    )
    assert r.status_code == 201, r.text
    latin = body.replace("urn:acme:a1", "urn:acme:a2").replace("Lithium", "Lithium é")
    r = reg.client.post("/api/v1/passports", content=latin.encode("latin-1"), headers=key)
    assert r.status_code == 400 and "body: the text is not valid UTF-8" in r.json()["message"]
    assert reg.client.get("/api/v1/passports/urn:acme:a2", headers=key).status_code == 404


def test_sample_passports_file_imports(tmp_path: Path) -> None:
    """examples/registry/passports.json (the README's import example): the published examples
    with three identifiers, categories and masses; imported in one go."""
    sample = Path(__file__).parents[2] / "examples" / "registry" / "passports.json"
    docs = json.loads(sample.read_text(encoding="utf-8"))
    assert docs == [
        batterypass.example_document("urn:acme:pack0001", "ev", 450.0),
        batterypass.example_document("urn:acme:pack0002", "ev", 452.5),
        batterypass.example_document("urn:acme:ebike0001", "lmt", 3.2),
    ]
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert runner.invoke(app, ["registry", "init", "--db", db]).exit_code == 0
    with session_factory(make_engine(db)).begin() as s:
        s.add(Operator(id="acme", name="Acme"))
    r = runner.invoke(app, ["registry", "import", str(sample), "--operator", "acme", "--db", db])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"imported": [d[GPI]["batteryPassportIdentifier"] for d in docs]}
