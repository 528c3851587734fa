"""The cohort engine against flodym 1.1.0 and ODYM's published examples; conservation; bad input."""

import flodym as fd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmine.errors import InputError
from urbanmine.fleet import Fixed, Logistic, LogNormal, Normal, Weibull, inflow_driven
from urbanmine.fleet.cohorts import FFT_FROM_YEARS

YEARS, REGIONS, CHEMISTRIES = 40, 3, 2


def _dims(shape):
    """A flodym DimensionSet for an array of this shape (years first)."""
    names = ("region", "chemistry", "segment")
    return fd.DimensionSet(
        dim_list=[fd.Dimension(name="time", letter="t", items=list(range(2000, 2000 + shape[0])))]
        + [
            fd.Dimension(name=name, letter=name[0], items=list(range(n)))
            for name, n in zip(names, shape[1:], strict=False)
        ]
    )


def _flodym(kind, inflow, inflow_at, **prms):
    """flodym's InflowDrivenDSM on the same input: (stock, outflow, stock by cohort, outflow by cohort)."""
    model = {"weibull": fd.WeibullLifetime, "normal": fd.NormalLifetime}.get(kind)
    model = model or {"lognormal": fd.LogNormalLifetime, "fixed": fd.FixedLifetime}[kind]
    names = {"shape": "weibull_shape", "scale": "weibull_scale"}
    dims = _dims(inflow.shape)
    lifetime = model(
        dims=dims, inflow_at=inflow_at, **{names.get(k, k): v for k, v in prms.items()}
    )
    dsm = fd.InflowDrivenDSM(
        dims=dims, lifetime_model=lifetime, inflow=fd.StockArray(dims=dims, values=inflow)
    )
    dsm.compute()
    return (
        dsm.stock.values,
        dsm.outflow.values,
        dsm.get_stock_by_cohort(),
        dsm.get_outflow_by_cohort(),
    )


def _ours(result):
    return result.stock, result.outflow, result.stock_by_cohort, result.outflow_by_cohort


def _assert_close(ours, reference):
    """Relative 1e-9 element by element, with an absolute floor 1e-12 of the array's largest value."""
    for name, a, b in zip(
        ("stock", "outflow", "stock_by_cohort", "outflow_by_cohort"), ours, reference, strict=True
    ):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max(), err_msg=name)


def _parameters(kind, rng, shape):
    mean = rng.uniform(4.0, 18.0, shape)
    return {
        "weibull": lambda: {"shape": rng.uniform(1.5, 5.0, shape), "scale": mean},
        "normal": lambda: {"mean": mean, "std": mean * rng.uniform(0.1, 0.5, shape)},
        "lognormal": lambda: {"mean": mean, "std": mean * rng.uniform(0.1, 0.8, shape)},
        "fixed": lambda: {"mean": np.round(mean)},
    }[kind]()


CLASSES = {"weibull": Weibull, "normal": Normal, "lognormal": LogNormal, "fixed": Fixed}


@pytest.mark.parametrize("inflow_at", ["middle", "end"])
@pytest.mark.parametrize(
    "shape",
    [(REGIONS, CHEMISTRIES), (CHEMISTRIES,), (YEARS, REGIONS, CHEMISTRIES), (YEARS, 1, 1)],
    ids=["by-series", "by-chemistry", "by-cohort-and-series", "by-cohort"],
)
@pytest.mark.parametrize("kind", ["weibull", "normal", "lognormal", "fixed"])
def test_equals_flodym(kind, shape, inflow_at):
    """Lifetimes by series, or by fewer series than the inflow has (the lifetime's Toeplitz
    matrix is then the one materialised), each also by cohort (the general path)."""
    rng = np.random.default_rng(sum(map(ord, f"{kind}{shape}{inflow_at}")))
    inflow = rng.uniform(0.0, 1e4, (YEARS, REGIONS, CHEMISTRIES))
    prms = _parameters(kind, rng, shape)
    result = inflow_driven(inflow, CLASSES[kind](**prms), inflow_at=inflow_at)
    assert result.cohort_varying is (len(shape) == 3)
    prms = {k: np.broadcast_to(v, inflow.shape) for k, v in prms.items()}
    _assert_close(_ours(result), _flodym(kind, inflow, inflow_at, **prms))


