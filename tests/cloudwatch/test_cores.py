"""The sans-IO cores on values: metric math (mathexpr.py), composite alarm rules (rule.py),
alarm decisions (evaluate.py) and statistics (stats.py)."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.services.cloudwatch import evaluate, mathexpr, rule, stats

S1 = {0.0: 1.0, 60.0: 2.0, 120.0: 3.0}
S2 = {0.0: 10.0, 60.0: 20.0}


def _ev(text: str) -> Any:
    return mathexpr.evaluate(mathexpr.parse(text), {"m1": S1, "m2": S2}, lambda f: [S1, S2])


def test_math_arithmetic_aligns_timestamps_and_binds_as_usual() -> None:
    assert _ev("m1 + m2") == {0.0: 11.0, 60.0: 22.0}
    assert _ev("2 + 3 * m1") == {0.0: 5.0, 60.0: 8.0, 120.0: 11.0}
    assert _ev("(2 + 3) * m1 - -1") == {0.0: 6.0, 60.0: 11.0, 120.0: 16.0}
    assert _ev("m1 / (m1 - 1)") == {60.0: 2.0, 120.0: 1.5}  # division by zero drops the point
    assert _ev("m1 ^ 2") == {0.0: 1.0, 60.0: 4.0, 120.0: 9.0}


def test_math_functions_of_arrays_and_of_one_series() -> None:
    assert _ev("SUM(METRICS())") == {0.0: 11.0, 60.0: 22.0, 120.0: 3.0}
    assert _ev("AVG([m1, m2])") == {0.0: 5.5, 60.0: 11.0, 120.0: 3.0}
    assert _ev("MAX(m1)") == 3.0 and _ev("MIN(m2)") == 10.0 and _ev("SUM(m1)") == 6.0 and _ev("AVG(m2)") == 15.0
    assert _ev("ABS(0 - m1)") == S1


@pytest.mark.parametrize("bad", ["m1 +", "m1 ** 2", "(m1", "SUM(m1, m2)", "NOPE(m1)", "m9", "m1 $ 2"])
def test_math_errors_are_math_errors(bad: str) -> None:
    with pytest.raises(mathexpr.MathError):
        _ev(bad)


def test_rule_language() -> None:
    states = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}
    r = rule.parse('ALARM(a) AND NOT ALARM("b") OR INSUFFICIENT_DATA(\'c\')')
    assert rule.names(r) == {"a", "b", "c"}
    assert rule.evaluate(r, states.get) is True
    assert rule.evaluate(rule.parse("ALARM(b) OR (OK(a) AND TRUE)"), states.get) is False
    assert rule.evaluate(rule.parse("NOT ALARM(missing)"), states.get) is True
    assert rule.evaluate(rule.parse("FALSE OR OK(arn:aws:cloudwatch:us-east-1:1:alarm:b)"),
                         lambda n: states.get(n.rsplit(":alarm:", 1)[-1])) is True
    for bad in ("ALARM(a) AND", "ALARM()", "MAYBE(a)", "(ALARM(a)", "ALARM(a) b"):
        with pytest.raises(rule.RuleError):
            rule.parse(bad)


ALARM = {"EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 5.0, "Period": 60,
         "ComparisonOperator": "GreaterThanThreshold", "Statistic": "Average"}


def test_m_out_of_n_and_each_missing_data_treatment() -> None:
    pts: list[tuple[float, float | None]] = [(0.0, 9.0), (60.0, 1.0), (120.0, 9.0)]
    assert evaluate.decide(ALARM, pts, 180, "OK").state == "ALARM"
    assert evaluate.decide(ALARM, [(0.0, 9.0), (60.0, 1.0), (120.0, 1.0)], 180, "ALARM").state == "OK"
    empty: list[tuple[float, float | None]] = [(0.0, None), (60.0, None), (120.0, None)]
    assert evaluate.decide(ALARM, empty, 180, "OK").state == "INSUFFICIENT_DATA"
    assert evaluate.decide({**ALARM, "TreatMissingData": "ignore"}, empty, 180, "ALARM").state == "ALARM"
    assert evaluate.decide({**ALARM, "TreatMissingData": "breaching"}, empty, 180, "OK").state == "ALARM"
    assert evaluate.decide({**ALARM, "TreatMissingData": "notBreaching"}, empty, 180, "ALARM").state == "OK"
    one_missing: list[tuple[float, float | None]] = [(0.0, 9.0), (60.0, None), (120.0, 1.0)]
    assert evaluate.decide({**ALARM, "TreatMissingData": "breaching"}, one_missing, 180, "OK").state == "ALARM"
    assert evaluate.decide({**ALARM, "TreatMissingData": "notBreaching"}, one_missing, 180, "OK").state == "OK"


def test_reasons_are_worded_as_aws_words_them() -> None:
    d = evaluate.decide({**ALARM, "EvaluationPeriods": 1, "DatapointsToAlarm": 1}, [(1764770400.0, 9.0)],
                        1764770460, "OK")
    assert d.reason == ("Threshold Crossed: 1 out of the last 1 datapoints [9.0 (03/12/25 14:00:00)] was greater "
                        "than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).")
    d = evaluate.decide({**ALARM, "EvaluationPeriods": 1, "DatapointsToAlarm": 1}, [(1764770400.0, 1.0)],
                        1764770460, "ALARM")
    assert d.reason == "Threshold Crossed: 1 datapoint [1.0 (03/12/25 14:00:00)] was not greater than the threshold (5.0)."
    assert evaluate.decide(ALARM, [(0.0, None)] * 3, 180, "OK").reason == "Insufficient Data: 3 datapoints were unknown."


def test_statistics_and_percentiles() -> None:
    agg = None
    for v in range(1, 101):
        agg = stats.merge(agg, stats.of_value(float(v)))
    assert agg is not None
    assert (stats.statistic(agg, "SampleCount"), stats.statistic(agg, "Sum"), stats.statistic(agg, "Average")) \
        == (100.0, 5050.0, 50.5)
    assert (stats.statistic(agg, "p50"), stats.statistic(agg, "p99"), stats.statistic(agg, "p100")) == (50.0, 99.0, 100.0)
    assert stats.statistic(stats.of_set(2, 10, 1, 9), "p50") is None  # statistic sets carry no values
    assert stats.merge(agg, stats.of_value(1.0), values_too=False)["v"] is None


def test_emitted_values_are_summed_as_they_arrive_and_thinned_only_when_many() -> None:
    """The emitter's running set (one per metric-minute) reads like merging every value, and
    stays bounded however many distinct values arrive (a Duration per invocation)."""
    from gureum.services.cloudwatch.emitter import _Running

    running = _Running(1.0)
    for v in range(2, 101):
        running.add(float(v))
    agg = running.agg()
    assert (stats.statistic(agg, "SampleCount"), stats.statistic(agg, "Sum"), stats.statistic(agg, "Minimum"),
            stats.statistic(agg, "Maximum")) == (100.0, 5050.0, 1.0, 100.0)
    assert (stats.statistic(agg, "p50"), stats.statistic(agg, "p99")) == (50.0, 99.0)
    many = _Running(0.0)
    for v in range(1, 100_000):
        many.add(v / 7)
        assert len(many.values) <= 4 * stats.MAX_VALUES + 1
    agg = many.agg()
    assert agg["c"] == 100_000.0 and len(agg["v"]) <= stats.MAX_VALUES
    assert sum(c for _, c in agg["v"]) == 100_000.0  # thinning keeps every count
    p50 = stats.statistic(agg, "p50")
    assert p50 is not None and abs(p50 - 50_000 / 7) < 0.02 * 100_000 / 7
