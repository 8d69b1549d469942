"""IAM's stages for permissions policies (gureum/services/iam/grammar.py), on values: the
first failing stage answers, in IAM's words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.iam import grammar


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17", **top: Any) -> str:
    d: dict[str, Any] = {} if version is None else {"Version": version}
    d["Statement"] = statements[0] if len(statements) == 1 else list(statements)
    d.update(top)
    return json.dumps(d)


def st(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def message(document: str, *, managed: bool = True) -> str | None:
    try:
        grammar.check_identity(document, managed=managed)
    except AwsError as e:
        assert (e.code, e.status) == ("MalformedPolicyDocument", 400)
        return e.message
    return None


@pytest.mark.parametrize("document, expected", [
    ("This is not a json document", grammar.SYNTAX),
    ('["a list"]', grammar.SYNTAX),
    (json.dumps({"Version": "2012-10-17"}), grammar.SYNTAX),
    (doc(version="2012-10-17"), grammar.SYNTAX),  # an empty Statement list
    (json.dumps({"Version": "2012-10-17", "Statement": ["afd"]}), grammar.SYNTAX),
    (doc(st(), Id={}), grammar.SYNTAX),
    (doc(st(Sid=[])), grammar.SYNTAX),
    (doc(st(Effect="invalid")), grammar.SYNTAX),
    (doc(st(Effect=None)), grammar.SYNTAX),
    (doc(st(Resource=["adfdf", {}])), grammar.SYNTAX),
    (doc(st(Action={})), grammar.SYNTAX),
    (doc(st(NotAction="s3s:ListBucket", Action=[])), grammar.SYNTAX),
    (doc(st(Condition="a")), grammar.SYNTAX),
    (doc(st(Condition={"DateGreaterThan": []})), grammar.SYNTAX),
    (doc(st(Condition={"DateGreaterThan": {"a": {}}})), grammar.SYNTAX),
    (doc(st(Condition={"ForAnyValue::StringEqualsIfExists": {"a": "asf"}})), grammar.SYNTAX),
    (doc(st(), version="2013-10-17"), grammar.SYNTAX),
    (doc(st(Effect="denY"), version=None), grammar.VERSION_2012),
    (doc(st(), version="2008-10-17"), grammar.VERSION_2012),
    (doc(st(Effect="aLLow"), {"Sid": "x", "Effect": "Allow"}), grammar.LEGACY),
    (doc(st(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+1"}})), grammar.LEGACY),
    (doc(st(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.1999999999+10:59"}})), grammar.LEGACY),
    (doc(st(Condition={"DateLessThan": {"a": "9223372036854775808"}})), grammar.LEGACY),
    (doc(st(Action=None, NotAction="s3:ListBucket", Resource="arn:aws::::example_bucket")), grammar.LEGACY),
    (doc(st(Resource="arn:aws::fdsasf")), grammar.LEGACY),
    (doc({"Effect": "Allow", "Resource": "arn:aws:s3::example_bucket"}), grammar.LEGACY),
    (doc(st(Resource="arn:error:s3:::example_bucket", Condition={"DateGreaterThan": {"a": "sdfdsf"}})), grammar.LEGACY),
    (doc(st(Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}), grammar.DUPLICATE_SID),
    (doc({"Effect": "Deny"}, st()), grammar.NO_ACTIONS),
    (doc({"Effect": "Allow", "Action": "invalid"}), grammar.NO_RESOURCES),
    (doc(st(Resource="")), 'Resource  must be in ARN format or "*".'),
    (doc(st(Action=None, NotAction="s3s:ListBucket", Resource="a:bsdfdsafsad")),
     'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'),
    (doc(st(Resource="a:b:c:d:e:f:g:h")), 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'),
    (doc(st(Resource="aws:s3:::example_bucket")), 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'),
    (doc(st(Action="invalid")), grammar.NO_VENDOR),
    (doc(st(Action="s3s:ListBucket"), st(Action="s:3s:ListBucket")), grammar.ONE_COLON),
    (doc(st(Action="a a:ListBucket")), "Vendor a a is not valid"),
    (doc(st(Principal={"AWS": "*"})), grammar.PRINCIPAL),
])
def test_the_first_failing_stage_answers(document, expected):
    assert message(document) == expected


@pytest.mark.parametrize("document", [
    doc(st(Action="*", Resource="*")),
    doc(st(Action="service-prefix:action-name", Resource="*")),
    doc(st(Resource="arn:aws:s33:::example_bucket")),
    doc(st(Resource="arn:aws:fdsasf")),
    doc(st(Resource="arn:aws:invalid-service:us-east-1::example_bucket")),
    doc(st(Resource="arn:aws:s3:us-east-1::accesspoint/ap")),
    doc(st(Resource="arn:aws:iam::123456789012:*")),
    doc(st(Condition={"DateGreaterThan": {}})),
    doc(st(Condition={"a": {}})),
    doc(st(Condition={"DateGreaterThan": {"aws:CurrentTime": "2019-07-01"}, "DateLessThan": {"a": "1562000000"}})),
    doc(st(Sid="")),
])
def test_what_iam_accepts(document):
    assert message(document) is None


def test_inline_policies_take_2008_and_no_version():
    assert message(doc(st(), version=None), managed=False) is None
    assert message(doc(st(), version="2008-10-17"), managed=False) is None
    assert message(doc(st(), version="2013-10-17"), managed=False) == grammar.SYNTAX
