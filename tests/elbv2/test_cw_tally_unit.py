"""The ALB's CloudWatch tally: requests counted in memory and emitted once per metric, minute
and value with their count read exactly as one emit per request would (sums, sample counts,
extremes, percentiles), each in the minute the request was served in."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudwatch import stats
from gureum.services.cloudwatch.emitter import Emitter, _Running
from gureum.services.cloudwatch.settings import CloudWatchSettings
from gureum.services.cloudwatch.slots import EMITTER
from gureum.services.elbv2 import cw_metrics
from gureum.slots import Parts

LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210"


class _Node:
    """What the emitter needs of a node: settings, a task owner (no loop here) and its parts."""

    def __init__(self) -> None:
        self.parts = Parts()

    def settings(self, cls: type[CloudWatchSettings]) -> CloudWatchSettings:
        return cls()

    def spawn(self, coro: Any, name: str) -> None:
        coro.close()


def _pending(emit: Any) -> dict[tuple[str, tuple[tuple[str, str], ...], int], stats.Agg]:
    node = _Node()
    emit(node)
    emitter = node.parts.get(EMITTER)
    assert isinstance(emitter, Emitter)
    return {(k[3], k[4], k[6]): r.agg() for k, r in emitter.pending.items()}


def test_a_counted_value_reads_as_that_many_values() -> None:
    one_by_one = _Running(0.25)
    for v in (0.25, 0.25, 0.5):
        one_by_one.add(v)
    counted = _Running(0.25, 3.0)
    counted.add(0.5, 1.0)
    assert counted.agg() == one_by_one.agg()


def test_the_tally_emits_what_per_request_emits_would() -> None:
    served = [(TG, 200, True, 0.0123, 600.5), (TG, 200, True, 0.0123, 601.0), (TG, 503, True, 0.2, 610.0),
              (None, 301, False, 0.0, 612.0), (TG, 200, True, 0.0123, 660.0)]  # the last one in the next minute

    def per_request(node: Any) -> None:
        import gureum.services.elbv2.cw_metrics as m
        from gureum.services.cloudwatch import port

        for tg, status, from_target, seconds, at in served:
            account, region, sets = m._where(LB, tg)
            bucket = f"{status // 100}XX"
            for d in sets:
                port.emit(node, account, region, m.NAMESPACE, "RequestCount", d, 1.0, "Count", at)
                if from_target:
                    port.emit(node, account, region, m.NAMESPACE, f"HTTPCode_Target_{bucket}_Count", d, 1.0, "Count", at)
                    port.emit(node, account, region, m.NAMESPACE, "TargetResponseTime", d, round(seconds, 3), "Seconds", at)
                else:
                    port.emit(node, account, region, m.NAMESPACE, f"HTTPCode_ELB_{bucket}_Count", d, 1.0, "Count", at)

    def tallied(node: Any) -> None:
        tally = cw_metrics.Tally()
        for tg, status, from_target, seconds, at in served:
            tally.request(LB, tg, status, from_target, seconds, at)
        assert len(tally.counts) == 4  # the two equal requests of minute 10 are one entry
        tally.flush(node)
        assert tally.counts == {}

    expected, got = _pending(per_request), _pending(tallied)
    assert got == expected
    minutes = {minute for _, _, minute in got}
    assert minutes == {600, 660}
    lb_only = (("LoadBalancer", "app/web/0123456789abcdef"),)
    assert stats.statistic(got[("RequestCount", lb_only, 600)], "Sum") == 4.0
    assert stats.statistic(got[("RequestCount", lb_only, 600)], "SampleCount") == 4.0
    assert stats.statistic(got[("HTTPCode_ELB_3XX_Count", lb_only, 600)], "Sum") == 1.0
