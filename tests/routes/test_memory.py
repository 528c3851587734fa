"""The memory check's estimate against what a run really allocates (numpy reports its arrays to
``tracemalloc``): an upper bound, and not so loose that it refuses runs that fit."""

import re
import tracemalloc

import pytest

from urbanmine.errors import InputError
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.memory import FLOAT_BYTES, available_bytes, check_fits
from urbanmine.routes.run import CHUNK_BYTES, arrays_per_sample, compose_for, run


@pytest.mark.parametrize(("feed", "route"), [("NMC811-cell", "hydro"), ("LFP-cell", "pyro")])
def test_estimate_bounds_the_traced_peak_within_a_factor_of_two(feed, route):
    f = get_feed(feed).scaled(mass_kg=1.0)
    n = 60_000
    estimate = arrays_per_sample(f, compose_for(f, route)) * FLOAT_BYTES * n + CHUNK_BYTES
    tracemalloc.start()
    try:
        run(f, route, n, seed=1).to_dict()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate <= 2 * peak


def test_refusal_gives_the_estimate_the_limit_and_the_most_samples_that_fit():
    arrays = 10
    most = available_bytes() // (arrays * FLOAT_BYTES)  # the free memory moves a little
    check_fits(most // 2, arrays, "--samples x")
    with pytest.raises(InputError) as info:
        check_fits(most * 2, arrays, "--samples y")
    message = str(info.value)
    assert message.startswith("--samples y: the run would hold about")
    said = int(re.search(r"at most about ([\d,]+) samples", message)[1].replace(",", ""))
    assert said == pytest.approx(most, rel=0.1)
