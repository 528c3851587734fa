"""How the law counts recycling efficiency and recovery of materials: the counting method as data.

A counting method (``urbanmine/data/counting/<id>.toml``, e.g. ``eu-2025-606`` for Delegated
Regulation (EU) 2025/606 with Regulation (EU) No 493/2012 where it is silent) is not a rule set: it
holds no thresholds, only what enters the numerator and the denominator, point by point, each with
its legal place, whether it was read in the legal text (``read``) or only in a summary
(``provisional``), and where. ``counting_note`` turns the method and the choices a run made (which
counting, whether the optional negative list was left out) into a JSON-able note a result embeds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from urbanmine.compliance.facts import read_document
from urbanmine.data import list_files, load_toml
from urbanmine.errors import InputError
from urbanmine.materials.formula import FormulaError, atomic_mass

Status = Literal["read", "provisional"]
DEFAULT_METHOD = "eu-2025-606"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CountingPoint(_Strict):
    """One point of the method: the rule in our words, its legal place and how we know it."""

    id: str
    rule: str
    legal: str
    status: Status
    source: str


class NegativeList(_Strict):
    """Substances a recycler may leave out of numerator and denominator (element symbols)."""

    elements: tuple[str, ...]
    legal: str
    status: Status
    source: str
    note: str = ""

    @field_validator("elements")
    @classmethod
    def _symbols(cls, elements: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in elements:
            try:
                atomic_mass(symbol)
            except FormulaError:
                raise ValueError(f"{symbol!r} is not an element symbol") from None
        return elements


class InputSubtractions(_Strict):
    """What is taken off the mass received before it becomes the input fraction."""

    items: tuple[str, ...]
    legal: str
    status: Status
    source: str


class _Header(_Strict):
    id: str
    title: str
    legal: str
    status_as_of: dt.date
    default_counting: str
    upper_bound_counting: str


class CountingMethod(_Strict):
    """A counting method as shipped (or edited by a user), validated; see the module docstring."""

    id: str
    title: str
    legal: str
    status_as_of: dt.date
    default_counting: str
    upper_bound_counting: str
    countings: dict[str, str]
    points: tuple[CountingPoint, ...]
    negative_list: tuple[str, ...]
    negative_list_rule: NegativeList
    input_subtractions: InputSubtractions

    @model_validator(mode="after")
    def _consistent(self) -> CountingMethod:
        for field in ("default_counting", "upper_bound_counting"):
            name = getattr(self, field)
            if name not in self.countings:
                raise ValueError(
                    f"method.{field} = {name!r} is not in [countings] ({', '.join(self.countings)})"
                )
        ids = [p.id for p in self.points]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate point ids in {ids}")
        return self

    def provisional_points(self) -> list[CountingPoint]:
        """The points not read in the legal text itself."""
        return [p for p in self.points if p.status == "provisional"]


class _File(_Strict):
    """The layout of a counting-method file: one table per field."""

    method: _Header
    countings: dict[str, str]
    points: tuple[CountingPoint, ...]
    negative_list: NegativeList
    input_subtractions: InputSubtractions


_KEYS: dict[str, type[BaseModel]] = {
    "method": _Header,
    "points": CountingPoint,
    "negative_list": NegativeList,
    "input_subtractions": InputSubtractions,
}
"""Which model's keys are allowed under each table (for the message about an unknown key)."""


def parse_counting_method(data: dict[str, Any], where: str) -> CountingMethod:
    """Validate a parsed counting-method file; one message naming the bad key and what is allowed."""
    try:
        file = _File.model_validate(data)
        return CountingMethod(
            **file.method.model_dump(),
            countings=file.countings,
            points=file.points,
            negative_list=file.negative_list.elements,
            negative_list_rule=file.negative_list,
            input_subtractions=file.input_subtractions,
        )
    except ValidationError as exc:
        raise InputError(f"{where}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    """The first error, an unknown key before anything else (a misspelt table is also missing)."""
    errors = exc.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] != "extra_forbidden":
        return f"{loc}: {first['msg']}"
    model = _KEYS.get(str(first["loc"][0]), _File) if len(first["loc"]) > 1 else _File
    return f"{loc}: unknown key; allowed: {', '.join(model.model_fields)}"


def counting_method_names() -> list[str]:
    """Ids of the shipped counting methods."""
    return list_files("counting")


def load_counting_method(id: str = DEFAULT_METHOD) -> CountingMethod:
    """A shipped counting method by id (``eu-2025-606`` by default)."""
    if id not in counting_method_names():
        raise InputError(
            f"unknown counting method {id!r}; allowed: {', '.join(counting_method_names())}"
        )
    return parse_counting_method(load_toml("counting", f"{id}.toml"), f"counting method {id}")


def read_counting_method(path: Path) -> CountingMethod:
    """A counting method from a user's TOML (or JSON) file of the shipped layout."""
    return parse_counting_method(read_document(path), str(path))


def counting_note(
    method: CountingMethod, counting: str, exclude_negative_list: bool
) -> dict[str, Any]:
    """What a result says about how it counted: the rule used, its legal references, and which
    points of the method are provisional (read only in a summary, not in the legal text)."""
    if counting not in method.countings:
        raise InputError(
            f"counting {counting!r} is not one of {', '.join(method.countings)} "
            f"(method {method.id})"
        )
    negative = method.negative_list_rule
    return {
        "method": method.id,
        "legal": method.legal,
        "status_as_of": method.status_as_of.isoformat(),
        "counting": counting,
        "rule": method.countings[counting],
        "is_default": counting == method.default_counting,
        "upper_bound": counting == method.upper_bound_counting,
        "input_subtractions": list(method.input_subtractions.items),
        "negative_list": {
            "excluded": exclude_negative_list,
            "elements": list(negative.elements) if exclude_negative_list else [],
            "legal": negative.legal,
            "status": negative.status,
            "note": negative.note,
        },
        "legal_references": list(dict.fromkeys(p.legal for p in method.points)),
        "provisional": [
            {"point": p.id, "legal": p.legal, "source": p.source}
            for p in method.provisional_points()
        ],
    }


def counting_summary(method: CountingMethod, counting: str, exclude: tuple[str, ...] = ()) -> str:
    """One line a verdict carries in its ``note``: which counting, under which legal text, and
    whether the negative list was left out."""
    counting_note(method, counting, bool(exclude))  # refuses an unknown counting
    kind = "upper bound, not the legal counting" if counting == method.upper_bound_counting else ""
    left = (
        f"negative list left out ({', '.join(exclude)}; {method.negative_list_rule.status})"
        if exclude
        else "negative list not applied"
    )
    return (
        f"counted: {counting}{f' ({kind})' if kind else ''} per method {method.id} "
        f"(Reg. (EU) 493/2012 Art. 2(3)-(5); Del. Reg. (EU) 2025/606); {left}"
    )
