"""Route parameters: a value with its source and, optionally, a distribution for Monte Carlo.

Distributions (all sampled with one seeded :class:`numpy.random.Generator`):
``uniform`` (low, high), ``triangular`` (low, mode, high), ``normal`` (mean, sd; optional low/high
truncation by clipping), ``lognormal`` (median, sigma of the log). Each number of a distribution may
carry its own citation under ``<key>_source`` (``low_source``, ``high_source``...); the shipped
routes cite every bound that way. A run of one sample always uses ``value`` (the cited point value);
where a distribution's mean differs from it, :func:`asymmetric` says by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from urbanmine.flowsheet.errors import RouteError

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
}


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    source: str
    unit: str = ""
    distribution: Mapping[str, Any] | None = None
    assumption: bool = False
    """True when ``value`` is the route author's assumption rather than a cited number (TOML
    ``assumption = true``); the source then says what the assumption rests on."""

    @classmethod
    def from_record(cls, name: str, rec: Mapping[str, Any]) -> Parameter:
        if "value" not in rec or "source" not in rec:
            raise RouteError(f"parameter {name!r}: needs 'value' and 'source'")
        dist = rec.get("distribution")
        if dist is not None:
            if not isinstance(dist, Mapping):
                raise RouteError(
                    f"parameter {name!r}: distribution must be a table {{kind = ..., ...}}"
                )
            kind = dist.get("kind")
            if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
                raise RouteError(
                    f"parameter {name!r}: distribution kind {kind!r} is not one of "
                    f"{', '.join(DISTRIBUTIONS)}"
                )
            missing = [k for k in DISTRIBUTIONS[kind] if k not in dist]
            if missing:
                raise RouteError(f"parameter {name!r}: {kind} distribution needs {missing}")
        return cls(
            name,
            float(rec["value"]),
            str(rec["source"]),
            str(rec.get("unit", "")),
            dist,
            bool(rec.get("assumption", False)),
        )

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from the distribution (the value repeated when there is none)."""
        d = self.distribution
        if d is None:
            return np.full(n, self.value)
        kind = d["kind"]
        if kind == "uniform":
            x = rng.uniform(d["low"], d["high"], n)
        elif kind == "triangular":
            x = rng.triangular(d["low"], d["mode"], d["high"], n)
        elif kind == "normal":
            x = rng.normal(d["mean"], d["sd"], n)
        else:
            x = d["median"] * np.exp(rng.normal(0.0, d["sigma"], n))
        return self._clip(x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles of the distribution at probabilities ``u`` in (0, 1) (inverse CDF), so that
        quasi-random points on the unit cube become parameter draws (Sobol sampling)."""
        from scipy import stats  # imported here: scipy.stats costs a second at CLI start-up

        d = self.distribution
        u = np.asarray(u, dtype=float)
        if d is None:
            return np.full(u.shape, self.value)
        kind = d["kind"]
        if kind == "uniform":
            x = d["low"] + u * (d["high"] - d["low"])
        elif kind == "triangular":
            width = d["high"] - d["low"]
            c = (d["mode"] - d["low"]) / width if width > 0 else 0.5
            x = stats.triang.ppf(u, c, loc=d["low"], scale=width)
        elif kind == "normal":
            x = stats.norm.ppf(u, loc=d["mean"], scale=d["sd"])
        else:
            x = d["median"] * np.exp(d["sigma"] * stats.norm.ppf(u))
        return self._clip(x)

    def numbers(self) -> dict[str, tuple[float, str | None]]:
        """The distribution's numbers (low, mode, high, mean, sd...) with the citation given for
        each under ``<key>_source``; a number equal to the point value without its own citation
        has the point value's source; None where there is neither. Empty without a distribution.
        """
        d = self.distribution or {}
        keys = [k for k in (*DISTRIBUTIONS.get(d.get("kind", ""), ()), "low", "high") if k in d]
        out: dict[str, tuple[float, str | None]] = {}
        for k in dict.fromkeys(keys):
            x = float(d[k])
            point = f"the point value: {self.source}" if x == self.value else None
            out[k] = (x, d.get(f"{k}_source") or point)
        return out

    def mean(self) -> float:
        """Expected value of one draw, from the distribution's formula (``value`` without one):
        uniform (a + b)/2, triangular (a + c + b)/3; normal and lognormal integrated with scipy,
        clipping at ``low``/``high`` included."""
        d = self.distribution
        if d is None:
            return self.value
        kind = d["kind"]
        if kind == "uniform":
            return (d["low"] + d["high"]) / 2
        if kind == "triangular":
            return (d["low"] + d["mode"] + d["high"]) / 3
        from scipy import stats

        dist = (
            stats.norm(d["mean"], d["sd"])
            if kind == "normal"
            else stats.lognorm(d["sigma"], scale=d["median"])
        )
        low, high = d.get("low", -np.inf), d.get("high", np.inf)
        inside = float(dist.expect(lambda x: x, lb=low, ub=high))
        below = low * float(dist.cdf(low)) if np.isfinite(low) else 0.0
        above = high * float(dist.sf(high)) if np.isfinite(high) else 0.0
        return inside + below + above

    def _clip(self, x: np.ndarray) -> np.ndarray:
        d = self.distribution or {}
        if "low" in d or "high" in d:
            return np.clip(x, d.get("low", -np.inf), d.get("high", np.inf))
        return x


def sample_parameters(
    params: Mapping[str, Parameter], samples: int, seed: int | None
) -> dict[str, float | np.ndarray]:
    """Values for a run: scalars for one sample, arrays of draws for uncertain parameters."""
    if samples <= 1:
        return {name: p.value for name, p in params.items()}
    rng = np.random.default_rng(seed)
    return {
        name: p.sample(rng, samples) if p.distribution is not None else p.value
        for name, p in sorted(params.items())
    }


def asymmetric(params: Mapping[str, Parameter]) -> list[dict[str, Any]]:
    """Parameters whose distribution's mean differs from their cited point value (relative
    difference above 1e-9): Monte Carlo means then differ from a run at the point values."""
    out = []
    for name, p in sorted(params.items()):
        if p.distribution is None:
            continue
        mean = p.mean()
        scale = max(abs(p.value), abs(mean))
        if abs(mean - p.value) <= 1e-9 * scale:
            continue
        out.append(
            {
                "parameter": name,
                "unit": p.unit,
                "value": p.value,
                "distribution_mean": mean,
                "relative_difference": (mean - p.value) / p.value if p.value else None,
                "distribution": {
                    k: v for k, v in p.distribution.items() if not k.endswith("_source")
                },
            }
        )
    return out
