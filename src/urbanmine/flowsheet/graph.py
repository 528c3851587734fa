"""Scheduling of a flowsheet graph: strongly connected components (recycle loops), tear streams
and an evaluation order. Loops are later solved exactly as linear systems, never by iteration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from urbanmine.flowsheet.units import Unit


@dataclass(frozen=True)
class Step:
    """Units evaluated together: one unit, or a recycle loop with its tear streams."""

    units: tuple[Unit, ...]
    tears: tuple[str, ...] = ()

    @property
    def is_loop(self) -> bool:
        return bool(self.tears)


def _producers(units: list[Unit]) -> dict[str, int]:
    return {s: i for i, u in enumerate(units) for s in u.outlets}


def schedule(units: list[Unit]) -> list[Step]:
    """Order units so every stream is computed before it is used; loops become single steps."""
    producer = _producers(units)
    n = len(units)
    edges = [(producer[s], j) for j, u in enumerate(units) for s in u.inlets if s in producer]
    rows = [a for a, _ in edges]
    cols = [b for _, b in edges]
    adj = csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    n_comp, label = connected_components(adj, directed=True, connection="strong")
    members: list[list[int]] = [[] for _ in range(n_comp)]
    for i, c in enumerate(label):
        members[c].append(i)
    comp_edges = {(label[a], label[b]) for a, b in edges if label[a] != label[b]}
    order = _toposort(n_comp, comp_edges, key=lambda c: min(members[c]))
    steps = []
    for c in order:
        idx = members[c]
        self_loop = any(a == b for a, b in edges if a in idx)
        if len(idx) == 1 and not self_loop:
            steps.append(Step((units[idx[0]],)))
        else:
            steps.append(_loop_step(units, idx, edges, producer))
    return steps


def _toposort(n: int, edges: set[tuple[int, int]], key) -> list[int]:  # type: ignore[no-untyped-def]
    indeg = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    ready = sorted((i for i in range(n) if indeg[i] == 0), key=key)
    out = []
    while ready:
        c = ready.pop(0)
        out.append(c)
        for d in succ[c]:
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
                ready.sort(key=key)
    return out


def _loop_step(
    units: list[Unit], idx: list[int], edges: list[tuple[int, int]], producer: dict[str, int]
) -> Step:
    inside = set(idx)
    external_in = [
        i for i in idx if any(producer.get(s, -1) not in inside for s in units[i].inlets)
    ]
    start = min(external_in) if external_in else min(idx)
    # depth-first search inside the loop; inlets closing a cycle (back edges) become tear streams
    tears: list[str] = []
    state = {i: 0 for i in idx}  # 0 new, 1 on stack, 2 done
    order: list[int] = []

    def visit(i: int) -> None:
        state[i] = 1
        for s in units[i].outlets:
            for j in idx:
                if s in units[j].inlets:
                    if state[j] == 1:
                        tears.append(s)
                    elif state[j] == 0:
                        visit(j)
        state[i] = 2
        order.append(i)

    visit(start)
    for i in idx:
        if state[i] == 0:
            visit(i)
    tear_set = set(dict.fromkeys(tears))
    cut_edges = {
        (producer[s], j) for j in idx for s in units[j].inlets if s in tear_set and s in producer
    }
    inner = {(a, b) for a, b in edges if a in inside and b in inside and (a, b) not in cut_edges}
    pos = {u: k for k, u in enumerate(idx)}
    local = _toposort(
        len(idx), {(pos[a], pos[b]) for a, b in inner}, key=lambda k: order[::-1].index(idx[k])
    )
    return Step(tuple(units[idx[k]] for k in local), tuple(dict.fromkeys(tears)))
