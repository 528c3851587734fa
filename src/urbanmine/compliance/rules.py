"""Load the shipped rule sets (``urbanmine/data/rules/<id>.toml``) and pick them by name."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from urbanmine.data import list_files, load_toml
from urbanmine.errors import InputError

if TYPE_CHECKING:
    from urbanmine.compliance.model import RuleSet


def ruleset_names() -> list[str]:
    """Ids of the shipped rule sets."""
    return list_files("rules")


@cache
def load_ruleset(name: str) -> RuleSet:
    """One shipped rule set, validated; every rule id must start with the rule set id."""
    from pydantic import ValidationError  # pydantic and the model: not for ``ruleset_names``

    from urbanmine.compliance.model import RuleSet

    if name not in ruleset_names():
        raise InputError(f"unknown ruleset {name!r}; allowed: {', '.join(ruleset_names())}")
    data = load_toml("rules", f"{name}.toml")
    try:
        ruleset = RuleSet.model_validate(
            {
                **data["ruleset"],
                "acts": data.get("acts", {}),
                "notices": data.get("notices", []),
                "rules": data["rules"],
            }
        )
    except (KeyError, ValidationError) as exc:  # a shipped file that does not load is a bug
        raise RuntimeError(f"rule set {name}: {exc}") from exc
    for rule in ruleset.rules:
        if rule.id.split("/")[0] != ruleset.id or rule.id.count("/") != 2:
            raise RuntimeError(f"rule set {name}: rule id {rule.id!r} is not {name}/<topic>/<item>")
        if rule.requires_act and rule.requires_act not in ruleset.acts:
            raise RuntimeError(f"rule set {name}: rule {rule.id} needs unknown act")
    return ruleset


def select(names: Iterable[str] | None) -> list[RuleSet]:
    """The named rule sets (all shipped ones for None); unknown names are bad input."""
    chosen = list(names) if names else ruleset_names()
    return [load_ruleset(n) for n in chosen]
