"""The flowsheet scheduler's strongly connected components against scipy's on random graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from urbanmine.flowsheet.graph import _strong_components


def _groups(label: list[int] | np.ndarray) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for node, c in enumerate(label):
        out.setdefault(int(c), set()).add(node)
    return {frozenset(g) for g in out.values()}


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 25).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_components_match_scipy(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    count, label = _strong_components(n, edges)
    rows, cols = [a for a, _ in edges], [b for _, b in edges]
    adj = csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    expected_count, expected = connected_components(adj, directed=True, connection="strong")
    assert count == expected_count
    assert _groups(label) == _groups(expected)
