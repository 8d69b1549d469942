"""EC2-launch-type container instances billed by the instance type they declare: their
hours metered (billing/meter.py, kind EC2) from RegisterContainerInstance to
DeregisterContainerInstance, per second with a one-minute minimum, priced as AWS's
BoxUsage:<type> under "Amazon Elastic Compute Cloud - Compute" and read back through boto3's
Cost Explorer; a kill -9 settles them at the last checkpoint. Prices by hand: AWS's
us-east-1 Linux on-demand list price of a t3.micro, $0.0104 an hour."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, GureumProcess
from waiting import wait_for

from gureum.billing import line_items, meter, pricing
from gureum.billing.ledger import USAGE
from gureum.services.ecs import instance_billing
from gureum.store.memory import MemoryStore

T3_MICRO = 0.0104  # USD an hour, us-east-1 (and us-west-2), Linux on-demand
SERVICE = "Amazon Elastic Compute Cloud - Compute"
ACCOUNT = "000000000000"
ARN = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/0123abcd"


def _doc(itype: str, status: str = "ACTIVE", node: str = "n1") -> dict[str, Any]:
    return {"containerInstanceArn": ARN, "ec2InstanceId": "i-0abc", "status": status, "registeredAt": 1000.0,
            "attributes": [{"name": "ecs.os-type", "value": "linux"}, {"name": "ecs.instance-type", "value": itype}],
            "_": {"node": node, "account": ACCOUNT, "region": "us-east-1", "cluster": "c"}}


# --- the price table and the meter, on values ---------------------------------------------------


def test_boxusage_has_no_prefix_in_us_east_1_and_the_region_prefix_elsewhere():
    table = pricing.load()
    east = table.rate("us-east-1", "BoxUsage:t3.micro")
    assert (east.usage_type, east.price, east.unit, east.service, east.operation) == ("BoxUsage:t3.micro", T3_MICRO, "Hrs", SERVICE, "RunInstances")
    assert table.rate("us-west-2", "BoxUsage:t3.micro").usage_type == "USW2-BoxUsage:t3.micro"
    assert table.rate("us-west-2", "BoxUsage:t3.micro").price == T3_MICRO
    assert table.rate("eu-west-1", "BoxUsage:t3.micro").usage_type == "EU-BoxUsage:t3.micro"  # priced as us-east-1
    assert table.rate("us-east-1", "Lambda-GB-Second").usage_type == "USE1-Lambda-GB-Second"  # other units keep theirs
    assert table.instance_hours("us-east-1", "m7g.large") == "BoxUsage:m7g.large"
    assert table.instance_hours("us-east-1", "u-12tb1.112xlarge") is None
    with pytest.raises(pricing.PriceFileError):
        pricing.parse({**json.loads(pricing.DEFAULT_FILE.read_text()), "regions": {"us-east-1": {"unprefixed": "BoxUsage:"}}})


def test_an_instance_period_is_settled_once_per_second_with_a_one_minute_minimum():
    store = MemoryStore()
    key = "000000000000:us-east-1:c:0123abcd"
    store.run_sync(lambda t: instance_billing.start(t, key, _doc("t3.micro"), 1000.0))
    store.run_sync(lambda t: instance_billing.start(t, key, _doc("t3.micro"), 1030.0))  # registered again: same period
    [(_, row)] = store.run_sync(lambda t: list(meter.running_rows(t, kind=meter.EC2)))
    assert (row["started"], row["checkpoint"], row["instance_type"], row["instance_key"]) == (1000.0, 1030.0, "t3.micro", key)
    assert store.run_sync(lambda t: list(meter.running_rows(t, kind=meter.FARGATE))) == []
    store.run_sync(lambda t: t.put(instance_billing.INSTANCES, key, _doc("t3.micro")))
    assert store.run_sync(lambda t: instance_billing.checkpoint(t, "n1", 1045.0)) == 1
    assert store.run_sync(lambda t: instance_billing.checkpoint(t, "n2", 1050.0)) == 0  # another node's: not touched
    # what Cost Explorer sees before it ends: to the last checkpoint, the minimum billed
    [(akey, accrued)] = store.run_sync(lambda t: meter.accrued_rows(t, ACCOUNT, 2000.0))
    assert akey == f"{ACCOUNT}/ec2/running.0123abcd" and (accrued["seconds"], accrued["billed_seconds"]) == (45.0, 60)
    usage = store.run_sync(lambda t: instance_billing.stop(t, _doc("t3.micro", "INACTIVE"), 1090.5))
    [(ukey, settled)] = store.run_sync(lambda t: list(t.scan(USAGE)))
    assert settled == usage
    assert ukey == f"{ACCOUNT}/ec2/0000001090500.0123abcd"
    assert (settled["seconds"], settled["billed_seconds"], settled["ec2_instance_id"]) == (90.5, 91, "i-0abc")
    assert store.run_sync(lambda t: instance_billing.stop(t, _doc("t3.micro", "INACTIVE"), 1200.0)) is None  # nothing twice
    assert len(store.run_sync(lambda t: list(t.scan(USAGE)))) == 1
    [item] = line_items.of_row(pricing.load(), ukey, settled)
    assert (item.service, item.usage_type, item.resource, item.unit) == (SERVICE, "BoxUsage:t3.micro", "i-0abc", "Hrs")
    assert item.cost == pytest.approx(91 / 3600 * T3_MICRO) and (item.start, item.end) == (1000.0, 1090.5)


def test_a_dead_node_settles_its_instances_at_the_last_sign_of_life_and_a_restart_resumes_from_now():
    store = MemoryStore()
    key = "000000000000:us-east-1:c:0123abcd"
    store.run_sync(lambda t: t.put(instance_billing.INSTANCES, key, _doc("t3.micro")))
    store.run_sync(lambda t: instance_billing.start(t, key, _doc("t3.micro"), 1000.0))
    store.run_sync(lambda t: instance_billing.checkpoint(t, "n1", 1020.0))
    [settled] = store.run_sync(lambda t: meter.settle_node(t, "n1", 1025.0))
    assert (settled["service"], settled["seconds"], settled["billed_seconds"]) == ("ec2", 25.0, 60)
    assert store.run_sync(lambda t: instance_billing.checkpoint(t, "n1", 1030.0)) == 0  # not accruing while its node is dead
    assert store.run_sync(lambda t: instance_billing.resume(t, "n1", 1100.0)) == 1
    assert store.run_sync(lambda t: instance_billing.resume(t, "n1", 1101.0)) == 0
    [(_, row)] = store.run_sync(lambda t: list(meter.running_rows(t)))
    assert row["started"] == 1100.0  # the time it was down is not billed


def test_a_gureum_node_and_an_unpriced_type_are_not_billed():
    store = MemoryStore()
    store.run_sync(lambda t: instance_billing.start(t, "k1", _doc("gureum.node"), 1000.0))
    assert store.run_sync(lambda t: list(meter.running_rows(t))) == []
    row = {"service": "ec2", "region": "us-east-1", "resource": ARN, "seconds": 3600.0, "billed_seconds": 3600,
           "instance_type": "u-12tb1.112xlarge", "ts": 1_000_000}
    assert line_items.of_row(pricing.load(), f"{ACCOUNT}/ec2/x", row) == []


# --- end to end: boto3 against a running gureum -------------------------------------------------


def _register(ecs: Any, cluster: str, itype: str, region: str = "us-east-1") -> dict[str, Any]:
    ident = {"instanceId": f"i-{uuid.uuid4().hex[:17]}", "instanceType": itype, "availabilityZone": f"{region}a", "region": region}
    return ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument=json.dumps(ident),
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 2048}, {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024}],
    )["containerInstance"]


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"Start": (now - timedelta(days=1)).strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}


def _ec2(ce: Any, key: str = "USAGE_TYPE") -> dict[str, dict[str, float]]:
    """Group value -> {cost, hours} of EC2 instance hours over yesterday and today."""
    out = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost", "UsageQuantity"],
                                Filter={"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}}, GroupBy=[{"Type": "DIMENSION", "Key": key}])
    groups: dict[str, dict[str, float]] = {}
    for day in out["ResultsByTime"]:
        for g in day["Groups"]:
            s = groups.setdefault(g["Keys"][0], {"cost": 0.0, "hours": 0.0})
            s["cost"] += float(g["Metrics"]["UnblendedCost"]["Amount"])
            s["hours"] += float(g["Metrics"]["UsageQuantity"]["Amount"])
    return groups


def _costs(g: GureumProcess, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "gureum", "costs", "--json", "--data-dir", str(g.data_dir), *args],
                         capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _billed(lo: float, hi: float) -> tuple[float, float]:
    """The hours billed for a registration that lasted between lo and hi seconds."""
    return max(60, math.ceil(lo)) / 3600, max(60, math.ceil(hi)) / 3600


def test_a_t3_micro_registered_then_deregistered_costs_its_seconds_in_cost_explorer(tmp_path: Path) -> None:
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "billing.checkpoint_interval=0.5"])
    g.start()
    try:
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        ecs, ce = g.client("ecs"), g.client("ce")
        cluster = ecs.create_cluster(clusterName=f"billed-{uuid.uuid4().hex[:6]}")["cluster"]["clusterName"]
        inst = _register(ecs, cluster, "t3.micro")
        unpriced = _register(ecs, cluster, "u-12tb1.112xlarge")  # a real type the table has no price for
        registered = inst["registeredAt"].timestamp()
        assert {"name": "ecs.instance-type", "value": "t3.micro"} in inst["attributes"]

        # while registered: accrued to its last checkpoint, at least the one-minute minimum
        running = wait_for("the instance's hours in Cost Explorer", lambda: _ec2(ce).get("BoxUsage:t3.micro"), timeout=30)
        assert running["hours"] >= 60 / 3600 - 1e-9 and running["cost"] == pytest.approx(running["hours"] * T3_MICRO, abs=1e-9)
        assert any(r["running"] and r["instanceType"] == "t3.micro" for r in _costs(g)["ec2"])

        before = time.time()
        ecs.deregister_container_instance(cluster=cluster, containerInstance=inst["containerInstanceArn"])
        after = time.time()
        ecs.deregister_container_instance(cluster=cluster, containerInstance=unpriced["containerInstanceArn"])

        by_type = _ec2(ce)
        assert set(by_type) == {"BoxUsage:t3.micro"}  # not the unpriced type, not this node's own gureum.node
        lo, hi = _billed(before - registered, after - registered)
        hours = by_type["BoxUsage:t3.micro"]["hours"]
        assert lo - 1e-9 <= hours <= hi + 1e-9  # 60 s (the minimum) unless this took more than a minute
        assert by_type["BoxUsage:t3.micro"]["cost"] == pytest.approx(hours * T3_MICRO, abs=1e-9)
        if hi == 60 / 3600:
            assert by_type["BoxUsage:t3.micro"]["cost"] == pytest.approx(0.0104 / 60, abs=1e-10)
        assert set(_ec2(ce, "SERVICE")) == {SERVICE}
        assert set(_ec2(ce, "REGION")) == {"us-east-1"}

        today = datetime.now(UTC)
        res = ce.get_cost_and_usage_with_resources(
            TimePeriod={"Start": (today - timedelta(days=1)).strftime("%Y-%m-%d"), "End": (today + timedelta(days=1)).strftime("%Y-%m-%d")},
            Granularity="DAILY", Metrics=["UnblendedCost"], Filter={"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}},
            GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}])
        resources = {grp["Keys"][0] for day in res["ResultsByTime"] for grp in day["Groups"]}
        assert resources == {inst["ec2InstanceId"]}  # AWS bills the EC2 instance

        # the same type in us-west-2 bills under that Region's prefix
        west = g.client("ecs", region="us-west-2")
        wcluster = west.create_cluster(clusterName="west")["cluster"]["clusterName"]
        winst = _register(west, wcluster, "t3.micro", "us-west-2")
        west.deregister_container_instance(cluster=wcluster, containerInstance=winst["containerInstanceArn"])
        by_type = _ec2(ce)
        assert set(by_type) == {"BoxUsage:t3.micro", "USW2-BoxUsage:t3.micro"}
        assert by_type["USW2-BoxUsage:t3.micro"]["cost"] == pytest.approx(by_type["USW2-BoxUsage:t3.micro"]["hours"] * T3_MICRO, abs=1e-9)

        grouped = _costs(g, "--group-by", "SERVICE")
        assert grouped["groups"][SERVICE]["cost"] == pytest.approx(sum(s["cost"] for s in by_type.values()), abs=1e-9)
        report = {r["containerInstance"]: r for r in _costs(g)["ec2"]}
        mine = report[inst["containerInstanceArn"]]
        assert not mine["running"] and mine["billedSeconds"] == round(hours * 3600)
        assert report[unpriced["containerInstanceArn"]]["cost"] == 0.0

        # a reset drops the instances: their hours end there, the ledger stays
        reset_one = _register(ecs, cluster, "t3.micro")["containerInstanceArn"]
        req = urllib.request.Request(g.endpoint + "/_gureum/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=120) as resp:
            assert resp.status == 200
        gone = {r["containerInstance"]: r for r in _costs(g)["ec2"]}
        assert not gone[reset_one]["running"] and gone[reset_one]["billedSeconds"] >= 60
        assert not any(r["running"] for r in gone.values())
    finally:
        g.stop()


def test_a_registered_instance_is_settled_at_its_last_checkpoint_after_kill_9(tmp_path: Path) -> None:
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "billing.checkpoint_interval=0.5"])
    g.start()
    try:
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        ecs = g.client("ecs")
        inst = _register(ecs, ecs.create_cluster(clusterName="killed")["cluster"]["clusterName"], "t3.micro")
        arn = inst["containerInstanceArn"]

        def accrued(least: float) -> dict[str, Any] | None:
            rows = {r["containerInstance"]: r for r in _costs(g)["ec2"]}
            row = rows.get(arn)
            return row if row and row["running"] and row["seconds"] >= least else None

        seen = wait_for("2 s of the instance's hours checkpointed", lambda: accrued(2.0), timeout=60)
        g.kill9()

        # no server: still there, still accruing, at least what was seen
        after_kill = accrued(seen["seconds"])
        assert after_kill is not None and after_kill["settledSeconds"] == 0.0

        g.start()
        g.wait_service("ecs", "running")

        def settled() -> dict[str, Any] | None:  # the killed period settled, a new one from the restart
            row = accrued(0.0)
            return row if row and row["settledSeconds"] >= after_kill["seconds"] else None

        row = wait_for("the killed period settled and a new one running", settled, timeout=60)
        assert row["settledSeconds"] == pytest.approx(after_kill["seconds"], abs=1.0)  # its last checkpoint, not the restart
        g.client("ecs").deregister_container_instance(cluster="killed", containerInstance=arn)
        final = {r["containerInstance"]: r for r in _costs(g)["ec2"]}[arn]
        assert not final["running"] and final["settledSeconds"] >= row["settledSeconds"]
        # two periods, each billed per second with its own one-minute minimum
        assert final["billedSeconds"] >= 120
        hours = _ec2(g.client("ce"))["BoxUsage:t3.micro"]["hours"]
        assert hours == pytest.approx(final["billedSeconds"] / 3600, abs=1e-9)
        assert _ec2(g.client("ce"))["BoxUsage:t3.micro"]["cost"] == pytest.approx(final["billedSeconds"] / 3600 * T3_MICRO, abs=1e-9)
        text = subprocess.run([sys.executable, "-m", "gureum", "costs", "--data-dir", str(g.data_dir)],
                              capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False)
        assert text.returncode == 0, text.stderr
        [line] = [ln for ln in text.stdout.splitlines() if arn.split(":container-instance/", 1)[1] in ln]
        assert "t3.micro" in line and f"{final['cost']:.8f}" in line and "accrued so far" not in line
    finally:
        g.stop()
