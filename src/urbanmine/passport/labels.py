"""Human labels and units of Battery Pass properties, aspect titles and enumeration values in words.

Catalogue fields carry their own ``label`` and ``unit`` (``catalogue.Field``); the other properties
of the SAMM model (entity members such as ``lastUpdate`` or ``stateOfChargeValue``), the aspects and
the enumerations are in ``data/passport/battery-pass-v1.2-labels.toml``. Both files are written by
``tools/samm_labels.py`` from the SAMM model v1.2.0; the rules are in that file's ``[meta]``. A name
the model does not have is shown in words (``someFutureProperty`` -> "Some future property").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from urbanmine.data import load_toml
from urbanmine.passport.catalogue import catalogue

LABELS_FILE = ("passport", "battery-pass-v1.2-labels.toml")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+[A-Za-z]*|[A-Z]+")


@dataclass(frozen=True)
class Labels:
    """Aspect titles (in page order), property label and unit, enumeration value -> words."""

    aspects: dict[str, str]
    properties: dict[str, tuple[str, str]]
    enumerations: dict[str, dict[str, str]]


def words(name: str) -> str:
    """A camelCase or PascalCase name in words, sentence case, acronyms kept (``LMTBattery`` ->
    "LMT battery", ``batteryMass`` -> "Battery mass")."""
    parts = [p if p.isupper() and len(p) > 1 else p.lower() for p in _WORD.findall(name)]
    text = " ".join(parts) or name
    return text[:1].upper() + text[1:]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{'/'.join(LABELS_FILE)}: {where} must be a string")
    return value


@cache
def labels() -> Labels:
    """Load and check the shipped labels once (a malformed file is a bug: ``ValueError``)."""
    raw = load_toml(*LABELS_FILE)
    properties = {}
    for name, entry in raw["property"].items():
        label = _text(entry.get("label"), f"property.{name}.label")
        if not label:
            raise ValueError(f"{'/'.join(LABELS_FILE)}: property.{name}.label is empty")
        properties[name] = (label, _text(entry.get("unit"), f"property.{name}.unit"))
    return Labels(
        aspects={k: _text(v, f"aspect.{k}") for k, v in raw["aspect"].items()},
        properties=properties,
        enumerations={
            prop: {k: _text(v, f"enumeration.{prop}.{k}") for k, v in values.items()}
            for prop, values in raw["enumeration"].items()
        },
    )


def property_label(name: str) -> tuple[str, str]:
    """(label, unit) of a property: the catalogue field's, else the model's, else ``words(name)``."""
    f = catalogue().fields.get(name)
    if f is not None:
        return f.label, f.unit
    return labels().properties.get(name) or (words(name), "")


def enumeration_words(name: str, value: str) -> str:
    """An enumeration value of property ``name`` in words; other values as they are."""
    return labels().enumerations.get(name, {}).get(value, value)


def aspect_title(aspect: str) -> str:
    """The heading of an aspect ("Performance and durability")."""
    return labels().aspects.get(aspect) or words(aspect)


def aspect_order() -> list[str]:
    """The aspects in page order (the DIN DKE SPEC 99100 chapters 6.1-6.7)."""
    return list(labels().aspects)
