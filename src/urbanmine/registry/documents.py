"""Battery Pass v1.2 JSON documents: one object per battery, aspect name -> the aspect's properties.

``{"GeneralProductInformation": {...}, "CarbonFootprintForBatteries": {...}, ...}``. Each aspect
present is validated against the consortium's published JSON schema for it (draft-04,
``urbanmine.passport.batterypass``), with the registry's own rules on top (docs/registry.md,
"Documents"):

- closed objects: a property the schema does not declare is refused (a misspelt name would
  otherwise be stored and never shown), with the list of allowed names;
- masses (``batteryMass``, ``batteryMaterialMass``) are greater than 0 kg;
- ``format`` is checked for ``date-time`` (RFC 3339 §5.6) and ``uri`` (RFC 3986 §3: a scheme,
  no white space);
- an anchored ``pattern`` (``^...$``) allows surrounding white space (the value is stored
  unchanged): the published MaterialComposition example carries ``"7439-93-2 "``; the
  general product information's e-mail pattern, published without its backslashes, also accepts
  real addresses (``PATTERN_FIXES``);
- ``batteryPassportIdentifier`` is checked by ``identifiers.check_identifier`` (the schema's URN
  pattern, or a GB/T 34014 code) instead of the schema's pattern;
- ``GeneralProductInformation`` is required (it carries the identifier and category); the other
  aspects may be absent, as a passport fills over its life.

Two validators are built once per aspect from the same inlined tree: ``jsonschema-rs`` (Rust)
decides whether a body is valid, about 0.05 ms for the seven published examples as one
document; only a refused body goes through ``jsonschema`` (about 2 ms) for its best-matching error
and a message naming the JSON path (bench/documents.py).
"""

from __future__ import annotations

import copy
import re
from datetime import date
from functools import cache
from typing import Any

from urbanmine.passport.batterypass import ASPECTS, GPI, schema
from urbanmine.registry.domain import BATTERYPASS_STATUS, normalise_status
from urbanmine.registry.errors import Invalid

POSITIVE = frozenset({"batteryMass", "batteryMaterialMass"})
"""Masses: a battery or a material of 0 kg or less is not physical (registry rule)."""

OWN_CHECK = "batteryPassportIdentifier"
"""Checked by ``identifiers.check_identifier``, not by the schema's pattern."""

MAX_MESSAGE = 400
"""Characters of a validator message kept (it quotes the offending value)."""

ANNOTATIONS = frozenset({"$schema", "description", "x-samm-aspect-model-urn", "components"})
"""Keys that do not constrain (``components`` holds the ``$ref`` targets, inlined)."""

VALUE_KEYWORDS = frozenset(
    {"type", "enum", "required", "pattern", "format"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
)
"""Draft-04 keywords the published schemas use besides ``$ref``, ``allOf``, ``properties`` and
``items``; any other keyword is a surprise (``ValueError`` when the validator is built)."""

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-](\d\d):(\d\d))$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")

PATTERN_FIXES = {
    "^[w.-]+@[w.-]+.[A-Za-z]{2,}$": r"^[\w.-]+@[\w.-]+\.[A-Za-z]{2,}$",
}
"""Published pattern -> the pattern also accepted. GeneralProductInformation's e-mail pattern
lost its backslashes (``[w.-]`` allows the letter w only, so no real address matches); the same
release's Circularity schema has it whole."""

_PUBLISHED: dict[str, str] = {}
"""Pattern the registry checks -> the published pattern it stands for (for messages)."""

FORMATS = {
    "date-time": "an RFC 3339 date-time such as 2027-01-15T10:00:00+01:00",
    "uri": "an absolute URI such as https://example.org/report.pdf",
}


def _is_date_time(value: object) -> bool:
    """RFC 3339 §5.6 ``date-time`` (leap second 60 allowed)."""
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    off_h, off_m = int(m.group(9) or 0), int(m.group(10) or 0)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return hour < 24 and minute < 60 and second <= 60 and off_h < 24 and off_m < 60


def _is_uri(value: object) -> bool:
    """RFC 3986 §3 absolute URI: a scheme, then no white space."""
    return not isinstance(value, str) or _URI.match(value) is not None


def _merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    """Merge an ``allOf`` member into its schema (both constrain the same value)."""
    for key, value in part.items():
        if key not in into or into[key] == value:
            into[key] = value
        elif key == "properties" and not set(value) & set(into[key]):
            into[key] = {**into[key], **value}
        elif key == "required":
            into[key] = [*into[key], *(r for r in value if r not in into[key])]
        else:
            raise ValueError(f"allOf member conflicts with its schema on {key!r}")


