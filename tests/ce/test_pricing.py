"""The price table, the ledger's line items under AWS's usage types, Cost Explorer's filter
expressions, amounts and forecast line: by hand-computed values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gureum.billing import pricing
from gureum.billing.filters import matches
from gureum.billing.grouped import by_day, by_group
from gureum.billing.line_items import of_row
from gureum.services.ce import forecast, query

T0 = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def _lambda_row(ms: int = 1200, mb: int = 512, arch: str = "x86_64", region: str = "us-east-1") -> dict:
    return {"service": "lambda", "region": region, "resource": "arn:aws:lambda:us-east-1:111122223333:function:f", "arch": arch,
            "requests": 1, "billed_ms": ms, "memory_mb": mb, "ts": int(T0 * 1000)}


def test_shipped_table_has_date_source_and_aws_usage_types():
    table = pricing.load()
    assert table.date and "aws.amazon.com" in table.source
    assert table.rate("us-east-1", "Lambda-GB-Second").usage_type == "USE1-Lambda-GB-Second"
    assert table.rate("us-east-1", "Fargate-vCPU-Hours:perCPU").usage_type == "USE1-Fargate-vCPU-Hours:perCPU"
    assert table.rate("global", "DNS-Queries").usage_type == "DNS-Queries"
    assert table.rate("us-west-2", "Lambda-GB-Second").usage_type == "USW2-Lambda-GB-Second"
    # a Region the table does not list: us-east-1's prices under its own prefix
    seoul = table.rate("ap-northeast-2", "Lambda-GB-Second-ARM")
    assert seoul.usage_type == "APN2-Lambda-GB-Second-ARM" and seoul.price == 0.0000133334
    assert table.rate("us-east-1", "SNS-Requests-Tier1").usage_type == "USE1-Requests-Tier1"
    assert table.rate("us-east-1", "SNS-Requests-Tier1").service == "Amazon Simple Notification Service"


def test_price_file_overrides_and_bad_file_is_refused(tmp_path):
    doc = json.loads(pricing.DEFAULT_FILE.read_text())
    doc["regions"]["us-east-1"]["usage"]["Request"]["price"] = 1.0
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(doc))
    assert pricing.load(str(path)).rate("us-east-1", "Request").price == 1.0 / 1_000_000  # USD 1 per million
    bad = tmp_path / "bad.json"
    bad.write_text('{"regions": {"us-east-1": {"usage": {"Request": {"price": "x"}}}}}')
    with pytest.raises(pricing.PriceFileError):
        pricing.load(str(bad))


def test_lambda_row_is_a_request_and_gb_seconds_priced_by_hand():
    items = of_row(pricing.load(), "111122223333/lambda/1.x", _lambda_row(1200, 512))
    by_type = {i.usage_type: i for i in items}
    gbs = 1.2 * 0.5
    assert by_type["USE1-Lambda-GB-Second"].quantity == pytest.approx(gbs)
    assert by_type["USE1-Lambda-GB-Second"].cost == pytest.approx(gbs * 0.0000166667, rel=1e-12)
    assert by_type["USE1-Request"].cost == pytest.approx(0.0000002, rel=1e-12)
    assert {i.service for i in items} == {"AWS Lambda"} and {i.account for i in items} == {"111122223333"}
    arm = {i.usage_type for i in of_row(pricing.load(), "1/lambda/x", _lambda_row(arch="arm64"))}
    assert arm == {"USE1-Lambda-GB-Second-ARM", "USE1-Request-ARM"}


def test_fargate_row_spans_its_run_and_bills_ephemeral_storage_over_20_gb():
    row = {"service": "fargate", "region": "us-east-1", "resource": "arn:aws:ecs:us-east-1:1:task/c/t", "seconds": 3600.0,
           "billed_seconds": 3600, "vcpu": 0.5, "memory_gb": 1.0, "arch": "x86_64", "ephemeral_gb": 30, "ts": int((T0 + 1800) * 1000)}
    items = {i.usage_type: i for i in of_row(pricing.load(), "1/fargate/x", row)}
    assert items["USE1-Fargate-vCPU-Hours:perCPU"].cost == pytest.approx(0.5 * 0.04048)
    assert items["USE1-Fargate-GB-Hours"].cost == pytest.approx(1.0 * 0.004445)
    assert items["USE1-Fargate-EphemeralStorage-GB-Hours"].quantity == pytest.approx(10.0)
    # from 30 minutes before midnight to 30 after: half of the run on each day
    days = by_day(items.values(), "USAGE_TYPE")
    assert days["2026-11-30"]["USE1-Fargate-GB-Hours"] == pytest.approx(0.004445 / 2)
    assert days["2026-12-01"]["USE1-Fargate-GB-Hours"] == pytest.approx(0.004445 / 2)
    assert by_group(items.values(), "SERVICE")["Amazon Elastic Container Service"]["cost"] == pytest.approx(
        0.5 * 0.04048 + 0.004445 + 10 * 0.000111)


def test_nested_filter_expressions_and_match_options():
    item = of_row(pricing.load(), "111122223333/lambda/1.x", _lambda_row())[1]
    no_tags = lambda i: {}  # noqa: E731
    svc = {"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}}
    ecs = {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Elastic Container Service"]}}
    assert matches({"And": [svc, {"Not": ecs}]}, item, no_tags)
    assert not matches({"And": [svc, ecs]}, item, no_tags)
    assert matches({"Or": [ecs, {"Dimensions": {"Key": "USAGE_TYPE", "Values": ["use1-lambda"], "MatchOptions": ["STARTS_WITH", "CASE_INSENSITIVE"]}}]}, item, no_tags)
    assert not matches({"Dimensions": {"Key": "USAGE_TYPE", "Values": ["use1-lambda"], "MatchOptions": ["STARTS_WITH"]}}, item, no_tags)
    assert matches({"Tags": {"Key": "team", "MatchOptions": ["ABSENT"]}}, item, no_tags)
    assert matches({"Tags": {"Key": "team", "Values": ["blue"]}}, item, lambda i: {"team": "blue"})


def test_expression_rules_are_aws_validation_errors():
    from gureum.aws.errors import AwsError

    for bad in ({}, {"And": [{"Dimensions": {"Key": "SERVICE", "Values": ["x"]}}]},
                {"Dimensions": {"Key": "SERVICE", "Values": ["x"]}, "Not": {"Dimensions": {"Key": "REGION", "Values": ["y"]}}},
                {"Dimensions": {"Key": "AZ", "Values": ["x"]}}):
        with pytest.raises(AwsError) as e:
            query.check_filter(bad)
        assert e.value.code == "ValidationException"


def test_amounts_as_aws_writes_them_and_buckets_by_granularity():
    assert query.amount(0.0) == "0"
    assert query.amount(0.0000166667 * 0.6 + 0.0000002) == "0.0000102"
    assert query.amount(12.5) == "12.5"
    start, end = datetime(2026, 11, 10, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)
    months = query.buckets(start, end, "MONTHLY")
    assert [(a.strftime("%m-%d"), b.strftime("%m-%d")) for a, b in months] == [("11-10", "12-01"), ("12-01", "01-01"), ("01-01", "01-05")]
    assert len(query.buckets(start, start.replace(day=11), "HOURLY")) == 24


def test_forecast_line_follows_a_linear_history():
    line = forecast.fit([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = line.predict(5, 80)
    assert mean == pytest.approx(6.0) and lo == pytest.approx(6.0) and hi == pytest.approx(6.0)  # no residuals
    noisy = forecast.fit([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    mean, lo, hi = noisy.predict(7, 95)
    assert lo < mean < hi
    assert forecast.fit([2.0]).predict(3, 80) == (2.0, 2.0, 2.0)


def test_a_running_task_is_seen_to_its_checkpoint_and_once_after_it_stops(tmp_path):
    import asyncio

    from gureum.billing import meter
    from gureum.services.ce import model
    from gureum.store import open_store

    store = open_store(f"sqlite:///{tmp_path}/state.sqlite")
    arn = "arn:aws:ecs:us-east-1:111122223333:task/c/abc"
    started = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    row = {"region": "us-east-1", "resource": arn, "node": "n1", "started": started, "vcpu": 1.0, "memory_gb": 2.0, "arch": "x86_64"}
    try:
        store.run_sync(lambda t: meter.checkpoint(t, "111122223333", row, started + 1800))

        def cost() -> float:
            return sum(i.cost for i in store.read_sync(lambda t: model.items(t, pricing.load(), "111122223333")))

        assert cost() == pytest.approx(0.5 * (0.04048 + 2 * 0.004445))
        store.run_sync(lambda t: meter.settle(t, "111122223333", row, started + 3600))
        assert cost() == pytest.approx(1.0 * (0.04048 + 2 * 0.004445))
    finally:
        asyncio.run(store.close())


def test_a_task_spanning_three_days_is_shared_between_their_buckets():
    row = {"service": "fargate", "region": "us-east-1", "resource": "t", "seconds": 2 * 86400.0, "billed_seconds": 2 * 86400,
           "vcpu": 1.0, "memory_gb": 2.0, "arch": "x86_64", "ts": int((T0 + 1.5 * 86400) * 1000)}  # Nov 30 12:00 -> Dec 2 12:00
    items = of_row(pricing.load(), "1/fargate/x", row)
    start = datetime(2026, 11, 29, tzinfo=UTC)
    out = query.results(items, start, datetime(2026, 12, 4, tzinfo=UTC), "DAILY", ["UsageQuantity"],
                        [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}], None, lambda i: {}, T0)
    vcpu_hours = [sum(float(g["Metrics"]["UsageQuantity"]["Amount"]) for g in r["Groups"] if "vCPU" in g["Keys"][0]) for r in out]
    assert vcpu_hours == [0.0, 12.0, 24.0, 12.0, 0.0]


def test_lambda_free_tier_is_deducted_per_account_and_month(tmp_path):
    from gureum.billing.line_items import with_free_tier

    doc = json.loads(pricing.DEFAULT_FILE.read_text())
    doc["lambda_free_tier"] = {"requests": 3, "gb_seconds": 1.0}
    path = tmp_path / "small-free-tier.json"
    path.write_text(json.dumps(doc))
    table = pricing.load(str(path))
    rows = [(f"111122223333/lambda/{n}", {**_lambda_row(1000, 512), "ts": int((T0 + n) * 1000)}) for n in range(5)]  # 0.5 GB-s each
    rows.append(("444455556666/lambda/x", {**_lambda_row(1000, 512), "ts": int(T0 * 1000)}))  # another account: its own tier
    rows.append(("111122223333/lambda/y", {**_lambda_row(1000, 512, arch="arm64"), "ts": int((T0 + 31 * 86400) * 1000)}))  # next month
    items = with_free_tier(table, [i for k, r in rows for i in of_row(table, k, r)])
    by_account = {}
    for i in items:
        by_account.setdefault((i.account, datetime.fromtimestamp(i.start, UTC).month), []).append(i.cost)
    # December, first account: 5 requests, 3 free; 2.5 GB-s, 1.0 free
    assert sum(by_account[("111122223333", 12)]) == pytest.approx(2 * 0.0000002 + 1.5 * 0.0000166667)
    assert sum(by_account[("444455556666", 12)]) == 0.0
    assert sum(by_account[("111122223333", 1)]) == 0.0


def test_a_price_file_lacking_a_metered_unit_is_refused(tmp_path):
    doc = json.loads(pricing.DEFAULT_FILE.read_text())
    del doc["regions"]["us-east-1"]["usage"]["Requests-RBP"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(pricing.PriceFileError, match="us-east-1 Requests-RBP"):
        pricing.load(str(path))


def test_provisioned_concurrency_rows_are_priced_as_aws_prices_them():
    """Kept provisioned concurrency: GB-s allocated at its own price; invocations on it: the
    provisioned duration price; Lambda's free tier covers neither."""
    from gureum.billing.line_items import with_free_tier

    table = pricing.load()
    kept = {**_lambda_row(mb=1024), "requests": 0, "billed_ms": 0, "pc_seconds": 300.0, "pc_concurrency": 2, "pc_generation": 1}
    [held] = of_row(table, "111122223333/lambda/x", kept)
    assert held.usage_type == "USE1-Lambda-Provisioned-Concurrency"
    assert held.quantity == pytest.approx(600.0)  # 300 s x 2 environments x 1 GB
    assert held.cost == pytest.approx(600.0 * 0.0000041667)
    ran = {**_lambda_row(ms=1000, mb=2048), "provisioned": True}
    request, duration = of_row(table, "111122223333/lambda/y", ran)
    assert duration.usage_type == "USE1-Lambda-Provisioned-GB-Second" and duration.quantity == pytest.approx(2.0)
    assert duration.cost == pytest.approx(2.0 * 0.0000097222)
    free = with_free_tier(table, [held, request, duration])
    assert [i.cost for i in free] == [held.cost, 0.0, duration.cost]
