"""Identifiers the registry accepts: batteries (``check_identifier``) and lots (``check_lot_id``).

- Battery Pass URN: the data model's pattern for ``batteryPassportIdentifier``
  (``^urn:[a-z0-9]+:[a-z0-9]+$``, Battery Pass SAMM v1.2, reference §2.2 [K8]).
- GB/T 34014-2017 codes (24 characters; 19 for cascade-use products): validated by
  ``urbanmine.compliance.gbt34014.check_code``, which the compliance pillar owns. This module does not
  parse GB/T codes itself.
"""

from __future__ import annotations

import re

from urbanmine.compliance.gbt34014 import check_code
from urbanmine.passport.catalogue import catalogue
from urbanmine.registry.errors import Invalid

URN = "urn"
GBT34014 = "gbt34014"
MAX_LENGTH = 128
"""Longest identifier the registry stores."""


def _gbt_errors(code: str) -> list[str]:
    """Errors from the compliance pillar's GB/T 34014 check (empty when the code is valid)."""
    return list(check_code(code).errors)


def check_identifier(identifier: str) -> str:
    """Return the scheme (``"urn"`` or ``"gbt34014"``) of a valid identifier; ``Invalid`` otherwise."""
    if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_LENGTH:
        raise Invalid(f"identifier must be a string of 1-{MAX_LENGTH} characters")
    if identifier.startswith("urn:"):
        pattern = catalogue().identifier_regex
        if not pattern.match(identifier):
            raise Invalid(
                f"identifier {identifier!r} does not match the Battery Pass pattern {pattern.pattern}"
            )
        return URN
    errors = _gbt_errors(identifier)
    if errors:
        raise Invalid(
            f"identifier {identifier!r} is neither a Battery Pass URN ({catalogue().identifier_regex.pattern}) "
            f"nor a valid GB/T 34014 code: {'; '.join(errors)}"
        )
    return GBT34014


LOT_ID = re.compile(r"^[A-Za-z0-9._:~-]{1,128}$")
"""Lot ids: RFC 3986 unreserved characters and ``:``, so that ``/lots/{id}`` reaches every lot (a
``/`` would split the path; ``/lots/{id}/events`` rules out a path converter)."""


def check_lot_id(ident: object) -> str:
    """Return ``ident`` if it is a valid lot id; ``Invalid`` naming the allowed characters otherwise."""
    if not isinstance(ident, str) or not LOT_ID.match(ident):
        what = "id is required" if ident is None else f"id {ident!r} is not a lot id"
        raise Invalid(
            f"{what}; allowed: 1-{MAX_LENGTH} characters among "
            "A-Z a-z 0-9 . _ - : ~ (no spaces or slashes)"
        )
    return ident