def _inline(node: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with local ``$ref`` replaced by copies of their targets, ``allOf`` merged and
    annotations dropped: one plain tree, so that validation resolves nothing."""
    if "$ref" in node:  # draft-04: the keywords beside a $ref are ignored
        name = node["$ref"].removeprefix("#/components/schemas/")
        if name in seen or name not in components:
            raise ValueError(f"$ref {node['$ref']} is circular or not in components")
        return _inline(components[name], components, (*seen, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {p: _inline(s, components, seen) for p, s in value.items()}
        elif key == "items":
            out[key] = _inline(value, components, seen)
        elif key in VALUE_KEYWORDS or key == "allOf":
            out[key] = value
        elif key not in ANNOTATIONS:
            raise ValueError(f"schema keyword {key!r} not expected in the Battery Pass schemas")
    for member in out.pop("allOf", ()):
        _merge(out, _inline(member, components, seen))
    return out


def _add_rules(node: dict[str, Any]) -> None:
    """The registry's rules (module docstring) on an inlined schema, in place."""
    pattern = node.get("pattern", "")
    if pattern.startswith("^") and pattern.endswith("$"):
        bodies = [p[1:-1] for p in (pattern, PATTERN_FIXES.get(pattern)) if p]
        node["pattern"] = rf"^\s*(?:{'|'.join(bodies)})\s*$"
        _PUBLISHED[node["pattern"]] = pattern
    props = node.get("properties")
    if props is not None:
        node["additionalProperties"] = False
        for name, sub in props.items():
            if name in POSITIVE:
                if "minimum" in sub:
                    raise ValueError(f"{name} already has a minimum")
                sub.update(minimum=0, exclusiveMinimum=True)
            elif name == OWN_CHECK:
                sub.pop("pattern")
            _add_rules(sub)
    if isinstance(node.get("items"), dict):
        _add_rules(node["items"])


@cache
def registry_schema(aspect: str) -> dict[str, Any]:
    """The published schema of ``aspect`` as one plain draft-04 tree with the registry's rules."""
    published = schema(aspect)
    tree = _inline(published, published.get("components", {}).get("schemas", {}))
    _add_rules(tree)
    return tree


@cache
def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    return checker


@cache
def fast_validator(aspect: str) -> Any:
    """The registry's validity check for one aspect in ``jsonschema-rs`` (built once): the same
    tree and format checks as :func:`validator`, without error messages."""
    import jsonschema_rs

    return jsonschema_rs.Draft4Validator(
        registry_schema(aspect),
        formats={"date-time": _is_date_time, "uri": _is_uri},
        validate_formats=True,
    )


@cache
def validator(aspect: str) -> Any:
    """The registry's validator for one aspect (built once), for messages."""
    from jsonschema import Draft4Validator

    return Draft4Validator(registry_schema(aspect), format_checker=_format_checker())


def _where(aspect: str, path: Any) -> str:
    return aspect + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _message(aspect: str, error: Any) -> str:
    text = error.message
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "…"
    kind, path = error.validator, error.absolute_path
    if kind == "format":
        text += f"; allowed: {FORMATS[error.validator_value]}"
    elif kind == "additionalProperties":
        text += f"; allowed: {', '.join(sorted(error.schema['properties']))}"
    elif kind == "minimum" and path and path[-1] in POSITIVE:
        text += " (registry rule: a mass is greater than 0 kg)"
    elif kind == "pattern":
        published = _PUBLISHED.get(error.validator_value)
        if published is not None:
            text = (
                f"{error.instance!r} does not match {published!r} (surrounding white space allowed)"
            )
    return f"{_where(aspect, error.absolute_path)}: {text}"


def check_aspect(aspect: str, body: Any) -> None:
    """``Invalid`` naming the JSON path and what is allowed if ``body`` breaks the aspect's schema
    or the registry's rules."""
    fast = fast_validator(aspect)
    if fast.is_valid(body):
        return
    from jsonschema.exceptions import best_match

    error = best_match(validator(aspect).iter_errors(body))
    if error is None:  # the two validators disagree: refuse, with the Rust validator's words
        raise Invalid(f"{aspect}: {next(fast.iter_errors(body))}")
    raise Invalid(_message(aspect, error))


def validate(document: Any, identifier: str | None = None) -> dict[str, Any]:
    """Check a Battery Pass document; return a copy with the fields the registry sets filled.

    ``batteryStatus`` may be absent (``Original``) or in either spelling (Battery Pass or the
    regulation's); ``batteryPassportIdentifier`` may be absent when ``identifier`` (the passport
    being updated) is given."""
    if not isinstance(document, dict):
        raise Invalid("a Battery Pass document must be a JSON object of aspects")
    unknown = [a for a in document if a not in ASPECTS]
    if unknown:
        raise Invalid(f"unknown aspect {unknown[0]!r}; allowed: {', '.join(ASPECTS)}")
    if GPI not in document:
        raise Invalid(
            f"{GPI} is required (the registry needs its batteryPassportIdentifier, batteryCategory "
            "and batteryMass); the other aspects may follow later"
        )
    doc = dict(document)
    gpi = doc[GPI] = copy.copy(doc[GPI])
    if isinstance(gpi, dict):
        try:
            status = normalise_status(gpi.get("batteryStatus", "Original"))
        except Invalid as exc:
            raise Invalid(
                f"{GPI}.batteryStatus: {exc}; or as Battery Pass spells them: "
                + ", ".join(BATTERYPASS_STATUS.values())
            ) from None
        gpi["batteryStatus"] = BATTERYPASS_STATUS[status]
        if identifier is not None:
            gpi.setdefault(OWN_CHECK, identifier)
    for aspect, body in doc.items():
        check_aspect(aspect, body)
    return doc


def identifier_of(document: dict[str, Any]) -> str:
    """The document's ``batteryPassportIdentifier``; ``Invalid`` when it is missing."""
    ident = document.get(GPI, {}).get(OWN_CHECK)
    if not isinstance(ident, str):
        raise Invalid(f"{GPI}.{OWN_CHECK} is required (a string)")
    return ident


def with_status(document: dict[str, Any], status: str, identifier: str) -> dict[str, Any]:
    """A copy carrying the registry's status (Battery Pass spelling) and identifier (the document
    and its general product information are copied; the values below them are shared)."""
    doc = dict(document)
    gpi = doc[GPI] = dict(doc.get(GPI, {}))
    gpi["batteryStatus"] = BATTERYPASS_STATUS[status]
    gpi[OWN_CHECK] = identifier
    return doc