@pytest.mark.parametrize("kind", ["weibull", "normal", "lognormal"])
def test_long_series_each_with_its_own_lifetime_equal_flodym(kind):
    """From FFT_FROM_YEARS years with a lifetime per series the totals come from an FFT: within
    1e-9 relative of flodym element by element, or 1e-12 of the largest value."""
    rng = np.random.default_rng(sum(map(ord, kind)))
    inflow = rng.uniform(0.0, 1e4, (FFT_FROM_YEARS + 40, 5, 2))
    prms = _parameters(kind, rng, inflow.shape[1:])
    result = inflow_driven(inflow, CLASSES[kind](**prms))
    prms = {k: np.broadcast_to(v, inflow.shape) for k, v in prms.items()}
    _assert_close(_ours(result), _flodym(kind, inflow, "middle", **prms))
    assert (result.stock >= 0).all() and (result.outflow >= 0).all()


@pytest.mark.parametrize("by_cohort", [False, True], ids=["constant", "cohort-varying"])
def test_samples_equal_flodym_sample_by_sample(by_cohort):
    """Lifetime parameters with a samples axis, inflow with one too: each sample is flodym's run."""
    rng = np.random.default_rng(7)
    n_samples = 3
    inflow = rng.uniform(0.0, 1e4, (n_samples, YEARS, REGIONS, CHEMISTRIES))
    cohorts = YEARS if by_cohort else 1
    shape = rng.uniform(2.0, 5.0, (n_samples, cohorts, 1, CHEMISTRIES))
    scale = rng.uniform(8.0, 16.0, (n_samples, cohorts, REGIONS, 1))
    result = inflow_driven(inflow, Weibull(shape, scale), sampled=True)
    assert result.stock.shape == (n_samples, YEARS, REGIONS, CHEMISTRIES)
    assert result.outflow_by_cohort.shape == (n_samples, YEARS, YEARS, REGIONS, CHEMISTRIES)
    for s in range(n_samples):
        reference = _flodym("weibull", inflow[s], "middle", shape=shape[s], scale=scale[s])
        _assert_close([a[s] for a in _ours(result)], reference)


def test_sampled_lifetime_gives_the_result_a_samples_axis():
    """Inflow without samples, lifetime with them (the fast path's matrix product): per sample."""
    rng = np.random.default_rng(8)
    inflow = rng.uniform(0.0, 1e4, (YEARS, REGIONS, CHEMISTRIES))
    shape = rng.uniform(2.0, 5.0, (4, 1, 1, CHEMISTRIES))
    result = inflow_driven(inflow, Weibull(shape, 12.0), inflow_at="end")
    assert result.outflow.shape == (4, YEARS, REGIONS, CHEMISTRIES)
    for s in range(4):
        reference = _flodym("weibull", inflow, "end", shape=shape[s], scale=12.0)
        _assert_close([a[s] for a in _ours(result)], reference)


# ODYM's published test vectors: IndEcol/ODYM tests/test_dynamic_stock_model.py at commit
# 0da9fcbe862240379d92612c161c163ee0225547 (2025-07-08), inflow 1..10 over 10 years. ODYM reads
# survival at whole ages, S(t - c), which is inflow_at="end".
ODYM_INFLOW = np.arange(1.0, 11.0)


