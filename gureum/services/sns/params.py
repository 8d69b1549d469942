"""SNS's checks of ARN parameters, in AWS's words, before any lookup.

AWS reads an ARN parameter in two steps: fewer than six ':'-separated elements is
"Invalid parameter: <Param> Reason: An ARN must have at least 6 elements, not <n>" (an empty
value is one element); six or more that do not name an SNS resource of the request's region
is "Invalid parameter: <Param>" (a topic in another region included); a subscription ARN
without a subscription id is "Invalid parameter: SubscriptionId". Publishing to a platform
endpoint that does not exist (gureum keeps none) is "Invalid parameter: TargetArn Reason: No
endpoint found for the target arn specified". All are 400 InvalidParameter, Sender.
"""

from __future__ import annotations

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError

_ELEMENTS = 6


def invalid(reason: str) -> AwsError:
    """SNS's InvalidParameter: "Invalid parameter: <reason>"."""
    return AwsError.modeled("sns", "InvalidParameter", f"Invalid parameter: {reason}")


def _elements(param: str, value: str) -> arns.Arn | None:
    n = len(value.split(":"))
    if n < _ELEMENTS:
        raise invalid(f"{param} Reason: An ARN must have at least {_ELEMENTS} elements, not {n}")
    return arns.try_parse(value)


def topic(value: str, region: str | None, param: str = "TopicArn") -> tuple[str, str, str]:
    """(account, region, name) of a topic ARN parameter; `region` None accepts any region."""
    a = _elements(param, value)
    if a is None or a.service != "sns" or not a.resource or ":" in a.resource \
            or (region is not None and a.region != region):
        raise invalid(param)
    return a.account, a.region, a.resource


def subscription(value: str, region: str | None, param: str = "SubscriptionArn") -> tuple[str, str, str, str]:
    """(account, region, topic name, subscription id) of a subscription ARN parameter."""
    a = _elements(param, value)
    if a is None or a.service != "sns" or (region is not None and a.region != region):
        raise invalid(param)
    topic_name, sep, sub_id = a.resource.partition(":")
    if not sep or not sub_id or ":" in sub_id or not topic_name:
        raise invalid("SubscriptionId")
    return a.account, a.region, topic_name, sub_id


def is_platform_endpoint(value: str, param: str = "TargetArn") -> bool:
    """Is a TargetArn a mobile platform endpoint (`...:endpoint/<platform>/<app>/<id>`)?"""
    a = _elements(param, value)
    return a is not None and a.service == "sns" and a.resource.startswith("endpoint/")


def no_endpoint() -> AwsError:
    return invalid("TargetArn Reason: No endpoint found for the target arn specified")
