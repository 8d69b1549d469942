"""A linear cost forecast, sans-IO: a least-squares line through the recorded days' costs,
and a prediction interval at the asked level (Student-free normal approximation:
mean ± z·s·sqrt(1 + 1/n + (x - x̄)²/Sxx), s the residuals' standard error, 0 with fewer than
three days). Means and bounds are never below zero (costs are not negative)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Line:
    intercept: float
    slope: float
    n: int
    x_mean: float
    sxx: float
    stderr: float

    def predict(self, x: float, level: int) -> tuple[float, float, float]:
        """(mean, lower, upper) of day `x` (days counted from the first recorded day)."""
        mean = self.intercept + self.slope * x
        z = NormalDist().inv_cdf(0.5 + level / 200.0)
        spread = self.stderr * math.sqrt(1 + 1 / self.n + ((x - self.x_mean) ** 2 / self.sxx if self.sxx else 0.0))
        return max(0.0, mean), max(0.0, mean - z * spread), max(0.0, mean + z * spread)


def fit(values: list[float]) -> Line:
    """The line through (0, values[0]), (1, values[1]), ...; values not empty."""
    n = len(values)
    xs = range(n)
    x_mean = (n - 1) / 2
    y_mean = sum(values) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, values, strict=True)) / sxx if sxx else 0.0
    intercept = y_mean - slope * x_mean
    stderr = 0.0
    if n > 2:
        sse = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, values, strict=True))
        stderr = math.sqrt(sse / (n - 2))
    return Line(intercept, slope, n, x_mean, sxx, stderr)
