"""Species sets in split tables: ``"@batteries"`` and ``"@FEED"`` keys.

A unit's split table maps species to the share sent to an outlet; ``"*"`` stands for every
species the table does not list. A key starting with ``@`` names a *set* of species, resolved when
the flowsheet is compiled (like ``"*"``, against the species the flowsheet holds):

- ``"@batteries"``: every species that any battery feed holds, the union over the chemistries,
  the forms (pack, module, cell, scrap, black mass) and the presets of the shipped bills of
  materials (``urbanmine/data/bom``), computed from them, never typed;
- ``"@FEED"``: every species of the feed named ``FEED`` (``"@NMC622-pack"``, ``"@FC-stack-80kW"``),
  a battery feed or a composition feed (its parts included).

Precedence inside one table: a species named explicitly wins over a set that holds it, and a set
wins over ``"*"``. Two sets of one table that share a species must give it the same value. An
unknown set is a :class:`~urbanmine.flowsheet.errors.RouteError` naming it and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TypeVar

from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError

SET_PREFIX = "@"
BATTERIES = "@batteries"

V = TypeVar("V")


@cache
def battery_species() -> frozenset[str]:
    """Species of every battery feed of every shipped bill of materials (see module doc)."""
    from urbanmine.materials.chemistry import CHEMISTRIES
    from urbanmine.materials.feeds import FORMS, get_feed
    from urbanmine.materials.presets import presets

    found: set[str] = set()
    for preset in presets():
        for chemistry in CHEMISTRIES:
            for form in FORMS:
                try:
                    found |= set(get_feed(f"{chemistry}-{form}", preset).species_kg)
                except InputError:  # a preset without that chemistry or without its packs
                    continue
    return frozenset(found)


@cache
def set_species(key: str) -> frozenset[str]:
    """The species of the set ``key`` (``"@batteries"`` or ``"@FEED"``)."""
    if key == BATTERIES:
        return battery_species()
    from urbanmine.materials.feeds import get_feed

    name = key[len(SET_PREFIX) :]
    try:
        return frozenset(get_feed(name).species_kg) if name else frozenset()
    except InputError as error:
        raise RouteError(
            f"split key {key!r}: unknown species set ({error}); a set is {BATTERIES!r} (every "
            "battery feed's species) or '@' and a feed name, e.g. '@NMC622-pack'"
        ) from None


def is_set(key: str) -> bool:
    return key.startswith(SET_PREFIX)


def expand_split(table: Mapping[str, V]) -> dict[str, V]:
    """``table`` with its set keys replaced by their species (``"*"`` kept), per the module
    doc's precedence; raises RouteError for an unknown set or two sets that disagree."""
    out: dict[str, V] = {}
    by_set: dict[str, str] = {}
    for key, value in table.items():
        if not is_set(key):
            continue
        for sp in sorted(set_species(key)):
            if sp in out and out[sp] != value and sp not in table:
                raise RouteError(
                    f"split sets {by_set[sp]!r} and {key!r} both hold {sp!r} with different "
                    f"shares ({out[sp]!r}, {value!r}); name {sp!r} in the table to decide"
                )
            out[sp], by_set[sp] = value, key
    out.update({k: v for k, v in table.items() if not is_set(k)})
    return out