def test_odym_fixed_lifetime():
    """Fixed lifetime 5 (Stock_T_FixedLT, Outflow_T_FixedLT, Stock_TC_FixedLT, Outflow_TC_FixedLT)."""
    result = inflow_driven(ODYM_INFLOW, Fixed(5), inflow_at="end")
    np.testing.assert_array_equal(result.stock, [1, 3, 6, 10, 15, 20, 25, 30, 35, 40])
    np.testing.assert_array_equal(result.outflow, [0, 0, 0, 0, 0, 1, 2, 3, 4, 5])
    years, cohorts = np.indices((10, 10))
    expected_stock_tc = np.where((cohorts <= years) & (years - cohorts < 5), cohorts + 1, 0)
    np.testing.assert_array_equal(result.stock_by_cohort, expected_stock_tc)
    expected_outflow_tc = np.where(years - cohorts == 5, cohorts + 1, 0)
    np.testing.assert_array_equal(result.outflow_by_cohort, expected_outflow_tc)


def test_odym_normal_lifetime():
    """Normal, mean 5, std 1.5 (Stock_T_NormLT, Outflow_T_NormLT; ODYM checks them to 8 decimals)."""
    result = inflow_driven(ODYM_INFLOW, Normal(5.0, 1.5), inflow_at="end")
    stock = [0.99957094, 2.9953115, 5.96830193, 9.85008113, 14.4793678, 19.60865447,
             24.99043368, 30.46342411, 35.95916467, 41.45873561]  # fmt: skip
    outflow = [4.29060333e-04, 4.25944090e-03, 2.70095728e-02, 1.18220793e-01, 3.70713330e-01,
               8.70713330e-01, 1.61822079e00, 2.52700957e00, 3.50425944e00, 4.50042906e00]  # fmt: skip
    np.testing.assert_array_almost_equal(result.stock, stock, 8)
    np.testing.assert_array_almost_equal(result.outflow, outflow, 8)


def test_odym_weibull_lifetime():
    """Weibull, shape 1.2, scale 1 (Stock_T_WeibullLT, Outflow_T_WeibullLT, 9 decimals printed)."""
    result = inflow_driven(ODYM_INFLOW, Weibull(shape=1.2, scale=1.0), inflow_at="end")
    stock = [1, 2.367879441, 3.836279069, 5.328499576, 6.825822547, 8.324154666, 9.822673522,
             11.321225, 12.8197819, 14.31833966]  # fmt: skip
    outflow = [0, 0.632120559, 1.531600372, 2.507779493, 3.502677029, 4.50166788, 5.501481144,
               6.501448519, 7.5014431, 8.501442241]  # fmt: skip
    np.testing.assert_array_almost_equal(result.stock, stock, 8)
    np.testing.assert_array_almost_equal(result.outflow, outflow, 8)


@pytest.mark.parametrize(("inflow_at", "first_age"), [("middle", 0.5), ("end", 0.0)])
def test_steady_state_stock_is_a_geometric_series(inflow_at, first_age):
    """Exponential lifetime (Weibull shape 1, scale L), constant inflow q: at steady state the stock
    is q * sum_k exp(-(k + first_age) / L) = q * exp(-first_age / L) / (1 - exp(-1 / L))."""
    scale, q = 15.0, 2.0
    result = inflow_driven(np.full(1500, q), Weibull(shape=1.0, scale=scale), inflow_at=inflow_at)
    expected = q * np.exp(-first_age / scale) / -np.expm1(-1.0 / scale)
    assert result.stock[-1] == pytest.approx(expected, rel=1e-12)
    assert result.outflow[-1] == pytest.approx(q, rel=1e-12)


KINDS = st.sampled_from(["weibull", "normal", "lognormal", "fixed", "logistic"])


