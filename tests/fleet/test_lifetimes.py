"""Lifetime distributions: survival against scipy.stats, parametrisations, and bad parameters."""

import math

import numpy as np
import pytest
import scipy.stats

from urbanmine.errors import InputError
from urbanmine.fleet import Fixed, Logistic, LogNormal, Normal, Weibull, make_lifetime

AGES = np.array([0.0, 0.5, 3.0, 12.5, 40.0])


def test_weibull_is_scipy_weibull_min():
    expected = scipy.stats.weibull_min.sf(AGES, c=3.5, scale=14.0)
    np.testing.assert_allclose(Weibull(shape=3.5, scale=14.0).survival(AGES), expected, rtol=1e-14)


def test_normal_is_scipy_norm():
    expected = scipy.stats.norm.sf(AGES, loc=12.0, scale=4.0)
    np.testing.assert_allclose(Normal(mean=12.0, std=4.0).survival(AGES), expected, rtol=1e-14)


def test_lognormal_takes_mean_and_std_of_the_lifetime():
    """mean/std are of the lifetime: the scipy lognormal with those moments (scipy's own .stats)."""
    curve = LogNormal(mean=15.0, std=4.0)
    mu, sigma = curve.log_parameters()
    frozen = scipy.stats.lognorm(s=sigma, scale=np.exp(mu))
    assert frozen.mean() == pytest.approx(15.0, rel=1e-12)
    assert frozen.std() == pytest.approx(4.0, rel=1e-12)
    np.testing.assert_allclose(curve.survival(AGES), frozen.sf(AGES), rtol=1e-12)


def test_lognormal_from_log_parameters():
    curve = LogNormal.from_log(mu=2.5, sigma=0.3)
    mu, sigma = curve.log_parameters()
    assert (float(mu), float(sigma)) == pytest.approx((2.5, 0.3), rel=1e-12)


def test_logistic_scale_from_std():
    """Busch et al.'s convention, scale = std * sqrt(3) / pi: scipy's logistic then has that std."""
    scale = 4.0 * math.sqrt(3) / math.pi
    assert scipy.stats.logistic(loc=17.0, scale=scale).std() == pytest.approx(4.0, rel=1e-12)
    expected = scipy.stats.logistic.sf(AGES, loc=17.0, scale=scale)
    np.testing.assert_allclose(Logistic(mean=17.0, std=4.0).survival(AGES), expected, rtol=1e-12)


def test_fixed_leaves_when_age_reaches_lifetime():
    np.testing.assert_array_equal(Fixed(mean=3.0).survival(AGES), [1, 1, 0, 0, 0])


def test_parameters_broadcast():
    shape = np.array([[2.0], [4.0]])
    out = Weibull(shape=shape, scale=np.array([10.0, 20.0, 30.0])).survival(np.array(5.0))
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(math.exp(-((5 / 30) ** 4)), rel=1e-14)


def test_weibull_mean_lifetime():
    assert float(Weibull(shape=3.5, scale=14.0).mean_lifetime()) == pytest.approx(
        scipy.stats.weibull_min(c=3.5, scale=14.0).mean(), rel=1e-12
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Weibull(shape=None, scale=14.0), "parameter 'shape' is missing"),
        (lambda: Weibull(shape=3.5, scale=-1.0), "parameter 'scale' is -1.0"),
        (lambda: Weibull(shape=[3.5, 0.0], scale=14.0), "parameter 'shape' is 0.0 at index (1,)"),
        (lambda: Normal(mean=float("nan"), std=1.0), "parameter 'mean' is nan"),
        (lambda: Normal(mean=10.0, std=0.0), "parameter 'std' is 0.0"),
        (lambda: LogNormal(mean=10.0, std=float("inf")), "parameter 'std' is inf"),
        (lambda: Logistic(mean=-1.0, std=2.0), "parameter 'mean' is -1.0"),
        (lambda: Fixed(mean="ten"), "parameter 'mean' is 'ten'"),
        (lambda: LogNormal.from_log(mu=2.0, sigma=-0.1), "parameter 'sigma' is -0.1"),
    ],
)
def test_bad_parameters_raise_input_error(build, message):
    with pytest.raises(InputError, match="allowed") as caught:
        build()
    assert message in str(caught.value)


def test_make_lifetime_reads_a_scenario_spec():
    """The [fleet] section's names (distribution, sd) give the same curve as the class."""
    made = make_lifetime("lognormal", {"mean": 15.0, "sd": 4.0})
    assert isinstance(made, LogNormal)
    np.testing.assert_array_equal(made.survival(AGES), LogNormal(15.0, 4.0).survival(AGES))
    assert isinstance(make_lifetime("fixed", {"mean": 8}), Fixed)


@pytest.mark.parametrize(
    ("distribution", "parameters", "message"),
    [
        ("gamma", {"mean": 1.0}, "lifetime distribution: got 'gamma'"),
        ("weibull", {"shape": 3.0}, "got parameters shape; allowed: exactly shape, scale"),
        ("normal", {"mean": 9.0, "sd": 2.0, "scale": 1.0}, "got parameters mean, scale, std"),
    ],
)
def test_make_lifetime_bad_spec(distribution, parameters, message):
    with pytest.raises(InputError, match="allowed") as caught:
        make_lifetime(distribution, parameters)
    assert message in str(caught.value)
