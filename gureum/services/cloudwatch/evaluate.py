"""Metric alarm evaluation, sans-IO: given an alarm's configuration and the values of its
evaluation range (the last EvaluationPeriods periods, oldest first, None where no data), decide
the state and word the reason as AWS does.

AWS's semantics: a period breaches when its value compares to the threshold by
ComparisonOperator; the alarm goes to ALARM when at least DatapointsToAlarm (M) of the last
EvaluationPeriods (N) breach; missing periods follow TreatMissingData: `breaching` and
`notBreaching` count them so, `ignore` keeps the current state when every period is missing,
and `missing` (the default) goes to INSUFFICIENT_DATA when every period is missing. With some
periods missing, the present ones decide (ALARM needs M breaching; otherwise OK).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATORS: dict[str, tuple[str, Any]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
ANOMALY_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")


@dataclass(frozen=True)
class Decision:
    state: str
    reason: str
    reason_data: str


def _fmt_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%d/%m/%y %H:%M:%S")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _num(v: float) -> str:
    return repr(float(v))


def decide(alarm: dict[str, Any], points: list[tuple[float, float | None]], now: float, current: str) -> Decision:
    """The state `alarm` should be in, given `points` [(period start, value or None)] of its
    evaluation range, oldest first."""
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    threshold = float(alarm.get("Threshold") or 0.0)
    treat = alarm.get("TreatMissingData") or "missing"
    words, breaches = OPERATORS[alarm["ComparisonOperator"]]
    present = [(t, v) for t, v in points if v is not None]
    period = int(alarm.get("Period") or _metric_period(alarm))
    data: dict[str, Any] = {"version": "1.0", "queryDate": _iso(now),
                            "startDate": _iso(points[0][0]) if points else _iso(now),
                            "period": period, "recentDatapoints": [v for _, v in present][-n:],
                            "threshold": threshold,
                            "evaluatedDatapoints": [{"timestamp": _iso(t), "value": v} for t, v in reversed(present)]}
    if alarm.get("Statistic"):
        data["statistic"] = alarm["Statistic"]
    elif alarm.get("ExtendedStatistic"):
        data["statistic"] = alarm["ExtendedStatistic"]
    missing = len(points) - len(present)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return Decision(current, "", json.dumps(data))
        return Decision("INSUFFICIENT_DATA",
                        f"Insufficient Data: {n} datapoint{'s were' if n != 1 else ' was'} unknown.", json.dumps(data))
    breaching = sum(1 for _, v in present if breaches(v, threshold))
    if treat == "breaching":
        breaching += missing
    shown = ", ".join(f"{_num(v)} ({_fmt_time(t)})" for t, v in reversed(present))
    if breaching >= m:
        reason = (f"Threshold Crossed: {breaching} out of the last {n} datapoints [{shown}] "
                  f"{'was' if breaching == 1 else 'were'} {words} the threshold ({_num(threshold)}) "
                  f"(minimum {m} datapoint{'s' if m != 1 else ''} for OK -> ALARM transition).")
        return Decision("ALARM", reason, json.dumps(data))
    if len(present) == 1:
        reason = f"Threshold Crossed: 1 datapoint [{shown}] was not {words} the threshold ({_num(threshold)})."
    else:
        reason = (f"Threshold Crossed: no datapoints were {words} the threshold ({_num(threshold)}). "
                  f"The most recent datapoints which crossed the threshold: [{shown}]."
                  if breaching == 0 else
                  f"Threshold Crossed: {len(present)} datapoints [{shown}] were not {words} the threshold "
                  f"({_num(threshold)}) often enough (minimum {m} datapoint{'s' if m != 1 else ''} for "
                  "OK -> ALARM transition).")
    return Decision("OK", reason, json.dumps(data))


def _metric_period(alarm: dict[str, Any]) -> int:
    for q in alarm.get("Metrics") or []:
        if q.get("MetricStat"):
            return int(q["MetricStat"]["Period"])
        if q.get("Period"):
            return int(q["Period"])
    return 60


def window(period: int, n: int, now: float) -> list[float]:
    """The starts of the N periods an evaluation at `now` reads, oldest first: the periods up
    to and including the one `now` falls in."""
    last = int(now // period * period)
    return [float(last - (n - 1 - i) * period) for i in range(n)]
