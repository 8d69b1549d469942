"""The cluster suite's checks (tests/cluster/history.py) on hand-made histories: they find a
lost message, a second delivery inside the visibility timeout, and a DNS round nobody
answered, and do not call client-side latency a violation."""

from __future__ import annotations

from collections import Counter

from cluster.history import Fault, History, Op, dns_report, lambda_report, max_gap, recovery_report, sqs_report


def _h(*ops: Op) -> History:
    h = History(t0=0.0)
    for o in ops:
        h.add(o)
    return h


def test_sqs_report_counts_lost_duplicates_and_violations() -> None:
    h = _h(
        Op("sqs.send", 0, "m1", 0.0, 0.1, True), Op("sqs.send", 1, "m2", 0.0, 0.1, True),
        Op("sqs.send", 2, "m3", 0.0, 0.1, False),  # not acknowledged: may or may not arrive
        Op("sqs.receive", 0, "m1", 1.0, 1.2, True, "r1"),
        Op("sqs.receive", 1, "m1", 3.0, 3.1, True, "r2"),  # again 2 s later: inside a 5 s timeout
        Op("sqs.receive", 2, "m1", 9.0, 9.1, True, "r3"),  # after it: a duplicate, legal
        Op("sqs.receive", 2, "m3", 2.0, 2.1, True, "r4"),
    )  # fmt: skip
    r = sqs_report(h, visibility_timeout=5)
    assert (r["sent"], r["received"], r["deliveries"], r["duplicates"]) == (2, 2, 4, 2)
    assert r["lost"] == ["m2"]
    assert r["unacknowledged_but_delivered"] == 1
    assert [v["second"] for v in r["inside_visibility_violations"]] == [(1, "r2")]


def test_a_redelivery_that_may_be_after_the_timeout_is_not_a_violation() -> None:
    # the first receive may have been served as late as 5.9 and the second as late as 6.5,
    # more than 5 s after the first began: no proof of an early second delivery
    h = _h(Op("sqs.send", 0, "m", 0, 0.1, True), Op("sqs.receive", 0, "m", 1.0, 5.9, True),
           Op("sqs.receive", 1, "m", 5.95, 6.5, True))  # fmt: skip
    assert sqs_report(h, visibility_timeout=5)["inside_visibility_violations"] == []


def test_lambda_report_missing_and_duplicate_runs() -> None:
    h = _h(*(Op("lambda.invoke", 0, k, 0, 1, True) for k in ("a", "b", "c")), Op("lambda.invoke", 1, "d", 0, 1, False))
    r = lambda_report(h, Counter({"a": 1, "b": 3}))
    assert (r["invoked"], r["ran"], r["runs"], r["duplicates"], r["missing"], r["invoke_errors"]) == (3, 2, 4, 2, [{"id": "c", "node": 0, "acked_at": 1}], 1)


def test_dns_report_and_gaps() -> None:
    h = _h(Op("dns.query", 0, "1", 0, 0.1, True), Op("dns.query", 1, "1", 0, 0.1, False),
           Op("dns.query", 0, "2", 1, 1.1, False), Op("dns.query", 0, "3", 4, 4.1, True))  # fmt: skip
    r = dns_report(h)
    assert (r["rounds"], r["unanswered_rounds"], r["failed_queries_by_node"]) == (3, ["2"], {0: 1, 1: 1})
    assert max_gap(h, "dns.query") == 4.0
    h.fault(Fault("kill", 1, 2.0, 7.5))
    assert recovery_report(h)["max_node_recovery"] == 5.5
