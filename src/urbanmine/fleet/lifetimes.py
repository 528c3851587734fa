"""Lifetime distributions for the cohort engine, and their survival on the model's time grid.

A lifetime is a probability distribution of the age at which a product leaves the stock. Each class
holds its parameters as float arrays; an array parameter broadcasts, right-aligned as in numpy,
against ``(samples, cohorts, *dims)`` (see :func:`urbanmine.fleet.cohorts.inflow_driven`), so one
parameter may be a scalar, vary by chemistry only, by cohort, or carry a leading samples axis.

Parametrisations are those of flodym 1.1.0 (``flodym/lifetime_models.py``), so that the engine
reproduces it exactly:

- :class:`Weibull` -- ``shape`` k and ``scale`` lambda: S(a) = exp(-(a / lambda)^k)
  (flodym ``WeibullLifetime(weibull_shape, weibull_scale)``, scipy ``weibull_min``).
- :class:`Normal` -- ``mean`` and ``std`` of the lifetime; not truncated at age 0 (flodym
  ``NormalLifetime``). Since ages on the grid are never negative, the probability mass below age 0
  leaves in the inflow year.
- :class:`LogNormal` -- ``mean`` and ``std`` **of the lifetime itself**, not of its logarithm
  (flodym ``LogNormalLifetime``): mu = ln(m^2 / sqrt(m^2 + s^2)), sigma^2 = ln(1 + s^2 / m^2).
- :class:`Logistic` -- ``mean`` and ``std`` of the lifetime, scale = std * sqrt(3) / pi (the
  convention of Busch et al.'s EoL-LIB model). flodym has no logistic model.
- :class:`Fixed` -- every product leaves when its age reaches ``mean``; S(a) = 1 if a < mean
  else 0 (flodym ``FixedLifetime(mean)``).

Bad parameters (missing, NaN, infinite, out of range) raise :class:`urbanmine.errors.InputError`
when the lifetime is built.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

import numpy as np

from urbanmine.errors import InputError

InflowAt = Literal["start", "middle", "end"]

#: Where in its year a cohort enters the stock, as the offset (in years) from that point to the
#: end of the year; the survival of cohort c at the end of year t is S(t - c + offset).
#: flodym: inflow time = bounds[c] + q * (bounds[c + 1] - bounds[c]) with q = 0, 0.5, 1 and
#: survival read at bounds[t + 1]; "end" is ODYM's convention S(t - c).
AGE_OFFSET: dict[str, float] = {"start": 1.0, "middle": 0.5, "end": 0.0}


def age_offset(inflow_at: str) -> float:
    """The age of a cohort at the end of its inflow year, for ``inflow_at`` start, middle or end."""
    try:
        return AGE_OFFSET[inflow_at]
    except KeyError:
        raise InputError(
            f"inflow_at: got {inflow_at!r}; allowed: {', '.join(map(repr, AGE_OFFSET))}"
        ) from None


def _parameter(kind: str, name: str, value: Any, *, lower: float, strict: bool) -> np.ndarray:
    """``value`` as a float array, checked finite and above ``lower`` (or at least, if not strict)."""
    bound = f"> {lower:g}" if strict else f">= {lower:g}"
    allowed = f"a finite number {bound} (or an array of them)"
    if value is None:
        raise InputError(f"lifetime {kind}: parameter {name!r} is missing; allowed: {allowed}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"lifetime {kind}: parameter {name!r} is {value!r}; allowed: {allowed}"
        ) from None
    bad = ~np.isfinite(array) | ((array <= lower) if strict else (array < lower))
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {tuple(int(i) for i in where)}" if array.ndim else ""
        raise InputError(
            f"lifetime {kind}: parameter {name!r} is {float(array[tuple(where)])!r}{at}; allowed: {allowed}"
        )
    return array


@dataclass(frozen=True, eq=False)
class Lifetime(ABC):
    """A lifetime distribution; subclasses set their parameters and survival function."""

    #: parameter name -> (lower bound, strict): the allowed range of each parameter.
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {}

    def __post_init__(self) -> None:
        kind = type(self).__name__
        for field in fields(self):
            lower, strict = self.bounds[field.name]
            array = _parameter(
                kind, field.name, getattr(self, field.name), lower=lower, strict=strict
            )
            object.__setattr__(self, field.name, array)

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters by name, as float arrays."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @abstractmethod
    def survival(self, age: np.ndarray) -> np.ndarray:
        """Share of a cohort still in the stock at ``age`` (years, >= 0), broadcast with the parameters."""

    @abstractmethod
    def mean_lifetime(self) -> np.ndarray:
        """Expected lifetime in years (array broadcast over the parameters)."""


@dataclass(frozen=True, eq=False)
class Weibull(Lifetime):
    """Weibull lifetime: S(a) = exp(-(a / scale) ** shape); ``shape`` > 0, ``scale`` > 0 years."""

    shape: Any
    scale: Any
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {"shape": (0.0, True), "scale": (0.0, True)}

    def survival(self, age: np.ndarray) -> np.ndarray:
        """exp(-(age / scale) ** shape), as scipy.stats.weibull_min.sf computes it."""
        return np.exp(-np.power(age / self.scale, self.shape))

    def mean_lifetime(self) -> np.ndarray:
        """scale * Gamma(1 + 1 / shape)."""
        from scipy.special import gamma

        return np.asarray(self.scale * gamma(1.0 + 1.0 / self.shape))


@dataclass(frozen=True, eq=False)
class Normal(Lifetime):
    """Normal lifetime with ``mean`` >= 0 and ``std`` > 0 (years), not truncated at age 0."""

    mean: Any
    std: Any
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {"mean": (0.0, False), "std": (0.0, True)}

    def survival(self, age: np.ndarray) -> np.ndarray:
        """1 - Phi((age - mean) / std)."""
        from scipy.special import ndtr

        return np.asarray(ndtr((self.mean - age) / self.std))

    def mean_lifetime(self) -> np.ndarray:
        """``mean`` (the mass below age 0 leaves in the inflow year)."""
        return self.mean


@dataclass(frozen=True, eq=False)
class LogNormal(Lifetime):
    """Lognormal lifetime given by the ``mean`` > 0 and ``std`` > 0 of the lifetime (not of its log)."""

    mean: Any
    std: Any
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {"mean": (0.0, True), "std": (0.0, True)}

    @classmethod
    def from_log(cls, mu: Any, sigma: Any) -> LogNormal:
        """The lognormal whose logarithm has mean ``mu`` and standard deviation ``sigma``."""
        sigma = _parameter("LogNormal", "sigma", sigma, lower=0.0, strict=True)
        mu = _parameter("LogNormal", "mu", mu, lower=-math.inf, strict=True)
        mean = np.exp(mu + sigma**2 / 2)
        return cls(mean=mean, std=mean * np.sqrt(np.expm1(sigma**2)))

    def log_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sigma) of ln(lifetime), as flodym derives them from mean and std."""
        mean_square = self.mean * self.mean
        std_square = self.std * self.std
        mu = np.log(mean_square / np.sqrt(mean_square + std_square))
        sigma = np.sqrt(np.log(1 + std_square / mean_square))
        return mu, sigma

    def survival(self, age: np.ndarray) -> np.ndarray:
        """1 - Phi((ln age - mu) / sigma); 1 at age 0."""
        from scipy.special import ndtr

        mu, sigma = self.log_parameters()
        with np.errstate(divide="ignore"):
            return np.asarray(ndtr((mu - np.log(age)) / sigma))

    def mean_lifetime(self) -> np.ndarray:
        """``mean``."""
        return self.mean


