"""The write path's ``link_hash`` gives exactly ``event_hash`` (the formula ``verify`` checks)."""

from __future__ import annotations

from typing import Any

import pytest

from urbanmine.registry.domain import RECORD, canonical_text, event_hash, link_hash

AWKWARD = ['a"b\\c', "tab\there\nline", "Zürich 東京 🔋", "\x00\x1f\u2028", "", "</script>"]


@pytest.mark.parametrize("text", AWKWARD)
def test_link_hash_equals_event_hash(text: str) -> None:
    payload: dict[str, Any] = {
        "z": [1, 2.5, None, True],
        text: {"nested": text, "n": -0.0},
        "big": 10**20,
        "f": 1e-7,
    }
    fields = ["battery", f"urn:x:{text}", 12, text, "diagnosed", text, "acme", text]
    record = dict(zip(RECORD, [*fields, payload], strict=True))
    expected = event_hash(record, "f" * 64)
    assert link_hash(*fields, canonical_text(payload), "f" * 64) == expected
    assert link_hash(*fields, canonical_text(payload), "e" * 64) != expected
