"""Slow start mode of target groups (the `slow_start.duration_seconds` attribute, 0 = off, else
30-900 seconds): a target that turns healthy while at least one other target of the group is
healthy and not in slow start enters slow start for the duration, during which the round
robin gives it a share of requests growing linearly from nothing to its full share. A target
that stops being healthy (or is deregistered) leaves slow start; when it turns healthy again
it enters it anew. As AWS: targets already healthy when slow start is turned on, and the first
targets of an empty group, do not enter it.

Stored: the target row's "slow_from" and "slow_until" (epoch seconds; targets.py's table),
set by `enter` and cleared by `leave` when targets.record moves the target's state. The data
plane's snapshot carries them per group (GroupView.slow); `Ramp` picks targets by smooth
weighted round robin with each slow target's weight `ramp_weight` at the time of the pick."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.services.elbv2.snapshot import GroupView

Doc = dict[str, Any]
Target = tuple[str, int]


def duration(tg: Doc | None) -> int:
    """The group's slow start duration in seconds (0: off)."""
    if tg is None:
        return 0
    value = str((tg.get("attributes") or {}).get("slow_start.duration_seconds", "0"))
    return int(value) if value.isdigit() else 0


def enter(tg: Doc | None, others: Iterable[Doc], doc: Doc, now: float) -> None:
    """Target row `doc` just turned healthy: put it in slow start if the group has it on and
    another target is healthy and not in slow start."""
    seconds = duration(tg)
    if seconds <= 0:
        return
    if any(o.get("state") == "healthy" and o.get("slow_until", 0.0) <= now for o in others):
        doc["slow_from"], doc["slow_until"] = now, now + seconds


def leave(doc: Doc) -> None:
    """Target row `doc` is no longer healthy: out of slow start."""
    doc.pop("slow_from", None)
    doc.pop("slow_until", None)


def ramp_weight(window: tuple[float, float] | None, now: float) -> float:
    """A target's round robin weight: 1 outside slow start, else the part of its window past."""
    if window is None:
        return 1.0
    start, end = window
    if now >= end or end <= start:
        return 1.0
    return max(0.0, (now - start) / (end - start))


class Ramp:
    """Smooth weighted round robin over a group's routable targets, per group (the state of
    this data plane node; reset when the group's routable targets change)."""

    def __init__(self) -> None:
        self.current: dict[str, dict[Target, float]] = {}

    def pick(self, group: GroupView, now: float) -> Target:
        routable = group.routable
        cur = self.current.get(group.arn)
        if cur is None or cur.keys() != set(routable):
            cur = self.current[group.arn] = dict.fromkeys(routable, 0.0)
        total = 0.0
        best = routable[0]
        for t in routable:
            w = ramp_weight(group.slow.get(t), now)
            cur[t] += w
            total += w
            if cur[t] > cur[best]:
                best = t
        cur[best] -= total
        return best
