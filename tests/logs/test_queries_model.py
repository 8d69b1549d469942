"""Logs Insights query state on an in-memory store: the status machine (Scheduled ->
Running -> Complete), a StopQuery that wins over a run in flight, the 7-day keeping of
ended queries, and reading events by time range."""

from __future__ import annotations

import pytest

from gureum.aws.errors import AwsError
from gureum.services.logs import model, queries
from gureum.store.memory import MemoryStore

A, R = "000000000000", "us-east-1"


@pytest.fixture
def store():
    s = MemoryStore()
    s.run_sync(lambda t: model.create_group(t, A, R, "/g"))
    s.run_sync(lambda t: model.create_stream(t, A, R, "/g", "s"))
    s.run_sync(lambda t: model.put_events(t, A, R, "/g", "s", [(1_000_000, "early"), (2_000_000, "late")]))
    return s


def _start(store, **extra):
    return store.run_sync(lambda t: queries.start(t, A, R, {"logGroupName": "/g", "startTime": 0, "endTime": 10_000,
                                                             "queryString": "fields @message", **extra}))


def test_status_machine_and_stop_winning_over_a_run(store):
    qid = _start(store)
    assert store.read_sync(lambda t: queries.get(t, A, R, qid))["status"] == "Scheduled"
    assert store.run_sync(lambda t: queries.set_status(t, A, R, qid, "Running", only_if=("Scheduled",)))
    assert store.run_sync(lambda t: queries.stop(t, A, R, qid)) is True
    # the run finishing after the stop writes nothing
    assert not store.run_sync(lambda t: queries.set_status(t, A, R, qid, "Complete", only_if=("Running",), rows=[[]]))
    out = store.read_sync(lambda t: queries.results(t, A, R, qid, None, None))
    assert out["status"] == "Cancelled" and out["results"] == []
    with pytest.raises(AwsError) as exc:
        store.run_sync(lambda t: queries.stop(t, A, R, qid))
    assert exc.value.code == "InvalidParameterException"


def test_events_are_read_by_time_range_in_seconds(store):
    got = store.read_sync(lambda t: queries.read_events(t, A, R, ["/g"], 1500, 2000, cap=10))
    assert [ev["m"] for _, _, _, ev in got] == ["late"]
    got = store.read_sync(lambda t: queries.read_events(t, A, R, ["/g"], 0, 10_000, cap=1))
    assert len(got) == 1
    key = got[0][2]
    assert queries.event_key(queries.pointer(key)) == key


def test_ended_queries_are_kept_seven_days(store, monkeypatch):
    old = _start(store)
    store.run_sync(lambda t: queries.set_status(t, A, R, old, "Complete", rows=[]))
    later = model.now_ms() + queries.KEEP_MS + 1
    monkeypatch.setattr(model, "now_ms", lambda: later)
    recent = _start(store)
    with pytest.raises(AwsError):
        store.read_sync(lambda t: queries.get(t, A, R, old))
    assert store.read_sync(lambda t: queries.get(t, A, R, recent))["status"] == "Scheduled"


def test_concurrent_queries_are_limited(store):
    for _ in range(queries.MAX_CONCURRENT):
        _start(store)
    with pytest.raises(AwsError) as exc:
        _start(store)
    assert exc.value.code == "LimitExceededException"


def test_a_query_left_running_past_sixty_minutes_has_timed_out(store, monkeypatch):
    qid = _start(store)
    store.run_sync(lambda t: queries.set_status(t, A, R, qid, "Running"))
    later = model.now_ms() + queries.TIMEOUT_MS + 1
    monkeypatch.setattr(model, "now_ms", lambda: later)
    assert store.read_sync(lambda t: queries.results(t, A, R, qid, None, None))["status"] == "Timeout"
    for _ in range(queries.MAX_CONCURRENT):  # it no longer counts against the concurrency quota
        _start(store)


def test_a_group_arn_of_another_account_is_not_found(store):
    with pytest.raises(AwsError) as exc:
        _start(store, logGroupName=None, logGroupIdentifiers=["arn:aws:logs:us-east-1:111122223333:log-group:/g"])
    assert exc.value.code == "ResourceNotFoundException"
    assert _start(store, logGroupName=None, logGroupIdentifiers=[f"arn:aws:logs:{R}:{A}:log-group:/g"])
