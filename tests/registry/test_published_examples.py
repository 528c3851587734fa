"""The Battery Pass consortium's published example payloads (all seven aspects, shipped in
``data/passport/batterypass-1.2.0``) as one passport: imported through the command line and the
API from each encoding a client may use, read back at each role with exactly the fields of its
longlist tiers, exported identical to what went in.

Expectations come from the published files themselves and from the longlist's "Access rights"
column (the catalogue's access codes, transcribed from it), not from the registry's projection.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from registry.registry_helpers import Registry
from urbanmine.cli import app
from urbanmine.passport import batterypass
from urbanmine.passport.catalogue import catalogue
from urbanmine.registry.store import Operator

runner = CliRunner()
P = "/api/v1"
PUBLISHED_ID = "urn:bmwk:123456687678"

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),  # as most are published
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-8": lambda t: t.encode("utf-8"),  # as GeneralProductInformation is published
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
}

ROLES_OF = {  # the longlist's "Access rights according to Battery Regulation" wording
    "P": {"public", "legitimate_interest", "notified_body", "market_surveillance", "commission"},
    "L": {"legitimate_interest"},  # "persons with a legitimate interest"
    "L+C": {"legitimate_interest", "commission"},  # "... legitimate interest and the Commission"
    "A": {"notified_body", "market_surveillance", "commission"},  # "Notified bodies, market ..."
}


def published_text(name: str) -> str:
    """A shipped file's text, decoded with the standard library from its byte-order mark."""
    data = batterypass.raw(name)
    if data.startswith(codecs.BOM_UTF16_LE):
        return data.decode("utf-16")
    assert not data.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF8)), name
    return data.decode("utf-8")


def assembled(ident: str) -> str:
    """Every published example spliced verbatim under its aspect (numbers, CRLF and all), with
    the passport identifier replaced (so that one registry holds several)."""
    parts = [f'"{a}": {published_text(batterypass.example_file(a))}' for a in batterypass.ASPECTS]
    text = "{\r\n" + ",\r\n".join(parts) + "\r\n}\r\n"
    assert text.count(f'"{PUBLISHED_ID}"') == 1
    return text.replace(f'"{PUBLISHED_ID}"', f'"{ident}"')


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every scalar (list positions as ints)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict | list):
        for i, value in enumerate(node):
            yield from leaves(value, (*path, i))
    else:
        yield path


def field_of(leaf: tuple[Any, ...]) -> Any:
    """The catalogue field a leaf belongs to: the one with the longest path that begins it."""
    keys = tuple(k for k in leaf if isinstance(k, str))
    best = None
    for f in catalogue().fields.values():
        fpath = (f.aspect, *(k.removesuffix("[]") for k in f.path))
        if keys[: len(fpath)] == fpath and (best is None or len(fpath) > len(best[0])):
            best = (fpath, f)
    assert best is not None, f"no catalogue field covers {'.'.join(map(str, leaf))}"
    return best[1]


def visible(doc: dict[str, Any], role: str, leaf: tuple[Any, ...]) -> bool:
    if role in ROLES_OF[field_of(leaf).access_code]:
        return True
    # longlist row 32 "Critical raw materials" (public): the names of the materials flagged
    if (
        leaf[:2] == ("MaterialComposition", "batteryMaterials")
        and leaf[-1] == "batteryMaterialName"
    ):
        item = doc["MaterialComposition"]["batteryMaterials"][leaf[2]]
        crm = catalogue().fields["isCriticalRawMaterial"]
        return item.get("isCriticalRawMaterial") is True and role in ROLES_OF[crm.access_code]
    return False


def test_the_catalogue_covers_every_published_property() -> None:
    doc = json.loads(assembled(PUBLISHED_ID))
    for leaf in leaves(doc):
        field_of(leaf)  # raises when no field covers it
    assert field_of(
        ("PerformanceAndDurability", "batteryTechicalProperties", "cRate")
    ).longlist == (66,)


