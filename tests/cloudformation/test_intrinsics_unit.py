"""The template reader and the intrinsic functions on values (no gureum): YAML short forms,
Fn::Sub's escapes and attributes, AWS::NoValue, conditions naming conditions, Fn::Cidr,
Fn::FindInMap's DefaultValue, and the dependency graph's cycle message."""

from __future__ import annotations

import pytest

from gureum.services.cloudformation import checks
from gureum.services.cloudformation.intrinsics import (
    NO_VALUE,
    NotReady,
    Scope,
    evaluate_conditions,
    references,
    resolve,
)
from gureum.services.cloudformation.template import TemplateError, parse


def _scope(**params: object) -> Scope:
    return Scope(params={"AWS::Region": "eu-west-1", "AWS::StackName": "st", **params}, resources=frozenset({"Q"}),
                 refs={"Q": "url"}, attrs={"Q": {"Arn": "arn-q"}})


def test_yaml_short_forms_become_long_forms_and_dates_stay_strings() -> None:
    doc = parse("AWSTemplateFormatVersion: 2010-09-09\nResources:\n  A:\n    Type: X\n    Properties:\n"
                "      B: !GetAtt Q.Arn\n      C: !Sub '${Q}'\n      D: !If [c, !Ref Q, !Ref AWS::NoValue]\n")
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    props = doc["Resources"]["A"]["Properties"]
    assert props == {"B": {"Fn::GetAtt": ["Q", "Arn"]}, "C": {"Fn::Sub": "${Q}"},
                     "D": {"Fn::If": ["c", {"Ref": "Q"}, {"Ref": "AWS::NoValue"}]}}
    with pytest.raises(TemplateError, match="Duplicate key"):
        parse("Resources:\n  A: 1\n  A: 2\n")


def test_sub_escapes_attributes_and_variables() -> None:
    s = _scope()
    assert resolve({"Fn::Sub": "${AWS::StackName}-${Q.Arn}-${!Literal}"}, s) == "st-arn-q-${Literal}"
    assert resolve({"Fn::Sub": ["${A}/${Q}", {"A": {"Ref": "AWS::Region"}}]}, s) == "eu-west-1/url"


def test_no_value_drops_keys_and_items() -> None:
    s = _scope()
    assert resolve({"a": {"Ref": "AWS::NoValue"}, "b": [1, {"Ref": "AWS::NoValue"}, 2]}, s) == {"b": [1, 2]}
    assert resolve({"Ref": "AWS::NoValue"}, s) is NO_VALUE


def test_conditions_name_conditions_and_cycles_are_refused() -> None:
    s = _scope(Env="prod")
    conds = {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}, "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
             "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Condition": "NotProd"}]}]}}
    assert evaluate_conditions(conds, s) == {"IsProd": True, "NotProd": False, "Both": True}
    with pytest.raises(TemplateError, match="Circular dependency between conditions"):
        evaluate_conditions({"A": {"Condition": "B"}, "B": {"Condition": "A"}}, s)


def test_cidr_select_split_find_in_map_and_unready_resources() -> None:
    s = _scope()
    s.mappings = {"M": {"k": {"v": 1}}}
    assert resolve({"Fn::Cidr": ["192.168.0.0/24", 4, 6]}, s) == [f"192.168.0.{i}/26" for i in (0, 64, 128, 192)]
    assert resolve({"Fn::FindInMap": ["M", "x", "v", {"DefaultValue": "d"}]}, s) == "d"
    with pytest.raises(TemplateError, match="nonexistent value at index 3"):
        resolve({"Fn::Select": [3, {"Fn::Split": [",", "a,b,c"]}]}, s)
    later = Scope(params={}, resources=frozenset({"Later"}))
    with pytest.raises(NotReady):
        resolve({"Fn::GetAtt": ["Later", "Arn"]}, later)
    assert references({"x": {"Fn::Sub": ["${A}-${B.Arn}", {"A": "1"}]}, "y": {"Ref": "C"}}) == {"B", "C"}


def test_cycles_name_every_resource_in_them() -> None:
    resources = {"A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}}, "B": {"Type": "T", "DependsOn": "C"},
                 "C": {"Type": "T", "Properties": {"Y": {"Fn::GetAtt": ["A", "Arn"]}}}, "D": {"Type": "T"}}
    with pytest.raises(TemplateError) as e:
        checks.graph(resources, set(resources))
    assert str(e.value) == "Circular dependency between resources: [A, B, C]"


def test_find_in_map_with_a_non_string_key_is_a_template_error() -> None:
    """A TypeError before (an object used as a mapping name): the resource failed as an internal failure."""
    s = _scope()
    s.mappings = {"M": {"k": {"v": 1}}}
    with pytest.raises(TemplateError, match="Fn::FindInMap"):
        resolve({"Fn::FindInMap": [{"a": 1}, "k", "v"]}, s)
