"""Post triage decisions to a passport registry as ``diagnosed`` events, in batches through the
batch API ``POST /api/v1/events/batch`` (docs/registry.md, "Batch ingest").

Each event's payload carries the decision, the rule and the values it read (``triage``, seen by
whole-passport readers only) and the passport's dynamic fields under their catalogue names, so
the registry shows each to the readers of that field (docs/registry.md, "Access beyond the
document"): ``stateOfCertifiedEnergy`` (%, the capacity-based state of health: the telemetry has
no energy), ``remainingCapacity`` (Ah) and ``batteryStatus`` (the status the decision leads to,
Battery Pass spelling; absent for insufficient data). The passport's own status changes only
with the lifecycle event the operator records later (``reused``, ``repurposed``, ``collected``).

Client event ids are ``triage:<rules version>:<pack>:<time of its latest reading>``: posting the
same result again replays (stored once). A batch is one transaction at the registry; a failed
batch stops the run, and :class:`PostError` says which batches were stored before it.
"""

from __future__ import annotations

import math
from typing import Any

from urbanmine.errors import InputError
from urbanmine.health.triage import TriageResult
from urbanmine.health.triage_rules import RULES

BATCH_SIZE = 1000
"""Events per request (the registry takes up to 10,000; 1,000 keeps a request near 0.5 MB)."""
STATUS = {"reuse": "Reused", "repurpose": "Repurposed", "recycle": "Waste"}
"""Decision -> the Battery Pass ``batteryStatus`` it leads to."""
PATH = "/api/v1/events/batch"


class PostError(Exception):
    """Posting stopped: ``exit_code`` 2 (network error or refused, 4xx) or 1 (server error)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _number(value: Any) -> Any:
    """JSON-safe: NaN and infinities (not JSON) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def events(result: TriageResult) -> list[dict[str, Any]]:
    """One ``diagnosed`` event per pack."""
    version = result.rules.meta.version
    out = []
    for row in result.packs.to_pylist():
        decision, rule = row["decision"], row["rule_id"]
        time = row["last_time"].isoformat()
        payload: dict[str, Any] = {
            "triage": {
                "decision": decision,
                "rule": rule,
                "rules_version": version,
                "values": {k: _number(row[k]) for k in RULES[rule][1]},
            }
        }
        if decision in STATUS:
            payload["stateOfCertifiedEnergy"] = _number(100.0 * row["soh_share"])
            payload["remainingCapacity"] = _number(row["capacity_latest_Ah"])
            payload["batteryStatus"] = STATUS[decision]
        out.append(
            {
                "subject_id": row["pack_id"],
                "client_event_id": f"triage:{version}:{row['pack_id']}:{time}",
                "type": "diagnosed",
                "time": time,
                "payload": payload,
            }
        )
    return out


def post(
    result: TriageResult, url: str, key: str, client: Any = None, batch_size: int = BATCH_SIZE
) -> dict[str, Any]:
    """Post every pack's event to the registry at ``url`` with API key ``key``; ``client`` is an
    httpx client (a test passes the registry app's); returns batches, created and replayed."""
    import httpx

    if not url.startswith(("http://", "https://")):
        raise InputError(f"--post-to {url!r}: give the registry's http(s) address")
    items = events(result)
    own = client is None
    client = client or httpx.Client(timeout=60.0)
    headers = {"Authorization": f"Bearer {key}"}
    done = {"batches": 0, "created": 0, "replayed": 0}
    try:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            stored = _stored(done, len(items))
            try:
                r = client.post(url.rstrip("/") + PATH, json={"events": batch}, headers=headers)
            except httpx.HTTPError as error:
                raise PostError(f"--post-to {url}: {error}; {stored}", 2) from None
            if r.status_code >= 400:
                try:
                    message = r.json().get("message", r.text)
                except ValueError:
                    message = r.text
                code = 1 if r.status_code >= 500 else 2
                raise PostError(
                    f"--post-to {url}: the registry refused batch {done['batches'] + 1} "
                    f"(packs {start + 1}-{start + len(batch)}), {r.status_code}: {message}; "
                    f"{stored}",
                    code,
                )
            answer = r.json()
            done["batches"] += 1
            done["created"] += answer["created"]
            done["replayed"] += answer["replayed"]
    finally:
        if own:
            client.close()
    return done


def _stored(done: dict[str, int], total: int) -> str:
    if done["batches"] == 0:
        return f"nothing stored (0 of {total} events)"
    stored = done["created"] + done["replayed"]
    return (
        f"batches 1-{done['batches']} were stored ({stored} of {total} events); posting the same "
        "result again stores the rest (stored events replay)"
    )
