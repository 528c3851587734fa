"""What a check returns: the verdicts, and the rules it could not check for want of a fact."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from urbanmine.compliance.model import Verdict


@dataclass
class Findings:
    """Verdicts in rule order, plus ``unchecked`` rules with the fact each one lacks, and for a
    flowsheet result how its outputs were counted (``counting``: the counting method's note)."""

    verdicts: list[Verdict] = field(default_factory=list)
    unchecked: list[dict[str, str]] = field(default_factory=list)
    counting: dict[str, Any] = field(default_factory=dict)

    def skip(self, rule_id: str, missing: str) -> None:
        self.unchecked.append({"rule": rule_id, "missing": missing})

    def extend(self, other: Findings) -> None:
        self.verdicts.extend(other.verdicts)
        self.unchecked.extend(other.unchecked)
