"""Unit tests of IAM's domain rules, run on the in-memory store (no HTTP)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
from botocore.handlers import decode_quoted_jsondoc

from gureum.aws.errors import AwsError
from gureum.services.iam import documents, ids, managed
from gureum.services.iam.model import Iam, page_result
from gureum.services.iam.policies import Policies
from gureum.store.memory import MemoryStore


@contextmanager
def raises(code: str, match: str | None = None) -> Iterator[pytest.ExceptionInfo[AwsError]]:
    """pytest.raises for the modeled AWS error `code`."""
    with pytest.raises(AwsError, match=match) as e:
        yield e
    assert e.value.code == code


ACCT = "123456789012"
TRUST = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}\n  ]\n}'
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def run(store, fn, account=ACCT):
    return store.run_sync(lambda t: fn(Iam(t, account)))


def pol(store, fn, account=ACCT):
    return store.run_sync(lambda t: fn(Policies(Iam(t, account))))


# --- ids -------------------------------------------------------------------------------
def test_unique_ids_have_aws_prefixes_and_21_uppercase_characters():
    for prefix in (ids.USER, ids.ROLE, ids.POLICY, ids.GROUP, ids.INSTANCE_PROFILE):
        value = ids.unique_id(prefix)
        assert re.fullmatch(prefix + r"[A-Z2-7]{17}", value)


def test_access_keys_are_20_characters_and_secrets_40():
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", ids.access_key_id())
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", ids.access_key_id(ids.TEMP_ACCESS_KEY))
    assert len(ids.secret_access_key()) == 40


def test_encoded_documents_decode_back_exactly_as_botocore_decodes_them():
    doc = '{"a": "x+y z/&=%", "b": ["é", "\\n"]}\n'
    encoded = documents.encode(doc)
    assert "+" not in encoded and " " not in encoded
    assert unquote(encoded) == doc
    assert decode_quoted_jsondoc(encoded) == json.loads(doc)


# --- users -----------------------------------------------------------------------------
def test_user_names_are_unique_without_regard_to_case(store):
    user = run(store, lambda m: m.create_user("Alice", "/eng/"))
    assert user["Arn"] == f"arn:aws:iam::{ACCT}:user/eng/Alice"
    assert user["UserId"].startswith("AIDA")
    with raises("EntityAlreadyExists", match="User with name ALICE already exists."):
        run(store, lambda m: m.create_user("ALICE"))
    assert run(store, lambda m: m.get_user("alice"))["UserName"] == "Alice"


def test_missing_user_is_no_such_entity_404(store):
    with raises("NoSuchEntity") as err:
        run(store, lambda m: m.get_user("nobody"))
    assert err.value.status == 404 and err.value.message == "The user with name nobody cannot be found."


def test_accounts_are_isolated(store):
    run(store, lambda m: m.create_user("bob"))
    with raises("NoSuchEntity"):
        run(store, lambda m: m.get_user("bob"), account="210987654321")


def test_path_prefix_filters_list(store):
    for name, path in (("a", "/"), ("b", "/eng/"), ("c", "/eng/web/")):
        run(store, lambda m, n=name, p=path: m.create_user(n, p))
    names = lambda prefix: [d["UserName"] for _, d in run(store, lambda m: m.list_users(prefix))]
    assert names(None) == ["a", "b", "c"]
    assert names("/eng/") == ["b", "c"]
    assert names("/eng/web") == ["c"]


def test_pagination_marks_truncation_and_resumes(store):
    for i in range(7):
        run(store, lambda m, i=i: m.create_user(f"u{i}"))
    rows = run(store, lambda m: m.list_users(None))
    seen, marker = [], None
    while True:
        page = page_result("Users", rows, marker, 3)
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        assert len(page["Users"]) == 3
        marker = page["Marker"]
    assert seen == [f"u{i}" for i in range(7)]


def test_garbage_marker_is_a_validation_error():
    with raises("ValidationError"):
        page_result("Users", [], "%%%not-base64", 10)


def test_delete_user_conflicts_until_keys_policies_and_groups_are_gone(store):
    run(store, lambda m: m.create_user("carol"))
    run(store, lambda m: m.create_group("devs"))
    key = run(store, lambda m: m.create_access_key("carol"))
    pol(store, lambda p: p.put_inline("user", "carol", "inline", POLICY))
    pol(store, lambda p: p.attach("user", "carol", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
    run(store, lambda m: m.add_user_to_group("devs", "carol"))

    def delete():
        run(store, lambda m: m.delete_user("carol"))

    with raises("DeleteConflict", match="must delete access keys first"):
        delete()
    run(store, lambda m: m.delete_access_key(key["AccessKeyId"], "carol"))
    with raises("DeleteConflict", match="must delete policies first"):
        delete()
    pol(store, lambda p: p.delete_inline("user", "carol", "inline"))
    with raises("DeleteConflict", match="must detach all policies first"):
        delete()
    pol(store, lambda p: p.detach("user", "carol", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
    with raises("DeleteConflict", match="must remove users from group first") as err:
        delete()
    assert err.value.status == 409
    run(store, lambda m: m.remove_user_from_group("devs", "carol"))
    delete()
    with raises("NoSuchEntity"):
        run(store, lambda m: m.get_user("carol"))


def test_rename_user_carries_keys_groups_and_attachments(store):
    run(store, lambda m: m.create_user("old"))
    run(store, lambda m: m.create_group("g"))
    run(store, lambda m: m.add_user_to_group("g", "old"))
    key = run(store, lambda m: m.create_access_key("old"))
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    pol(store, lambda p: p.attach("user", "old", arn))
    run(store, lambda m: m.update_user("old", "new", "/p/"))
    user = run(store, lambda m: m.get_user("new"))
    assert user["Arn"] == f"arn:aws:iam::{ACCT}:user/p/new"
    assert [u["UserName"] for _, u in run(store, lambda m: m.group_members("g"))] == ["new"]
    assert [k["AccessKeyId"] for _, k in run(store, lambda m: m.list_access_keys("new"))] == [key["AccessKeyId"]]
    ents = pol(store, lambda p: p.entities_for_policy(arn, None, None))
    assert [e for _, (_, e) in ents] == [{"UserName": "new", "UserId": user["UserId"]}]
    with raises("NoSuchEntity"):
        run(store, lambda m: m.get_user("old"))


# --- access keys -----------------------------------------------------------------------
def test_a_user_has_at_most_two_access_keys(store):
    run(store, lambda m: m.create_user("dave"))
    for _ in range(2):
        run(store, lambda m: m.create_access_key("dave"))
    with raises("LimitExceeded", match="Cannot exceed quota for AccessKeysPerUser: 2") as err:
        run(store, lambda m: m.create_access_key("dave"))
    assert err.value.status == 409


def test_access_key_status_and_deletion(store):
    run(store, lambda m: m.create_user("erin"))
    key = run(store, lambda m: m.create_access_key("erin"))["AccessKeyId"]
    run(store, lambda m: m.update_access_key(key, "Inactive", "erin"))
    assert run(store, lambda m: m.list_access_keys("erin"))[0][1]["Status"] == "Inactive"
    with raises("NoSuchEntity", match=f"The Access Key with id {key} cannot be found"):
        run(store, lambda m: m.delete_access_key(key, None), account="210987654321")
    run(store, lambda m: m.delete_access_key(key, "erin"))
    assert run(store, lambda m: m.list_access_keys("erin")) == []


# --- groups ----------------------------------------------------------------------------
def test_group_membership_both_ways_and_delete_conflict(store):
    run(store, lambda m: m.create_user("u1"))
    run(store, lambda m: m.create_group("G1"))
    run(store, lambda m: m.add_user_to_group("g1", "U1"))
    run(store, lambda m: m.add_user_to_group("g1", "u1"))  # idempotent
    assert [g["GroupName"] for _, g in run(store, lambda m: m.groups_for_user("u1"))] == ["G1"]
    with raises("DeleteConflict", match="must remove users from group first"):
        run(store, lambda m: m.delete_group("G1"))
    run(store, lambda m: m.remove_user_from_group("G1", "u1"))
    run(store, lambda m: m.delete_group("G1"))
    assert run(store, lambda m: m.get_user("u1"))["Groups"] == []


# --- roles -----------------------------------------------------------------------------
def test_role_keeps_its_trust_policy_verbatim(store):
    role = run(store, lambda m: m.create_role("fn", TRUST, "/service-role/", "d", 7200))
    assert role["RoleId"].startswith("AROA")
    assert role["Arn"] == f"arn:aws:iam::{ACCT}:role/service-role/fn"
    assert run(store, lambda m: m.get_role("FN"))["AssumeRolePolicyDocument"] == TRUST
    new = TRUST.replace("lambda", "ecs-tasks")
    run(store, lambda m: m.update_assume_role_policy("fn", new))
    assert run(store, lambda m: m.get_role("fn"))["AssumeRolePolicyDocument"] == new


@pytest.mark.parametrize(
    "doc, message",
    [
        ("{not json", "This policy contains invalid Json"),
        ('{"Version": "2012-10-17"}', "Syntax errors in policy."),
        ('{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}',
         "Has prohibited field Resource"),
    ],
)
def test_malformed_trust_policies_are_rejected(store, doc, message):
    with raises("MalformedPolicyDocument") as err:
        run(store, lambda m: m.create_role("r", doc))
    assert err.value.message == message and err.value.status == 400


def test_find_role_by_arn_requires_the_right_path(store):
    run(store, lambda m: m.create_role("r", TRUST, "/x/"))
    assert run(store, lambda m: m.find_role_by_arn(f"arn:aws:iam::{ACCT}:role/x/r"))["RoleName"] == "r"
    assert run(store, lambda m: m.find_role_by_arn(f"arn:aws:iam::{ACCT}:role/r")) is None
    assert run(store, lambda m: m.find_role_by_arn(f"arn:aws:iam::{ACCT}:role/x/r"), account="210987654321") is None


def test_delete_role_conflicts_with_instance_profile_and_policies(store):
    run(store, lambda m: m.create_role("r", TRUST))
    run(store, lambda m: m.create_instance_profile("ip"))
    run(store, lambda m: m.add_role_to_instance_profile("ip", "r"))
    with raises("LimitExceeded"):
        run(store, lambda m: (m.create_role("r2", TRUST), m.add_role_to_instance_profile("ip", "r2")))
    with raises("DeleteConflict", match="must remove roles from instance profile first"):
        run(store, lambda m: m.delete_role("r"))
    with raises("DeleteConflict", match="must remove roles from instance profile first"):
        run(store, lambda m: m.delete_instance_profile("ip"))
    run(store, lambda m: m.remove_role_from_instance_profile("ip", "r"))
    pol(store, lambda p: p.put_inline("role", "r", "p", POLICY))
    with raises("DeleteConflict", match="must delete policies first"):
        run(store, lambda m: m.delete_role("r"))
    pol(store, lambda p: p.delete_inline("role", "r", "p"))
    run(store, lambda m: m.delete_role("r"))
    run(store, lambda m: m.delete_instance_profile("ip"))


def test_tags_merge_case_insensitively_and_untag(store):
    run(store, lambda m: m.create_role("r", TRUST, tags=[{"Key": "env", "Value": "dev"}]))
    run(store, lambda m: m.tag("role", "r", [{"Key": "ENV", "Value": "prod"}, {"Key": "team", "Value": "a"}]))
    assert [t for _, t in run(store, lambda m: m.tags("role", "r"))] == [
        {"Key": "ENV", "Value": "prod"},
        {"Key": "team", "Value": "a"},
    ]
    with raises("InvalidInput"):
        run(store, lambda m: m.tag("role", "r", [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]))
    run(store, lambda m: m.untag("role", "r", ["env"]))
    assert [t["Key"] for _, t in run(store, lambda m: m.tags("role", "r"))] == ["team"]


# --- managed policies ------------------------------------------------------------------
def test_policy_versions_lifecycle(store):
    p = pol(store, lambda x: x.create_policy("P", POLICY, "/team/", "desc"))
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{ACCT}:policy/team/P" and p["PolicyId"].startswith("ANPA")
    docs = [POLICY.replace("GetObject", f"Get{i}") for i in range(2, 6)]
    for i, d in enumerate(docs, start=2):
        v = pol(store, lambda x, d=d, i=i: x.create_policy_version(arn, d, i == 3))
        assert v["VersionId"] == f"v{i}"
    with raises("LimitExceeded", match="up to 5 versions"):
        pol(store, lambda x: x.create_policy_version(arn, POLICY, False))
    assert pol(store, lambda x: x.get_policy(arn))["DefaultVersionId"] == "v3"
    assert pol(store, lambda x: x.get_policy_version(arn, "v3"))["Document"] == docs[1]
    assert [v["VersionId"] for _, v in pol(store, lambda x: x.list_policy_versions(arn))] == [
        "v5", "v4", "v3", "v2", "v1"]
    with raises("DeleteConflict", match="Cannot delete the default version of a policy."):
        pol(store, lambda x: x.delete_policy_version(arn, "v3"))
    with raises("NoSuchEntity", match="version v9 does not exist"):
        pol(store, lambda x: x.set_default_policy_version(arn, "v9"))
    with raises("DeleteConflict", match="more than one version"):
        pol(store, lambda x: x.delete_policy(arn))
    pol(store, lambda x: x.set_default_policy_version(arn, "v5"))
    for v in ("v1", "v2", "v3", "v4"):
        pol(store, lambda x, v=v: x.delete_policy_version(arn, v))
    nxt = pol(store, lambda x: x.create_policy_version(arn, POLICY, False))
    assert nxt["VersionId"] == "v6"  # version numbers are never reused
    pol(store, lambda x: x.delete_policy_version(arn, "v6"))
    pol(store, lambda x: x.delete_policy(arn))
    with raises("NoSuchEntity", match=f"Policy {arn} was not found."):
        pol(store, lambda x: x.get_policy(arn))
    with raises("NoSuchEntity", match=f"Policy {arn} version v5 does not exist or is not attachable."):
        pol(store, lambda x: x.get_policy_version(arn, "v5"))


def test_policy_names_are_unique_and_documents_checked(store):
    pol(store, lambda x: x.create_policy("P", POLICY))
    with raises("EntityAlreadyExists", match="A policy called p already exists"):
        pol(store, lambda x: x.create_policy("p", POLICY))
    with raises("MalformedPolicyDocument", match="should not specify a principal"):
        pol(store, lambda x: x.create_policy("Q", TRUST))
    with raises("MalformedPolicyDocument", match="must contain resources"):
        pol(store, lambda x: x.create_policy("Q", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}'))
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:Get{i:05d}" for i in range(600)], "Resource": "*"}]})
    with raises("LimitExceeded", match="PolicySize: 6144"):
        pol(store, lambda x: x.create_policy("Big", big))


def test_aws_managed_policies_attach_and_count(store):
    for name in ("AWSLambdaBasicExecutionRole", "AmazonECSTaskExecutionRolePolicy", "AdministratorAccess",
                 "ReadOnlyAccess"):
        assert any(p["PolicyName"] == name for p in managed.catalog().values())
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    run(store, lambda m: m.create_role("fn", TRUST))
    pol(store, lambda x: x.attach("role", "fn", arn))
    pol(store, lambda x: x.attach("role", "fn", arn))  # idempotent
    p = pol(store, lambda x: x.get_policy(arn))
    assert p["AttachmentCount"] == 1 and p["PolicyId"].startswith("ANPA")
    assert p["PolicyId"] == pol(store, lambda x: x.get_policy(arn), account="210987654321")["PolicyId"]
    assert pol(store, lambda x: x.get_policy(arn), account="210987654321")["AttachmentCount"] == 0
    doc = json.loads(pol(store, lambda x: x.get_policy_version(arn, "v1"))["Document"])
    assert "logs:PutLogEvents" in doc["Statement"][0]["Action"]
    attached = [a for _, a in pol(store, lambda x: x.attached("role", "fn", None))]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": arn}]
    with raises("UnmodifiableEntity"):
        pol(store, lambda x: x.create_policy_version(arn, POLICY, True))
    with raises("NoSuchEntity", match="does not exist or is not attachable"):
        pol(store, lambda x: x.attach("role", "fn", "arn:aws:iam::aws:policy/NoSuchPolicy"))
    with raises("InvalidInput", match="is not valid"):
        pol(store, lambda x: x.attach("role", "fn", "not-an-arn"))
    only = pol(store, lambda x: x.list_policies("AWS", True, None, None))
    assert [d["Arn"] for _, d in only] == [arn]


def test_attach_quota_and_detach_missing(store):
    run(store, lambda m: m.create_user("u"))
    arns = list(managed.catalog())[:11]
    for arn in arns[:10]:
        pol(store, lambda x, a=arn: x.attach("user", "u", a))
    with raises("LimitExceeded", match="PoliciesPerUser: 10"):
        pol(store, lambda x: x.attach("user", "u", arns[10]))
    with raises("NoSuchEntity", match="was not found"):
        pol(store, lambda x: x.detach("user", "u", arns[10]))


def test_attached_local_policy_cannot_be_deleted(store):
    arn = pol(store, lambda x: x.create_policy("P", POLICY))["Arn"]
    run(store, lambda m: m.create_group("g"))
    pol(store, lambda x: x.attach("group", "g", arn))
    with raises("DeleteConflict", match="Cannot delete a policy attached to entities."):
        pol(store, lambda x: x.delete_policy(arn))
    with raises("DeleteConflict", match="must detach all policies first"):
        run(store, lambda m: m.delete_group("g"))
    pol(store, lambda x: x.detach("group", "g", arn))
    pol(store, lambda x: x.delete_policy(arn))


def test_inline_policies_sizes_and_errors(store):
    run(store, lambda m: m.create_user("u"))
    pol(store, lambda x: x.put_inline("user", "u", "b", POLICY))
    pol(store, lambda x: x.put_inline("user", "u", "a", POLICY))
    assert [n for _, n in pol(store, lambda x: x.list_inline("user", "u"))] == ["a", "b"]
    assert pol(store, lambda x: x.get_inline("user", "u", "a"))[1] == POLICY
    with raises("NoSuchEntity", match="The user policy with name zz cannot be found."):
        pol(store, lambda x: x.get_inline("user", "u", "zz"))
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:Get{i:04d}" for i in range(150)], "Resource": "*"}]})
    with raises("LimitExceeded", match="Maximum policy size of 2048 bytes exceeded for user u"):
        pol(store, lambda x: x.put_inline("user", "u", "c", big))


@pytest.mark.parametrize(
    "statement, message",
    [
        ({"Effect": "Allow", "Action": "GetObject", "Resource": "*"},
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ({"Effect": "Allow", "Action": "ec2:*", "Resource": "vpc-123"}, 'Resource vpc-123 must be in ARN format or "*".'),
        ({"Effect": "allow", "Action": "s3:*", "Resource": "*"}, "The policy failed legacy parsing"),
        ({"Effect": "Perhaps", "Action": "s3:*", "Resource": "*"}, "Syntax errors in policy."),
    ],
)
def test_identity_policy_statements_are_checked(store, statement, message):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    with raises("MalformedPolicyDocument") as err:
        pol(store, lambda x: x.create_policy("P", doc))
    assert err.value.message == message


def test_duplicate_sids_are_rejected(store):
    st = {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [st, st]})
    with raises("MalformedPolicyDocument", match="must be unique"):
        pol(store, lambda x: x.create_policy("P", doc))


@pytest.mark.parametrize(
    "statement, message",
    [
        ({"Effect": "Allow", "Action": "sts:AssumeRole"}, "Missing required field Principal"),
        ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "s3:GetObject"},
         "AssumeRole policy may only specify STS AssumeRole actions."),
    ],
)
def test_trust_policy_statements_are_checked(store, statement, message):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    with raises("MalformedPolicyDocument") as err:
        run(store, lambda m: m.create_role("r", doc))
    assert err.value.message == message


def test_rename_group_carries_members_and_attachments(store):
    run(store, lambda m: m.create_user("u"))
    run(store, lambda m: m.create_group("old"))
    run(store, lambda m: m.add_user_to_group("old", "u"))
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    pol(store, lambda p: p.attach("group", "old", arn))
    run(store, lambda m: m.update_group("old", "New", "/g/"))
    group = run(store, lambda m: m.get_group("new"))
    assert group["Arn"] == f"arn:aws:iam::{ACCT}:group/g/New"
    assert [u["UserName"] for _, u in run(store, lambda m: m.group_members("New"))] == ["u"]
    assert [g["GroupName"] for _, g in run(store, lambda m: m.groups_for_user("u"))] == ["New"]
    ents = pol(store, lambda p: p.entities_for_policy(arn, "Group", None))
    assert [e["GroupName"] for _, (_, e) in ents] == ["New"]
    run(store, lambda m: m.create_group("other"))
    with raises("EntityAlreadyExists"):
        run(store, lambda m: m.update_group("other", "NEW", None))
