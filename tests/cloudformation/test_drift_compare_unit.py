"""drift_compare on values: only the template's properties are compared, scalars as
CloudFormation passes them, lists element by element (ADD/REMOVE), tags by key with the stack's
and AWS's own tags not counted, JSON text read back where the template has an object."""

from __future__ import annotations

from gureum.services.cloudformation.drift_compare import actual_view, compare


def _shown(expected: dict, actual: dict, compared: tuple[str, ...], stack_tags: dict | None = None) -> list[tuple[str, str, str, str]]:
    return [(d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"])
            for d in (x.shown() for x in compare(expected, actual, compared, stack_tags))]


def test_properties_left_to_their_defaults_and_unread_ones_are_not_drift() -> None:
    assert _shown({"VisibilityTimeout": 30, "Unread": "x"}, {"VisibilityTimeout": "30", "DelaySeconds": "5"},
                  ("VisibilityTimeout", "DelaySeconds")) == []
    assert _shown({"Enabled": True, "Size": 1.0}, {"Enabled": "true", "Size": 1}, ("Enabled", "Size")) == []


def test_scalars_nested_objects_and_lists_differ_with_their_paths() -> None:
    expected = {"A": 1, "B": {"C": "x", "D": "y"}, "L": ["a", "b"], "M": ["a"]}
    actual = {"A": 2, "B": {"C": "z", "E": "extra"}, "L": ["a"], "M": ["a", "n"]}
    assert _shown(expected, actual, ("A", "B", "L", "M")) == [
        ("/A", "1", "2", "NOT_EQUAL"), ("/B/C", "x", "z", "NOT_EQUAL"), ("/B/D", "y", "null", "REMOVE"),
        ("/L/1", "b", "null", "REMOVE"), ("/M/1", "null", "n", "ADD")]
    assert _shown({"Gone": "x"}, {}, ("Gone",)) == [("/Gone", "x", "null", "REMOVE")]


def test_json_text_read_back_compares_as_the_object() -> None:
    policy = {"deadLetterTargetArn": "arn", "maxReceiveCount": 5}
    assert _shown({"RedrivePolicy": policy}, {"RedrivePolicy": '{"deadLetterTargetArn":"arn","maxReceiveCount":5}'},
                  ("RedrivePolicy",)) == []
    assert _shown({"RedrivePolicy": policy}, {"RedrivePolicy": '{"deadLetterTargetArn":"arn","maxReceiveCount":9}'},
                  ("RedrivePolicy",)) == [("/RedrivePolicy/maxReceiveCount", "5", "9", "NOT_EQUAL")]


def test_tags_compare_by_key_without_the_stacks_and_aws_tags() -> None:
    expected = {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
    actual = {"Tags": [{"Key": "aws:cloudformation:stack-name", "Value": "s"}, {"Key": "owner", "Value": "me"},
                       {"Key": "b", "Value": "3"}, {"Key": "new", "Value": "n"}]}
    assert _shown(expected, actual, ("Tags",), {"owner": "me"}) == [
        ("/Tags/0", '{"Key":"a","Value":"1"}', "null", "REMOVE"), ("/Tags/1/Value", "2", "3", "NOT_EQUAL"),
        ("/Tags/2", "null", '{"Key":"new","Value":"n"}', "ADD")]
    assert _shown({"Tags": {"a": "1"}}, {"Tags": {"a": "2", "aws:x": "y", "c": "3"}}, ("Tags",)) == [
        ("/Tags/a", "1", "2", "NOT_EQUAL"), ("/Tags/c", "null", "3", "ADD")]


def test_actual_properties_replace_what_was_read() -> None:
    assert actual_view({"A": 1, "B": 2, "C": 3}, {"A": 5}, ("A", "C")) == {"A": 5, "B": 2}


def test_a_detection_interrupted_by_its_nodes_stop_fails_at_the_next_start() -> None:
    from gureum.services.cloudformation import drift
    from gureum.store.memory import MemoryStore

    store = MemoryStore()
    for key, node, status in (("a/r/1", "n1", "DETECTION_IN_PROGRESS"), ("a/r/2", "n2", "DETECTION_IN_PROGRESS"),
                              ("a/r/3", "n1", "DETECTION_COMPLETE")):
        store.run_sync(lambda t, k=key, n=node, s=status: t.put(drift.DETECTIONS, k, {"DetectionStatus": s, "node": n}))
    assert store.run_sync(lambda t: drift.fail_interrupted(t, "n1", 1.0)) == 1
    rows = store.read_sync(lambda t: dict(t.scan(drift.DETECTIONS, "")))
    assert [rows[k]["DetectionStatus"] for k in ("a/r/1", "a/r/2", "a/r/3")] == [
        "DETECTION_FAILED", "DETECTION_IN_PROGRESS", "DETECTION_COMPLETE"]
    assert rows["a/r/1"]["DetectionStatusReason"] == "Drift detection was interrupted"


def test_a_detection_this_process_began_is_not_failed_as_interrupted() -> None:
    """The start-up sweep can run after the first DetectStackDrift call woke it: a detection
    this very process began (its "run") is running, not interrupted."""
    from gureum.services.cloudformation import drift, model
    from gureum.store.memory import MemoryStore

    store = MemoryStore()
    store.run_sync(lambda t: t.put(drift.DETECTIONS, "a/r/1", {"DetectionStatus": "DETECTION_IN_PROGRESS", "node": "n1", "run": model.RUN}))
    store.run_sync(lambda t: t.put(drift.DETECTIONS, "a/r/2", {"DetectionStatus": "DETECTION_IN_PROGRESS", "node": "n1", "run": "an earlier process"}))
    assert store.run_sync(lambda t: drift.fail_interrupted(t, "n1", 1.0)) == 1
    rows = store.read_sync(lambda t: dict(t.scan(drift.DETECTIONS, "")))
    assert [rows[k]["DetectionStatus"] for k in ("a/r/1", "a/r/2")] == ["DETECTION_IN_PROGRESS", "DETECTION_FAILED"]
