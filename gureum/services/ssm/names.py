"""SSM parameter names, selectors, labels and values as AWS checks them (pure functions):
a name is 1-1011 characters of a-zA-Z0-9_.-/ (a full ARN up to 2048), at most 15 levels
deep, never "aws"/"ssm"-prefixed; `name:version` and `name:label` selectors; label rules
(invalid labels are reported, not raised); value sizes per tier; AllowedPattern; DataType."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError

NAME_MAX = 1011
DEPTH_MAX = 15
STANDARD_MAX = 4096
ADVANCED_MAX = 8192
_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_LABEL = re.compile(r"^[a-zA-Z0-9_.\-]{1,100}$")
_AMI = re.compile(r"^ami-[0-9a-f]{8,17}$")
_ADV_URL = "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"


def invalid(message: str) -> AwsError:
    return AwsError.common("ValidationException", message)


def plain_name(ref: str) -> str:
    """The parameter name of `ref` (a name or a parameter ARN)."""
    if arns.looks_like_arn(ref):
        a = arns.try_parse(ref)
        if a is None or a.service != "ssm" or not a.resource.startswith("parameter/"):
            raise invalid(f"Parameter ARN {ref} is not valid.")
        rest = a.resource[len("parameter"):]
        return rest if rest.count("/") > 1 else rest[1:]
    return ref


def check_name(name: str, *, writing: bool) -> None:
    """AWS's name rules (PutParameter: also the reserved prefixes)."""
    if not name or len(name) > NAME_MAX or not _NAME.match(name) or ("/" in name and not name.startswith("/")):
        raise invalid("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a "
                      "path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix "
                      "of letters, numbers and the following 3 symbols .-_")
    if name.count("/") > DEPTH_MAX:
        raise AwsError.modeled("ssm", "HierarchyLevelLimitExceededException",
                               "A hierarchy can have a maximum of 15 levels. For more information, see "
                               "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html")
    if writing and name.lstrip("/").lower().startswith(("aws", "ssm")):
        raise AwsError.common("AccessDeniedException", f"No access to reserved parameter name: {name}.")


@dataclass(frozen=True)
class Selector:
    name: str
    version: int | None = None
    label: str | None = None
    text: str | None = None  # ":3" / ":prod" as given


def parse_selector(ref: str) -> Selector:
    """`name`, `name:version` or `name:label` (also after an ARN)."""
    base = ref
    sel: str | None = None
    if arns.looks_like_arn(ref):
        parts = ref.split(":")
        if len(parts) > 6:
            base, sel = ":".join(parts[:6]), ":".join(parts[6:])
    elif ":" in ref:
        base, sel = ref.split(":", 1)
    name = plain_name(base)
    if sel is None:
        return Selector(name)
    if ":" in sel or not sel:
        raise invalid(f"Invalid parameter name. Please ensure that the parameter name is valid: {ref}")
    if sel.isdigit():
        return Selector(name, version=int(sel), text=":" + sel)
    return Selector(name, label=sel, text=":" + sel)


def label_ok(label: str) -> bool:
    """AWS refuses (reports in InvalidLabels) labels over 100 characters, of other
    characters, beginning with a digit, or with "aws"/"ssm"."""
    return bool(_LABEL.match(label)) and not label[0].isdigit() and not label.lower().startswith(("aws", "ssm"))


def check_value(value: str, tier: str, kind: str, data_type: str, pattern: str | None) -> None:
    limit = ADVANCED_MAX if tier == "Advanced" else STANDARD_MAX
    if len(value) > limit:
        if tier == "Advanced":
            raise invalid(f"Advanced tier parameters support a maximum parameter value of {ADVANCED_MAX} characters.")
        raise invalid(f"Standard tier parameters support a maximum parameter value of {STANDARD_MAX} characters. To "
                      "create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For "
                      f"more information, see {_ADV_URL}")
    if data_type == "aws:ec2:image":
        if kind != "String":
            raise invalid("The aws:ec2:image data type is only valid for parameters of type String.")
        if not _AMI.match(value):
            raise invalid(f"Parameter value {value} isn't a valid Amazon Machine Image (AMI) ID. The format must be "
                          "ami-12345abcdeEXAMPLE.")
    if pattern is not None:
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise AwsError.modeled("ssm", "InvalidAllowedPatternException",
                                   f"The allowed pattern {pattern} is not valid: {e}") from None
        items = value.split(",") if kind == "StringList" else [value]
        if not all(rx.fullmatch(v) for v in items):
            raise AwsError.modeled("ssm", "ParameterPatternMismatchException",
                                   f"Parameter value, cannot be validated against allowedPattern: {pattern}")