@st.composite
def _cases(draw):
    """A random inflow ([samples,] years, *dims) and lifetime, possibly by cohort and by sample."""
    years = draw(st.one_of(st.integers(1, 25), st.integers(FFT_FROM_YEARS, FFT_FROM_YEARS + 20)))
    dims = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n_samples = draw(st.sampled_from([0, 1, 3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-3, 6))
    inflow_shape = ((n_samples,) if n_samples else ()) + (years, *dims)
    inflow = rng.uniform(0.0, scale, inflow_shape) * (rng.random(inflow_shape) > 0.2)
    prm_shape = ((n_samples,) if n_samples else ()) + (
        years if draw(st.booleans()) else 1,
        *(d if draw(st.booleans()) else 1 for d in dims),
    )
    kind = draw(KINDS)
    prms = _parameters("normal" if kind == "logistic" else kind, rng, prm_shape)
    lifetime = (Logistic if kind == "logistic" else CLASSES[kind])(**prms)
    inflow_at = draw(st.sampled_from(["middle", "end", "start"]))
    return inflow, lifetime, inflow_at, bool(n_samples), scale


@settings(max_examples=80, deadline=None)
@given(_cases())
def test_conservation_for_every_cohort_and_sample(case):
    """stock(t) = stock(t-1) + inflow(t) - outflow(t), per cohort and in total, stock(-1) = 0."""
    inflow, lifetime, inflow_at, sampled, scale = case
    result = inflow_driven(inflow, lifetime, inflow_at=inflow_at, sampled=sampled)
    tolerance = 1e-12 * scale
    # the year axis of the result: 1 when it has a samples axis (from the inflow or the lifetime)
    axis = 1 if (sampled or result.stock.shape != np.shape(inflow)) else 0
    flows = np.broadcast_to(inflow, result.stock.shape)
    stock = np.moveaxis(result.stock, axis, 0)
    outflow = np.moveaxis(result.outflow, axis, 0)
    flows = np.moveaxis(flows, axis, 0)
    previous = np.concatenate([np.zeros_like(stock[:1]), stock[:-1]])
    np.testing.assert_allclose(stock, previous + flows - outflow, rtol=0, atol=tolerance)
    by_cohort = np.moveaxis(result.stock_by_cohort, (axis, axis + 1), (0, 1))
    out_by_cohort = np.moveaxis(result.outflow_by_cohort, (axis, axis + 1), (0, 1))
    entering = np.einsum("tc,c...->tc...", np.eye(len(flows)), flows)
    previous = np.concatenate([np.zeros_like(by_cohort[:1]), by_cohort[:-1]])
    np.testing.assert_allclose(
        by_cohort, previous + entering - out_by_cohort, rtol=0, atol=tolerance
    )
    np.testing.assert_allclose(by_cohort.sum(axis=1), stock, rtol=0, atol=tolerance * len(flows))
    assert (by_cohort >= 0).all() and (out_by_cohort >= -tolerance).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: inflow_driven([1.0, -2.0], Fixed(5)), "inflow: -2.0 at index (1,)"),
        (lambda: inflow_driven([[1.0, float("nan")]], Fixed(5)), "inflow: nan at index (0, 1)"),
        (lambda: inflow_driven(5.0, Fixed(5)), "inflow: got shape ()"),
        (lambda: inflow_driven(np.ones(4), Fixed(5), sampled=True), "(samples, years, ...)"),
        (lambda: inflow_driven("many", Fixed(5)), "inflow: got str"),
        (
            lambda: inflow_driven(np.ones((10, 3)), Weibull(np.ones(4), 10.0)),
            "parameter 'shape' has shape (4,), which does not broadcast",
        ),
        (
            lambda: inflow_driven(np.ones((10, 3)), Weibull(2.0, np.ones((9, 3)))),
            "parameter 'scale' has shape (9, 3)",
        ),
        (
            lambda: inflow_driven(np.ones(10), Normal(np.ones((2, 2, 1)), 1.0)),
            "at most 2 axes (samples, cohorts, *dims)",
        ),
        (
            lambda: inflow_driven(np.ones(10), Normal(np.ones((2, 1)) * 9, np.ones((3, 1)))),
            "different sample counts [2, 3]",
        ),
        (lambda: inflow_driven(np.ones(10), Fixed(5), inflow_at="begin"), "inflow_at: got 'begin'"),
        (lambda: inflow_driven(np.ones(10), {"mean": 10}), "lifetime: got dict"),
        (lambda: inflow_driven(np.ones(10), Weibull(shape=-1, scale=10)), "'shape' is -1.0"),
    ],
)
def test_bad_input_raises_one_clear_input_error(call, message):
    with pytest.raises(InputError, match="allowed") as caught:
        call()
    assert message in str(caught.value)
