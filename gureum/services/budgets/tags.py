"""Tags on budgets and budget actions (ResourceTags at creation, TagResource, UntagResource,
ListTagsForResource): kept in the budget's or action's own doc as [{Key, Value}], in the
order first given. A resource is named by its ARN: arn:aws:budgets::<account>:budget/<name>
or .../budget/<name>/action/<action id>. At most MAX_TAGS per resource; keys beginning
"aws:" are AWS's (only the system tags an internal caller applies pass)."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws import tags as kit
from gureum.aws.errors import AwsError

MAX_TAGS = 200  # ResourceTagList's documented maximum


RULES = kit.Rules(invalid=lambda m: AwsError.modeled("budgets", "InvalidParameterException", m), max_tags=MAX_TAGS,
                  too_many=lambda m: AwsError.modeled("budgets", "ServiceQuotaExceededException", m),
                  too_many_message="A budget resource can have at most {max} tags.")


def checked(existing: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`existing` with `given` set over it (a key given again takes its new value), by the tag
    kit's rules (gureum/aws/tags.py): `aws:` keys only as the system tags an internal caller
    such as CloudFormation applies, which do not count toward MAX_TAGS."""
    add = kit.check([(t.get("Key"), t.get("Value", "")) for t in given], RULES)
    out = kit.apply({t["Key"]: t["Value"] for t in existing}, add, (), RULES)
    return [{"Key": k, "Value": v} for k, v in out.items()]


def without(existing: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    return [t for t in existing if t["Key"] not in set(keys)]


def parse_arn(caller: str, text: str) -> tuple[str, str | None]:
    """(budget name, action id or None) of a budgets resource ARN of the caller's account;
    InvalidParameterException when it is not one, AccessDeniedException for another account's."""
    parsed = arns.try_parse(text)
    if parsed is None or parsed.service != "budgets" or parsed.resource_type != "budget" or not parsed.resource_id:
        raise AwsError.modeled("budgets", "InvalidParameterException", f"The resource ARN {text} is not a budget or budget action ARN.")
    if parsed.account != caller:
        raise AwsError.modeled("budgets", "AccessDeniedException", f"The resource {text} is not of the caller's account ({caller}).")
    rest = parsed.resource_id
    if "/action/" in rest:
        name, action_id = rest.split("/action/", 1)
        return name, action_id
    return rest, None
