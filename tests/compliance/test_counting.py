"""The counting method of Delegated Regulation (EU) 2025/606 as data: it loads, every point says
where it was read, the negative list holds element symbols, and edited copies are validated."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from molmass import ELEMENTS

from urbanmine.compliance.counting import (
    counting_note,
    load_counting_method,
    read_counting_method,
)
from urbanmine.errors import InputError

SHIPPED = resources.files("urbanmine.data").joinpath("counting", "eu-2025-606.toml")


def _raw() -> dict:
    """The shipped file parsed by tomllib alone, independent of the loader under test."""
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_shipped_method_loads_with_its_choices():
    method = load_counting_method()
    raw = _raw()
    assert method.id == "eu-2025-606" == raw["method"]["id"]
    assert method.default_counting == "battery_origin"
    assert method.upper_bound_counting == "element_capped"
    assert [p.id for p in method.points] == [p["id"] for p in raw["points"]]
    assert method.negative_list == tuple(raw["negative_list"]["elements"])
    assert "493/2012" in method.legal and "2025/606" in method.legal


def test_every_point_has_legal_status_and_source():
    raw = _raw()
    tables = [*raw["points"], raw["negative_list"], raw["input_subtractions"]]
    for table in tables:
        for key in ("legal", "status", "source"):
            assert isinstance(table.get(key), str) and table[key].strip(), (table, key)
        assert table["status"] in {"read", "provisional"}, table


def test_negative_list_holds_real_element_symbols():
    for symbol in load_counting_method().negative_list:
        assert symbol in ELEMENTS, symbol


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            'id = "energy-recovery-excluded"',
            'id = "energy-recovery-excluded"\nsorce = "x"',
            "sorce",
        ),
        ("[input_subtractions]", "[input_subtraction]", "input_subtraction"),
        (
            'default_counting = "battery_origin"',
            'default_counting = "battery_origin"\ndefualt = 1',
            "defualt",
        ),
    ],
)
def test_edited_copy_with_an_unknown_key_is_refused(tmp_path, old, new, named):
    path = _edited(tmp_path, old, new)
    with pytest.raises(InputError, match=named) as info:
        read_counting_method(path)
    assert "unknown key" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('Art. 2(3)"\nstatus = "read"', 'Art. 2(3)"\nstatus = "maybe"', "points.0.status"),
        ('elements = ["C", "P", "Cl"]', 'elements = ["C", "Xx"]', "Xx"),
        ('default_counting = "battery_origin"', 'default_counting = "mass"', "mass"),
    ],
)
def test_edited_copy_with_a_bad_value_is_refused(tmp_path, old, new, named):
    with pytest.raises(InputError, match=named):
        read_counting_method(_edited(tmp_path, old, new))


def test_unknown_method_is_refused():
    with pytest.raises(InputError, match="eu-2025-606"):
        load_counting_method("eu-2099-1")


def test_counting_note_says_rule_legal_and_provisional_points():
    method = load_counting_method()
    raw = _raw()
    note = counting_note(method, "battery_origin", exclude_negative_list=False)
    json.dumps(note)  # embeddable in a JSON result
    assert note["counting"] == "battery_origin" and note["is_default"] and not note["upper_bound"]
    assert note["rule"] == raw["countings"]["battery_origin"]
    assert note["negative_list"]["excluded"] is False and note["negative_list"]["elements"] == []
    expected = [p["id"] for p in raw["points"] if p["status"] == "provisional"]
    assert [p["point"] for p in note["provisional"]] == expected
    assert set(note["legal_references"]) == {p["legal"] for p in raw["points"]}

    upper = counting_note(method, "element_capped", exclude_negative_list=True)
    assert upper["upper_bound"] and not upper["is_default"]
    assert upper["negative_list"]["elements"] == raw["negative_list"]["elements"]


def test_counting_note_refuses_an_unknown_counting():
    with pytest.raises(InputError, match="battery_origin, element_capped"):
        counting_note(load_counting_method(), "total_mass", exclude_negative_list=False)
