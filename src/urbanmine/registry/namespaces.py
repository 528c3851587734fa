"""Who may issue which passport identifiers: identifier namespaces registered per operator.

- Battery Pass URNs ``urn:<prefix>:<id>`` (the data model's pattern ``^urn:[a-z0-9]+:[a-z0-9]+$``):
  ``<prefix>`` is the URN's namespace; an admin registers it on the operator that issues those
  identifiers (``operators.urn_prefix``).
- GB/T 34014-2017 codes: their first 3 characters are the manufacturer code (the code layout in
  ``urbanmine.compliance.gbt34014``), which the national coding filing system assigns to one
  enterprise; an admin registers it on that operator (``operators.gbt_manufacturer``). The same
  rule is applied to cascade-use codes (19 characters), whose first 3 characters are read as the
  code of the enterprise that issued them.

An identifier in a namespace registered to another operator is refused (``Forbidden``); a
namespace no operator registered is open to every operator, so a registry whose admin registers
none behaves as before. Each namespace belongs to at most one operator (unique columns).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from urbanmine.registry.errors import Conflict, Forbidden, Invalid
from urbanmine.registry.store import Operator

URN_PREFIX = re.compile(r"^[a-z0-9]{1,64}$")
"""A URN namespace as the Battery Pass identifier pattern allows it (``[a-z0-9]+``)."""
GBT_MANUFACTURER = re.compile(r"^[A-Z0-9]{3}$")
"""A GB/T 34014 manufacturer code: 3 characters A-Z, 0-9."""
COLUMNS = {"urn_prefix": URN_PREFIX, "gbt_manufacturer": GBT_MANUFACTURER}


def namespace_of(ident: str) -> tuple[str, str]:
    """The namespace column and value an identifier falls under (checked by ``check_identifier``)."""
    if ident.startswith("urn:"):
        return "urn_prefix", ident.split(":")[1]
    return "gbt_manufacturer", ident[:3]


def set_namespaces(s: Session, op: Operator, values: dict[str, str | None]) -> None:
    """Give ``op`` the namespaces in ``values`` (``urn_prefix``, ``gbt_manufacturer``): each well
    formed and not another operator's."""
    for column, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str) or not COLUMNS[column].match(value):
            raise Invalid(f"{column} {value!r} must match {COLUMNS[column].pattern}")
        holder = s.scalar(select(Operator.id).where(getattr(Operator, column) == value))
        if holder not in (None, op.id):
            raise Conflict(f"{column} {value!r} is already registered to operator {holder!r}")
        setattr(op, column, value)
    s.flush()


def owners(s: Session, idents: Iterable[str]) -> dict[tuple[str, str], str]:
    """The operator each registered namespace of ``idents`` belongs to (one query)."""
    wanted: dict[str, set[str]] = {column: set() for column in COLUMNS}
    for ident in idents:
        column, value = namespace_of(ident)
        wanted[column].add(value)
    if not any(wanted.values()):
        return {}
    q = select(Operator.id, Operator.urn_prefix, Operator.gbt_manufacturer).where(
        or_(*(getattr(Operator, c).in_(v) for c, v in wanted.items() if v))
    )
    found: dict[tuple[str, str], str] = {}
    for operator_id, urn_prefix, gbt_manufacturer in s.execute(q):
        for column, held in (("urn_prefix", urn_prefix), ("gbt_manufacturer", gbt_manufacturer)):
            if held in wanted[column]:
                found[(column, held)] = operator_id
    return found


def check_issuer(operator_id: str, ident: str, registered: dict[tuple[str, str], str]) -> None:
    """``Forbidden`` when ``ident`` lies in a namespace ``registered`` to another operator."""
    column, value = namespace_of(ident)
    holder = registered.get((column, value))
    if holder is not None and holder != operator_id:
        shown = f"urn:{value}:" if column == "urn_prefix" else f"GB/T 34014 manufacturer {value}"
        raise Forbidden(
            f"identifier {ident!r}: the namespace {shown} is registered to operator {holder!r}; "
            f"{operator_id} may issue identifiers only in its own or an unregistered namespace"
        )


def may_issue(s: Session, operator_id: str, ident: str) -> None:
    """``check_issuer`` for one identifier (one indexed lookup)."""
    check_issuer(operator_id, ident, owners(s, [ident]))
