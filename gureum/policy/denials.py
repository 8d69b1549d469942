"""Each service's refusal: the AccessDenied error AWS answers with when IAM says no.

Table (service -> code, HTTP status, query-protocol code for json services that AWS also
serves over query): IAM/STS/Route 53 `AccessDenied` 403; SNS `AuthorizationError` 403;
SQS `AccessDenied` (json: `AccessDeniedException` with x-amzn-query-error AccessDenied) 403;
S3 `AccessDenied` 403 with the message "Access Denied"; Lambda `AccessDeniedException` 403;
ECR, ECS, CloudWatch Logs, Cloud Map `AccessDeniedException` 400.

Messages follow AWS's current wording: "User: <principal> is not authorized to perform:
<action> on resource: <resource> because no identity-based policy allows the <action>
action" (or "... with an explicit deny in a resource-based policy", ...); STS's refusals of
AssumeRole* name no reason.
"""

from __future__ import annotations

from gureum.aws.errors import AwsError

# service -> (code, status, query code or None)
SHAPES: dict[str, tuple[str, int, str | None]] = {
    "iam": ("AccessDenied", 403, None),
    "sts": ("AccessDenied", 403, None),
    "route53": ("AccessDenied", 403, None),
    "sns": ("AuthorizationError", 403, None),
    "sqs": ("AccessDenied", 403, None),
    "s3": ("AccessDenied", 403, None),
    "lambda": ("AccessDeniedException", 403, None),
    "ecr": ("AccessDeniedException", 400, None),
    "ecs": ("AccessDeniedException", 400, None),
    "logs": ("AccessDeniedException", 400, None),
    "servicediscovery": ("AccessDeniedException", 400, None),
}

# Why a request was refused -> the tail AWS puts on the message.
REASONS = {
    "identity": "because no identity-based policy allows the {action} action",
    "resource": "because no resource-based policy allows the {action} action",
    "boundary": "because no permissions boundary allows the {action} action",
    "session": "because no session policy allows the {action} action",
    "identity-deny": "with an explicit deny in an identity-based policy",
    "resource-deny": "with an explicit deny in a resource-based policy",
    "boundary-deny": "with an explicit deny in a permissions boundary",
    "session-deny": "with an explicit deny in a session policy",
}


def message(principal_arn: str, action: str, resource: str, reason: str) -> str:
    tail = REASONS.get(reason, "").format(action=action)
    text = f"User: {principal_arn} is not authorized to perform: {action}"
    if resource != "*":  # AWS names no resource for actions that take none (List*, Create*)
        text += f" on resource: {resource}"
    return f"{text} {tail}" if tail else text


def access_denied(service: str, principal_arn: str, action: str, resource: str, reason: str) -> AwsError:
    """The error `service` answers a refused request with."""
    code, status, query_code = SHAPES.get(service, ("AccessDenied", 403, None))
    if service == "s3":
        return AwsError(code, "Access Denied", status)
    shown = action
    if service == "sns":  # SNS spells its prefix in capitals in these messages
        shown = "SNS:" + action.split(":", 1)[1]
    # STS names no reason: "User: … is not authorized to perform: sts:AssumeRole on resource: …"
    text = message(principal_arn, shown, resource, "" if service == "sts" else reason)
    if query_code is not None:
        return AwsError(code, text, status, QueryCode=query_code)
    return AwsError(code, text, status)