UPSTREAM_BLOBS = {  # git blob ids in batterypass/BatteryPassDataModel at commit 4c96de2
    "CarbonFootprintForBatteries-payload.json": "7d641244e79a2aafcb6a4893b40ad2bb68483824",
    "CarbonFootprintForBatteries-schema.json": "7b540a7ceaa949bb9f8ff28a232f1a8fcdf2dbda",
    "Circularity-schema.json": "714dda39d2229f0705fdaf59f18b0713522c32b6",
    "Circularity.json": "e6646b8015689e735de80128bed2ad5b4e19ff5c",
    "GeneralProductInformation-payload.json": "30355131acfee4ab92097a453f7e66a982310d72",
    "GeneralProductInformation-schema.json": "6362a1c4e3e96fb12574878120faf427da3c9d9e",
    "Labeling-payload.json": "5ddc58eaf790b841dfcb1810ae8476c19af1682a",
    "Labeling-schema.json": "2e0c9de52655e02ab39aa8d2c65fdb1d25a108b8",
    "MaterialComposition-payload.json": "4881934b32c96c942737e5eb3fd7c9f903a1f53c",
    "MaterialComposition-schema.json": "518cafc153220c10ab3d89291ae479765656d738",
    "PerformanceAndDurability-payload.json": "a21ebdf1540d0ecb356e5cfaef5d8a068da1b1ec",
    "PerformanceAndDurability-schema.json": "837c9a90299da47030d1d6a8da84b145a76ee22e",
    "SupplyChainDueDiligence-payload.json": "7fc04a548aeb8f8b192cb2bc19d790450fbe2d73",
    "SupplyChainDueDiligence-schema.json": "7bec3fe05b980ed3f5886f05ac5c44ee79e07c26",
}


def test_shipped_files_are_the_published_ones() -> None:
    """Seven schemas and seven examples, byte for byte (their git blob ids upstream); encodings
    as published (README of the folder)."""
    names = [batterypass.schema_file(a) for a in batterypass.ASPECTS] + [
        batterypass.example_file(a) for a in batterypass.ASPECTS
    ]
    assert sorted(names) == sorted(UPSTREAM_BLOBS)
    for name in names:
        data = batterypass.raw(name)
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        assert blob == UPSTREAM_BLOBS[name], name
        utf8 = name.startswith("GeneralProductInformation")
        assert data.startswith(codecs.BOM_UTF16_LE) != utf8, name
        assert (b"\r\n" in data or b"\r\x00\n\x00" in data) != utf8, name
        assert json.loads(published_text(name))  # parses as published


def import_cli(reg: Registry, tmp_path: Path, ident: str, data: bytes) -> None:
    src = tmp_path / f"{ident.rsplit(':', 1)[-1]}.json"
    src.write_bytes(data)
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", reg.url])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"imported": [ident]}


def test_published_examples_import_read_back_and_export(reg: Registry, tmp_path: Path) -> None:
    with reg.sessions.begin() as s:
        s.add(Operator(id="acme", name="Acme"))
    key = reg.key("acme")
    readers = {role: reg.key(f"reader-{role}", role) for role in ROLES_OF["P"] - {"public"}}
    readers |= {"public": {}, "admin": reg.admin}
    for n, (encoding, encode) in enumerate(ENCODINGS.items()):
        for channel in ("cli", "api"):
            ident = f"urn:acme:{channel}{n}"
            text = assembled(ident)
            if channel == "cli":
                import_cli(reg, tmp_path, ident, encode(text))
            else:
                body = encode(json.dumps({"document": json.loads(text)}, ensure_ascii=False))
                r = reg.client.post(
                    f"{P}/passports",
                    content=body,
                    headers={**key, "Content-Type": "application/json"},
                )
                assert r.status_code == 201, (encoding, r.text)
            went_in = json.loads(text)
            # the registry sets batteryStatus (already "Original" here) and the identifier
            assert went_in["GeneralProductInformation"]["batteryStatus"] == "Original"
            for role, headers in readers.items():
                got = reg.client.get(f"{P}/passports/{ident}", headers=headers)
                assert got.status_code == 200, got.text
                seen = set(leaves(got.json()["document"]))
                expected = {
                    leaf
                    for leaf in leaves(went_in)
                    if role == "admin" or visible(went_in, role, leaf)
                }
                assert seen == expected, (encoding, channel, role, seen ^ expected)
            exported = runner.invoke(app, ["registry", "export", ident, "--db", reg.url])
            assert exported.exit_code == 0, exported.output
            assert json.loads(exported.output) == went_in, (encoding, channel)
            api_export = reg.client.get(f"{P}/passports/{ident}/export", headers=key)
            assert api_export.json() == went_in


@pytest.mark.parametrize("aspect", batterypass.ASPECTS)
def test_each_published_example_is_accepted_as_its_aspect(aspect: str) -> None:
    from urbanmine.registry.documents import check_aspect

    check_aspect(aspect, json.loads(published_text(batterypass.example_file(aspect))))
