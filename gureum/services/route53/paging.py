"""Route 53's page-size and numeric-marker parameters, parsed once at the edge.

Route 53's models type `MaxItems`/`MaxResults` and some markers as strings; a value that is
not a positive integer is the client's fault (400 InvalidInput with AWS's validation text),
never a ValueError (500). Every list handler of the package reads them through here.
"""

from __future__ import annotations

from gureum.aws.errors import AwsError


def _field(member: str) -> str:
    return member[:1].lower() + member[1:]


def count(params: dict, member: str = "MaxItems", default: int = 100, cap: int | None = None) -> int:
    """A page size (`MaxItems` or `MaxResults`): default when absent, at most `cap`."""
    raw = params.get(member)
    if raw is None or raw == "":
        return default
    n = number(raw, member)
    if n < 1:
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            f"1 validation error detected: Value '{raw}' at '{_field(member)}' failed to satisfy constraint: Member must have value greater than or equal to 1",
        )
    return min(n, cap) if cap else n


def number(raw: object, member: str) -> int:
    """A parameter the model types as a string but AWS reads as an integer."""
    text = str(raw).strip()
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            f"1 validation error detected: Value '{raw}' at '{_field(member)}' failed to satisfy constraint: Member must be a number",
        )
    return int(text)


def start(params: dict, code: str = "InvalidInput") -> int:
    """Where a page starts: a `NextToken` this package handed out (an offset), 0 without
    one; anything else is the error `code` (InvalidPaginationToken or InvalidInput, per operation)."""
    raw = params.get("NextToken")
    if raw is None or raw == "":
        return 0
    text = str(raw)
    if not (text.isascii() and text.isdigit()):
        raise AwsError.modeled(
            "route53", code, "The value that you specified for NextToken in a List request isn't valid."
        )
    return int(text)
