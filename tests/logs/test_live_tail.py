"""StartLiveTail through boto3's EventStream: sessionStart, then sessionUpdate events with
what is ingested after the session started, filtered by stream names, prefixes and a
filter pattern; the request's errors."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess
from logs_shapes import checked
from waiting import wait_for


@pytest.fixture
def logs(gureum):
    # StartLiveTail is sent to a `stream-` host prefix; a local endpoint has none.
    yield from checked(gureum, config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=60))


def _group(logs, *streams):
    name = f"/tail/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    for s in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=s)
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
    return name, arn


class _Reader:
    """Reads a live tail's events on a thread until the stream is closed."""

    def __init__(self, response):
        self.stream = response["responseStream"]
        self.events: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for ev in self.stream:
                self.events.append(ev)
        except Exception as exc:  # the stream closed under the reader
            self.events.append({"closed": repr(exc)})

    def results(self):
        return [r for ev in self.events if "sessionUpdate" in ev for r in ev["sessionUpdate"]["sessionResults"]]

    def close(self):
        self.stream.close()
        self.thread.join(timeout=10)


def _put(logs, group, stream, *messages):
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def test_live_tail_streams_new_matching_events(logs):
    name, arn = _group(logs, "app-1", "app-2", "other")
    _put(logs, name, "app-1", "ERROR before the session")
    reader = _Reader(logs.start_live_tail(logGroupIdentifiers=[arn], logStreamNamePrefixes=["app-"],
                                          logEventFilterPattern="ERROR"))
    try:
        wait_for("sessionStart", lambda: any("sessionStart" in e for e in reader.events), timeout=10, interval=0.05)
        start = next(e["sessionStart"] for e in reader.events if "sessionStart" in e)
        assert start["logGroupIdentifiers"] == [arn] and start["logStreamNamePrefixes"] == ["app-"]
        assert start["logEventFilterPattern"] == "ERROR" and start["sessionId"]
        _put(logs, name, "app-1", "ERROR one", "INFO skipped")
        _put(logs, name, "other", "ERROR in another stream")
        _put(logs, name, "app-2", "ERROR two")
        wait_for("two results", lambda: len(reader.results()) >= 2, timeout=20, interval=0.1)
        got = reader.results()
        assert sorted(r["message"] for r in got) == ["ERROR one", "ERROR two"]
        assert {r["logStreamName"] for r in got} == {"app-1", "app-2"} and {r["logGroupIdentifier"] for r in got} == {arn}
        assert all(r["timestamp"] > 0 and r["ingestionTime"] > 0 for r in got)
        update = next(e["sessionUpdate"] for e in reader.events if "sessionUpdate" in e)
        assert update["sessionMetadata"]["sampled"] is False
    finally:
        reader.close()


def test_live_tail_by_stream_names(logs):
    name, arn = _group(logs, "a", "b")
    reader = _Reader(logs.start_live_tail(logGroupIdentifiers=[arn], logStreamNames=["b"]))
    try:
        wait_for("sessionStart", lambda: reader.events, timeout=10, interval=0.05)
        _put(logs, name, "a", "from a")
        _put(logs, name, "b", "from b")
        wait_for("a result", lambda: reader.results(), timeout=20, interval=0.1)
        assert [r["message"] for r in reader.results()] == ["from b"]
    finally:
        reader.close()


def test_live_tail_errors(logs):
    name, arn = _group(logs, "s")
    other, arn2 = _group(logs, "s")
    cases = [
        (dict(logGroupIdentifiers=[arn + ":*"]), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[arn, arn2], logStreamNames=["s"]), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[arn], logStreamNames=["s"], logStreamNamePrefixes=["s"]), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[arn.replace(name, "/no/such")]), "ResourceNotFoundException"),
        (dict(logGroupIdentifiers=[arn], logEventFilterPattern='{ $.a = '), "InvalidParameterException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as exc:
            logs.start_live_tail(**kwargs)
        assert exc.value.response["Error"]["Code"] == code, kwargs


@pytest.fixture(scope="module")
def short_sessions(tmp_path_factory):
    """A gureum whose live tail sessions last 2 seconds (AWS's 3 hours, shortened)."""
    proc = GureumProcess(tmp_path_factory.mktemp("tail") / "data", extra_args=["--set", "logs.live_tail_max_seconds=2"],
                         env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


def test_live_tail_ends_with_session_timeout(short_sessions):
    logs = short_sessions.client("logs", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=60))
    _, arn = _group(logs, "s")
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    with pytest.raises(Exception) as exc:
        for _ in stream:  # ends with the modeled exception event
            pass
    assert "SessionTimeoutException" in str(exc.value)


def test_live_tail_sessions_are_limited_per_account(short_sessions):
    logs = short_sessions.client("logs", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=60,
                                                       max_pool_connections=20))
    _, arn = _group(logs, "s")
    streams = [logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"] for _ in range(15)]
    with pytest.raises(ClientError) as exc:
        logs.start_live_tail(logGroupIdentifiers=[arn])
    assert exc.value.response["Error"]["Code"] == "LimitExceededException"
    for s in streams:
        s.close()

    def opens() -> bool:
        try:
            logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"].close()
        except ClientError:
            return False
        return True

    wait_for("a session once the others ended", opens, timeout=30, interval=0.5)
