"""Elastic Load Balancing for other services (imported as a module, gureum/ports.py): ECS
registers each running task of a service with `loadBalancers` in the target group, and
deregisters it (draining, as DeregisterTargets) when the task stops; it reads the target's
health (`target_health`) to decide when a new task counts toward a deployment and when a task
failed its ELB health checks; CreateService asks `has_load_balancer`. All run in the caller's
store transaction; a target group that is gone is no error (the service outlived it).
API Gateway's VPC links find where a load balancer's listeners answer (`endpoints`,
`listener_endpoint`, `load_balancer`), in the caller's transaction too."""

from __future__ import annotations

from dataclasses import dataclass

from gureum.aws.errors import AwsError
from gureum.services.elbv2 import balancers, groups, listeners, targets
from gureum.store import Txn

TOPICS = "elbv2."  # the prefix of every ELB change event (load balancers, listeners, target groups)


@dataclass(frozen=True)
class TargetHealth:
    """One target's health as DescribeTargetHealth reports it: state "initial", "healthy",
    "unhealthy", "draining", "unavailable" (health checks off) or "unregistered"; the reason's
    description when not healthy; the group's name (for ECS's service events)."""

    state: str
    description: str | None
    group_name: str


def register_target(txn: Txn, tg_arn: str, address: str, port: int, now: float) -> bool:
    """Register `address`:`port` in target group `tg_arn` (RegisterTargets' rules); False when
    there is no such group."""
    try:
        groups.get(txn, tg_arn)
    except AwsError:
        return False
    targets.register(txn, tg_arn, [{"Id": address, "Port": port}], now)
    return True


def deregister_target(txn: Txn, tg_arn: str, address: str, port: int, now: float) -> bool:
    """Deregister `address`:`port` (it drains for the group's deregistration delay); False when
    the group or the registration is gone."""
    try:
        targets.deregister(txn, tg_arn, [{"Id": address, "Port": port}], now)
    except AwsError:
        return False
    return True


def target_health(txn: Txn, tg_arn: str, address: str, port: int) -> TargetHealth | None:
    """The health of `address`:`port` in `tg_arn`; None when there is no such group."""
    try:
        _, tg = groups.get(txn, tg_arn)
    except AwsError:
        return None
    state, description = targets.state_of(txn, tg_arn, address, port)
    if state not in ("draining", "unregistered") and not tg.get("HealthCheckEnabled", True):
        state, description = "unavailable", None
    return TargetHealth(state, description, str(tg["TargetGroupName"]))


def has_load_balancer(txn: Txn, tg_arn: str) -> bool | None:
    """Whether a listener or rule of a load balancer forwards to `tg_arn`; None when there is
    no such group."""
    try:
        groups.get(txn, tg_arn)
    except AwsError:
        return None
    return listeners.tg_in_use(txn, tg_arn)


@dataclass(frozen=True)
class Endpoint:
    """Where one listener of a load balancer answers on this machine: its load balancer's own
    loopback address, the listener's port and protocol (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP)."""

    lb_arn: str
    lb_type: str  # "application" / "network" / "gateway"
    lb_state: str  # "provisioning" / "active" / ...
    address: str
    port: int
    protocol: str


def load_balancer(txn: Txn, lb_arn: str) -> tuple[str, str] | None:
    """(Type, State code) of load balancer `lb_arn`, None when there is none."""
    try:
        _, doc = balancers.get(txn, lb_arn)
    except AwsError:
        return None
    return str(doc["Type"]), str(doc["State"]["Code"])


def endpoints(txn: Txn, lb_arn: str) -> list[Endpoint]:
    """Every listener of load balancer `lb_arn` (none when it is gone), by port."""
    try:
        k, doc = balancers.get(txn, lb_arn)
    except AwsError:
        return []
    out = [Endpoint(lb_arn, str(doc["Type"]), str(doc["State"]["Code"]), str(doc["Address"]), int(lst["Port"]),
                    str(lst["Protocol"])) for _, lst in txn.scan(listeners.LISTENERS, k + "/")]
    return sorted(out, key=lambda e: e.port)


def listener_endpoint(txn: Txn, listener_arn: str) -> Endpoint | None:
    """Where listener `listener_arn` answers, None when there is no such listener."""
    try:
        _, lst = listeners.get_listener(txn, listener_arn)
    except AwsError:
        return None
    found = [e for e in endpoints(txn, str(lst["LoadBalancerArn"])) if e.port == int(lst["Port"])]
    return found[0] if found else None