@dataclass(frozen=True, eq=False)
class Logistic(Lifetime):
    """Logistic lifetime with ``mean`` >= 0 and ``std`` > 0 (scale = std * sqrt(3) / pi)."""

    mean: Any
    std: Any
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {"mean": (0.0, False), "std": (0.0, True)}

    def survival(self, age: np.ndarray) -> np.ndarray:
        """1 / (1 + exp((age - mean) / scale))."""
        from scipy.special import expit

        scale = self.std * (math.sqrt(3.0) / math.pi)
        return np.asarray(expit((self.mean - age) / scale))

    def mean_lifetime(self) -> np.ndarray:
        """``mean``."""
        return self.mean


@dataclass(frozen=True, eq=False)
class Fixed(Lifetime):
    """Every product leaves when its age reaches ``mean`` >= 0 years: S(a) = 1 if a < mean."""

    mean: Any
    bounds: ClassVar[dict[str, tuple[float, bool]]] = {"mean": (0.0, False)}

    def survival(self, age: np.ndarray) -> np.ndarray:
        """1.0 where age < mean, else 0.0."""
        return np.less(age, self.mean).astype(float)

    def mean_lifetime(self) -> np.ndarray:
        """``mean``."""
        return self.mean


DISTRIBUTIONS: dict[str, type[Lifetime]] = {
    "weibull": Weibull,
    "normal": Normal,
    "lognormal": LogNormal,
    "logistic": Logistic,
    "fixed": Fixed,
}
"""The lifetime classes by the names a scenario's ``[fleet]`` section uses."""


def make_lifetime(distribution: str, parameters: Mapping[str, Any]) -> Lifetime:
    """The lifetime ``distribution`` (a key of :data:`DISTRIBUTIONS`) with these parameters.

    Parameter names are the classes' (``shape``, ``scale``, ``mean``, ``std``); ``sd``, the
    scenario section's spelling, is read as ``std``. Values may be arrays (e.g. samples).
    """
    try:
        kind = DISTRIBUTIONS[distribution]
    except KeyError:
        raise InputError(
            f"lifetime distribution: got {distribution!r}; allowed: {', '.join(DISTRIBUTIONS)}"
        ) from None
    names = {"sd": "std"}
    given = {names.get(name, name): value for name, value in parameters.items()}
    expected = [field.name for field in fields(kind)]
    if sorted(given) != sorted(expected):
        raise InputError(
            f"lifetime {distribution}: got parameters {', '.join(sorted(given)) or 'none'}; "
            f"allowed: exactly {', '.join(expected)}"
        )
    return kind(**given)
