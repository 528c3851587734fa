"""Bad input in a ``[network]`` section: one message naming the field path, the value given and
what is allowed (through ``network_section`` and ``read_network``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from urbanmine.errors import InputError
from urbanmine.network.scenario import network_section, read_network

SITE = {"name": "Hub", "tier": "pretreatment", "lat": 50.0, "lon": 10.0, "status": "candidate"}
SOURCE = {"name": "Here", "lat": 50.0, "lon": 9.0, "supply_t": {"packs": 100.0}}


def _site(**change: Any) -> dict[str, Any]:
    return {k: v for k, v in {**SITE, **change}.items() if v is not None}


def _source(**change: Any) -> dict[str, Any]:
    return {k: v for k, v in {**SOURCE, **change}.items() if v is not None}


@pytest.mark.parametrize(
    ("raw", "field", "given"),
    [
        ({"sites": [_site(tier="smelter")]}, "network.sites.0.tier", "'smelter'"),
        ({"sites": [_site(capacity_t=-5.0)]}, "network.sites.0.capacity_t", "-5.0"),
        ({"sites": [_site(lat=None)]}, "network.sites.0.lat", ""),
        ({"sites": [_site(lon=200.0)]}, "network.sites.0.lon", "200.0"),
        ({"sites": [_site(status="dreaming")]}, "network.sites.0.status", "'dreaming'"),
        ({"sites": [_site(sizes_t=[0.0])]}, "network.sites.0.sizes_t", "[0.0]"),
        ({"sources": [_source(supply_t=None)]}, "network.sources.0", "no supply"),
        ({"sources": [_source(supply_t={"packs": float("nan")})]}, "network.sources.0", "nan"),
        ({"sources": [_source(supply_t={"packs": float("inf")})]}, "network.sources.0", "inf"),
        ({"sources": [_source(supply_t={"packs": {"2030": -1.0}})]}, "network.sources.0", "-1.0"),
        ({"sources": [_source(supply_t={"gold": 1.0})]}, "network.sources.0.supply_t.gold", ""),
        ({"options": {"years": [2030, 2025]}}, "network.options.years", "[2030, 2025]"),
        ({"options": {"years": [2030, 2030]}}, "network.options.years", "[2030, 2030]"),
        ({"options": {"discount_rate": 1.5}}, "network.options.discount_rate", "1.5"),
        ({"transport": {"circuity": 0.5}}, "network.transport.circuity", "0.5"),
        ({"transport": {"commodities": {"ore": {}}}}, "network.transport.commodities.ore", ""),
        ({"region": "mars"}, "network.region", "'mars'"),
        ({"sites": [_site(colour="red")]}, "network.sites.0.colour", "'red'"),
        ({"option": {}}, "network.option", ""),
        ({"sites": [_site(), _site()]}, "network: sites", "repeated: ['Hub']"),
    ],
)
def test_bad_section_names_the_field(raw: dict[str, Any], field: str, given: str) -> None:
    with pytest.raises(InputError) as error:
        network_section(raw)
    message = str(error.value)
    assert message.startswith(field) or f"{field}:" in message, message
    assert given in message


def test_a_good_section_validates() -> None:
    section = network_section({"sites": [SITE], "sources": [SOURCE]})
    assert section.sites[0].name == "Hub" and section.sources[0].supply_t["packs"] == 100.0


def test_read_network_names_the_file_and_field(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[network]\nregion = "china"\n[[network.sites]]\nname = "X"\ntier = "bad"\n'
    )
    with pytest.raises(InputError, match=r"scenario\.toml: network\.sites\.0\.tier"):
        read_network(scenario)
    network = tmp_path / "network.toml"
    network.write_text('[options]\nyears = [2040, 2030]\n[fleet]\nregion = "europe"\n')
    with pytest.raises(InputError, match=r"network\.toml\.options\.years"):
        read_network(network)
    network.write_text('region = "china"\n[fleet]\nregion = "china"\n')
    assert read_network(network).region == "china"
    broken = tmp_path / "broken.toml"
    broken.write_text("[network\n")
    with pytest.raises(InputError, match="cannot read"):
        read_network(broken)
