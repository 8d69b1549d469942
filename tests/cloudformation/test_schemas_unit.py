"""Which property changes replace a resource: createOnly paths followed to the value they name
(AWS::SES::Template's /properties/Template/TemplateName: a new subject updates in place, a
new name replaces), top-level ones compared whole."""

from __future__ import annotations

from gureum.services.cloudformation import schemas


def test_a_nested_create_only_path_replaces_only_when_its_value_changes() -> None:
    old = {"Template": {"TemplateName": "t", "SubjectPart": "a"}}
    assert not schemas.replaces("AWS::SES::Template", old, {"Template": {"TemplateName": "t", "SubjectPart": "b"}})
    assert schemas.replaces("AWS::SES::Template", old, {"Template": {"TemplateName": "u", "SubjectPart": "a"}})


def test_top_level_create_only_properties_replace() -> None:
    assert schemas.replaces("AWS::Kinesis::Stream", {"Name": "a"}, {"Name": "b"})
    assert schemas.replaces("AWS::Kinesis::Stream", {"Name": "a"}, {})
    assert not schemas.replaces("AWS::Kinesis::Stream", {"Name": "a", "ShardCount": 1}, {"Name": "a", "ShardCount": 2})
    assert not schemas.replaces("AWS::Nothing::Known", {"A": 1}, {"A": 2})
