"""``urbanmine passport access``: may a role read a Battery Pass field (Annex XIII, Art. 77(2))?"""

from __future__ import annotations

import typer

from urbanmine.commands.common import JsonOpt, guarded, out, print_json
from urbanmine.passport import ROLES, access


@guarded
def access_cmd(
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    field: str = typer.Option(
        ..., "--field", help="SAMM property name, e.g. batteryCarbonFootprint."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Whether ROLE may read FIELD of a battery passport, and the Annex XIII point behind it."""
    result = access(role, field)
    if as_json:
        print_json({"allowed": result.allowed, "annex_xiii_point": result.annex_xiii_point})
        return
    verdict = "may read" if result.allowed else "may not read"
    point = result.annex_xiii_point or "none (not Annex XIII data)"
    out.print(f"{role} {verdict} {field} (Annex XIII point {point})")
