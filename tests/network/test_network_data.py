"""The built-in network data (``urbanmine/data/network/*.toml``) and its merge with a user's section.

Expected values come from the geography (region boxes), the fleet data and fleet model (codes,
candidate rule), another shipped citation (EverBatt's interest rate) or the input's own
definition of override (a user value replaces a built-in one field by field)."""

from __future__ import annotations

import itertools
import re
import tomllib
from importlib import resources
from typing import Any

import numpy as np
import pytest

from urbanmine.errors import InputError
from urbanmine.network.data import BUILT, PENALISED, builtin, resolve
from urbanmine.network.instance import great_circle_km
from urbanmine.network.scenario import COMMODITIES, Site, Source, network_section

REGIONS = ("europe", "china")
DATED = re.compile(r"\b(19|20)\d\d\b")
BOX = {"europe": ((34.0, 72.0), (-25.0, 35.0)), "china": ((18.0, 54.0), (73.0, 135.0))}
"""(lat, lon) bounds: Europe from Cyprus and Crete to the North Cape, Iceland to Cyprus' east
coast; mainland China from Hainan to Heilongjiang, Xinjiang to the Ussuri."""


def _fleet(region: str) -> dict[str, Any]:
    text = resources.files("urbanmine.data").joinpath("fleet", f"{region}.toml").read_text("utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize("region", REGIONS)
def test_every_site_and_source_validates_inside_the_region(region: str) -> None:
    data = builtin(region)
    sites = [Site.model_validate(s) for s in data["sites"]]
    sources = [Source.model_validate(s) for s in data["sources"]]
    (lat0, lat1), (lon0, lon1) = BOX[region]
    for item in [*sites, *sources]:
        assert lat0 <= item.lat <= lat1 and lon0 <= item.lon <= lon1, item.name
        assert item.source.strip(), item.name
    assert len({s.name for s in sites}) == len(sites)
    assert len({s.name for s in sources}) == len(sources)


@pytest.mark.parametrize("region", REGIONS)
def test_every_number_of_the_network_files_has_a_dated_source(region: str) -> None:
    """Sites, sources and commodities carry a ``source`` naming a dated publication; every
    number of ``[meta]`` has a ``<key>_source`` beside it or sits in a table with a ``source``
    (tests/data/test_sources.py checks the wording of every shipped citation)."""
    data = builtin(region)
    entries = [*data["sites"], *data["sources"], *data["transport"]["commodities"].values()]
    assert all(DATED.search(e["source"]) for e in entries)
    for key, value in data["meta"].items():
        if isinstance(value, dict):
            assert DATED.search(value["source"]), key
        elif isinstance(value, int | float | list):
            assert DATED.search(data["meta"][f"{key}_source"]), key


@pytest.mark.parametrize("region", REGIONS)
def test_sites_are_complete_for_their_status(region: str) -> None:
    """Existing, building and announced sites have a capacity and a start year; candidates have
    their own sizes or the tier's; integrated plants are two sites at one place."""
    data = builtin(region)
    for raw in data["sites"]:
        site = Site.model_validate(raw)
        if site.status in ("operating", "construction", "announced"):
            assert site.capacity_t and site.start_year, site.name
        if site.status == "candidate":
            assert site.sizes_t or site.tier in BUILT, site.name
    assert set(data["meta"]["sizes_t"]) - {"source"} == set(BUILT)


def test_sources_are_the_fleet_models_countries() -> None:
    countries = set(_fleet("europe")["sales"]["bev_car"])
    sources = builtin("europe")["sources"]
    assert {s["fleet"] for s in sources} == countries
    assert all(s["name"] == s["fleet"] for s in sources)


def test_china_sources_are_the_fleet_models_provinces() -> None:
    provinces = _fleet("china")["provinces"]["names"]
    assert sorted(s["fleet"] for s in builtin("china")["sources"]) == sorted(provinces)


def _candidate_places(region: str) -> set[tuple[str, float, float]]:
    """(tier, lat, lon) of the candidates that stand at a capital (no operator)."""
    return {
        (s["tier"], s["lat"], s["lon"])
        for s in builtin(region)["sites"]
        if s["status"] == "candidate" and not s["operator"]
    }


def _at_capitals(codes: list[str], region: str) -> set[tuple[str, float, float]]:
    where = {s["fleet"]: (s["lat"], s["lon"]) for s in builtin(region)["sources"]}
    return {(tier, *where[c]) for c in codes for tier in BUILT}


def test_europe_candidates_follow_the_fleet_model() -> None:
    """One candidate of each tier at the capital of every country holding >= 2 % of Europe's
    cumulative end-of-life packs 2025-2050 in the fleet model default."""
    from urbanmine.fleet import model, scenario

    inputs = scenario.load()
    retired = model.run(inputs).flows.by_country("retired", "packs")[0]  # (years, countries)
    years = np.asarray(inputs.years)
    total = retired[(years >= 2025) & (years <= 2050)].sum(axis=0)
    share = total / total.sum()
    chosen = [c for c, s in zip(inputs.countries, share, strict=True) if s >= 0.02]
    assert 5 <= len(chosen) < len(inputs.countries)
    assert _candidate_places("europe") == _at_capitals(chosen, "europe")


def test_china_candidates_follow_the_fleet_provinces() -> None:
    """One candidate of each tier at the capital of every province holding >= 3 % of the 2023
    registrations (passenger + commercial) of the fleet data's province table."""
    provinces = _fleet("china")["provinces"]
    total = np.add(provinces["passenger"], provinces["commercial"])
    chosen = [p for p, t in zip(provinces["names"], total, strict=True) if t / total.sum() >= 0.03]
    assert 5 <= len(chosen) < len(provinces["names"])
    assert _candidate_places("china") == _at_capitals(chosen, "china")


@pytest.mark.parametrize("region", REGIONS)
def test_the_penalty_exceeds_the_dearest_haul(region: str) -> None:
    """Leaving a tonne unprocessed costs more than three legs of the longest road haul of packs
    (the dearest commodity per tonne-km) between any two places of the region."""
    data = builtin(region)
    places = np.array([(p["lat"], p["lon"]) for p in [*data["sites"], *data["sources"]]])
    longest = max(
        great_circle_km(a[0], a[1], b[0], b[1]) for a, b in itertools.combinations(places, 2)
    )
    packs = data["transport"]["commodities"]["packs"]
    per_t = (
        3 * longest * data["meta"]["circuity"] * packs["eur_per_vehicle_km"] / packs["payload_t"]
    )
    penalty = data["meta"]["penalty_eur_per_t"]
    assert min(penalty[c] for c in PENALISED) > per_t


def test_the_discount_rate_is_everbatts_interest_rate() -> None:
    text = (
        resources.files("urbanmine.data").joinpath("economics", "factors.toml").read_text("utf-8")
    )
    everbatt = tomllib.loads(text)
    rates = [v["value"] for k, v in _walk(everbatt) if k == "interest_rate"]
    assert rates
    for region in REGIONS:
        assert builtin(region)["meta"]["discount_rate"] in rates


def _walk(node: Any) -> list[tuple[str, Any]]:
    if not isinstance(node, dict):
        return []
    return [(k, v) for k, v in node.items() if isinstance(v, dict)] + [
        kv for v in node.values() for kv in _walk(v)
    ]


def test_builtin_is_a_copy_and_rejects_unknown_regions() -> None:
    builtin("europe")["sites"].clear()
    assert builtin("europe")["sites"]
    with pytest.raises(InputError, match=r"network\.region"):
        builtin("mars")


# resolve: built-in data merged with a user's section


def _user_site(**extra: Any) -> dict[str, Any]:
    return {"name": "Mine", "tier": "pretreatment", "lat": 50.0, "lon": 10.0, **extra}


def test_defaults_are_the_builtin_data() -> None:
    resolved = resolve(network_section(None))
    data = builtin("europe")
    assert [s.name for s in resolved.sites] == [s["name"] for s in data["sites"]]
    assert [s.name for s in resolved.sources] == [s["name"] for s in data["sources"]]
    assert resolved.options.years == data["meta"]["years"]
    assert resolved.options.end == data["meta"]["end"]
    assert resolved.options.discount_rate == data["meta"]["discount_rate"]
    assert resolved.transport.circuity == data["meta"]["circuity"]
    assert set(resolved.transport.commodities) == set(COMMODITIES)
    assert resolved.sizes_t["refining"] == data["meta"]["sizes_t"]["refining"]
    assert resolved.provenance["transport.circuity"] == data["meta"]["circuity_source"]


def test_a_user_site_replaces_the_builtin_of_its_name_and_others_extend() -> None:
    data = builtin("europe")
    section = network_section(
        {
            "sites": [
                _user_site(
                    name="Glencore Magdeburg",
                    status="operating",
                    capacity_t=40000.0,
                    start_year=2023,
                ),
                _user_site(status="candidate", sizes_t=[5000.0]),
            ]
        }
    )
    sites = {s.name: s for s in resolve(section).sites}
    assert len(sites) == len(data["sites"]) + 1
    assert sites["Glencore Magdeburg"].capacity_t == 40000.0
    assert sites["Mine"].sizes_t == [5000.0]


def test_builtin_false_keeps_only_the_users_entries() -> None:
    section = network_section(
        {
            "builtin_sites": False,
            "builtin_sources": False,
            "sites": [_user_site(status="candidate")],
            "sources": [{"name": "Here", "lat": 50.0, "lon": 9.0, "supply_t": {"packs": 100.0}}],
        }
    )
    resolved = resolve(section)
    assert [s.name for s in resolved.sites] == ["Mine"]
    assert [s.name for s in resolved.sources] == ["Here"]


def test_user_transport_overrides_field_by_field() -> None:
    section = network_section(
        {"transport": {"circuity": 1.2, "commodities": {"packs": {"payload_t": 10.0}}}}
    )
    resolved = resolve(section)
    packs = resolved.transport.commodities["packs"]
    builtin_packs = builtin("europe")["transport"]["commodities"]["packs"]
    assert packs.payload_t == 10.0
    assert packs.eur_per_vehicle_km == builtin_packs["eur_per_vehicle_km"]
    assert resolved.transport.circuity == 1.2
    assert resolved.provenance["transport.commodities.packs.payload_t"] == "user input"
    assert (
        resolved.provenance["transport.commodities.packs.eur_per_vehicle_km"]
        == builtin_packs["source"]
    )


def test_user_options_and_penalties() -> None:
    one = resolve(network_section({"options": {"penalty_eur_per_t": 500.0}})).options
    assert one.penalty_eur_per_t == dict.fromkeys(PENALISED, 500.0)
    some = resolve(network_section({"options": {"penalty_eur_per_t": {"packs": 1.0}}})).options
    assert isinstance(some.penalty_eur_per_t, dict)
    assert some.penalty_eur_per_t["packs"] == 1.0
    assert (
        some.penalty_eur_per_t["blackmass"]
        == builtin("europe")["meta"]["penalty_eur_per_t"]["blackmass"]
    )
    periods = resolve(network_section({"options": {"years": [2030, 2040]}})).options
    assert periods.years == [2030, 2040] and periods.end is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            {"options": {"penalty_eur_per_t": {"gold": 1.0}}},
            "network.options.penalty_eur_per_t.gold",
        ),
        ({"options": {"penalty_eur_per_t": {"packs": float("nan")}}}, "penalty_eur_per_t.packs"),
        ({"options": {"penalty_eur_per_t": {"packs": -1.0}}}, "penalty_eur_per_t.packs"),
        ({"options": {"end": 2040}}, "network.options.end"),
        (
            {"sites": [_user_site(status="announced", capacity_t=1.0)]},
            "network.sites.Mine.start_year",
        ),
        (
            {"sites": [_user_site(status="operating", start_year=2020)]},
            "network.sites.Mine.capacity_t",
        ),
        ({"sites": [_user_site(tier="market", status="candidate")]}, "network.sites.Mine.sizes_t"),
        ({"builtin_sites": False}, "network.sites"),
        ({"builtin_sources": False}, "network.sources"),
    ],
)
def test_bad_input_names_the_field(raw: dict[str, Any], field: str) -> None:
    section = network_section(raw)
    with pytest.raises(InputError) as error:
        resolve(section)
    assert field in str(error.value)
