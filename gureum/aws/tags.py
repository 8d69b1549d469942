"""One tagging for every service: AWS's tag rules, each service's own errors, its own storage.

The rules (AWS's "Tagging your AWS resources", and each service's API reference):
- at most `max_tags` (50) tags per resource, counted after the change is applied;
- a key has 1-128 characters, a value 0-256;
- keys and values use letters, numbers and spaces (any script) and `_ . : / = + - @`;
- keys (and values, for services that say so) beginning with `aws:` are reserved for AWS;
- a key repeated inside one request is refused; IAM compares keys case-insensitively.

The kit owns the rules (`Rules`, `check`, `apply`); a service supplies where its tags live, as
a `Place` whose `read(txn)` and `write(txn, tags)` load and store a plain `{key: value}` dict
in whatever layout the service has always stored (a dict field, a list of `{"Key","Value"}`
or `{"key","value"}`, a separate table row). The layout converters (`from_pairs`,
`to_pairs`) keep existing data readable. `tag`, `untag` and `list_tags` run inside the
caller's transaction.

System tags: the `aws:` tags AWS itself puts on resources (CloudFormation's
`aws:cloudformation:stack-name`, `stack-id`, `logical-id`) come only through `system_tags(...)`,
an in-process scope an internal caller opens around its call (a context variable: requests
from clients never set it; the store runs transactions in their caller's context). Inside it
exactly those keys with exactly those values pass the reserved-prefix rule and do not count
toward `max_tags`; a user can neither set such a key (the reserved rule, the service's own
error) nor remove one the resource carries (`untag` refuses it the same way).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from gureum.aws.errors import AwsError
from gureum.store.base import Txn

MAX_TAGS = 50
KEY_MAX = 128
VALUE_MAX = 256
RESERVED_PREFIX = "aws:"
_PUNCTUATION = frozenset("_.:/=+-@")
_SYSTEM: ContextVar[Mapping[str, str] | None] = ContextVar("gureum_system_tags", default=None)


@contextmanager
def system_tags(tags: Mapping[str, str]) -> Iterator[None]:
    """Within this scope, `tags` (reserved `aws:` keys AWS applies itself) pass the reserved
    rule with exactly these values: the internal caller's explicit path (see the docstring)."""
    token = _SYSTEM.set(dict(tags))
    try:
        yield
    finally:
        _SYSTEM.reset(token)


def _system(key: str, value: str | None = None) -> bool:
    """True for a system tag the running internal call may set (`value` None: any value)."""
    allowed_here = _SYSTEM.get() or {}
    return key in allowed_here and (value is None or allowed_here[key] == value)


def is_reserved(key: str, rules: Rules) -> bool:
    return bool(rules.reserved_prefix) and key.lower().startswith(str(rules.reserved_prefix))


def allowed(text: str) -> bool:
    """True when `text` uses only AWS's tag characters: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*."""
    for ch in text:
        if ch in _PUNCTUATION:
            continue
        if unicodedata.category(ch)[0] not in "LZN":
            return False
    return True


def _invalid(message: str) -> AwsError:
    return AwsError.common("ValidationException", message)


@dataclass(frozen=True)
class Rules:
    """A service's tag limits and the AWS error each violation gets.

    `invalid(message)` builds the error for a bad key or value (a service's
    InvalidParameterValueException / InvalidParameterException / InvalidTagParameterException
    / InvalidParameter / InvalidInput ...); `too_many(message)` the one for more than
    `max_tags` tags (TooManyTagsException, TagLimitExceeded, LimitExceeded, or the same as
    `invalid`). `check_reserved_values` also refuses values that begin with `aws:`."""

    invalid: Callable[[str], AwsError] = _invalid
    too_many: Callable[[str], AwsError] | None = None
    max_tags: int = MAX_TAGS
    key_max: int = KEY_MAX
    value_max: int = VALUE_MAX
    reserved_prefix: str | None = RESERVED_PREFIX
    check_reserved_values: bool = False
    check_characters: bool = True
    case_insensitive: bool = False
    duplicate: Callable[[str], AwsError] | None = None
    too_many_message: str = "The number of tags for the resource exceeds the limit of {max}."
    # a service's own wording, keyed "key_length", "value_length", "characters", "reserved"
    messages: tuple[tuple[str, str], ...] = ()

    def say(self, what: str, default: str) -> str:
        return dict(self.messages).get(what, default)

    def over_limit(self) -> AwsError:
        make = self.too_many or self.invalid
        return make(self.too_many_message.format(max=self.max_tags))


def check_key(key: str, rules: Rules) -> None:
    """Refuse a tag key that breaks the rules (used by tag and by untag)."""
    if not 1 <= len(key) <= rules.key_max:
        raise rules.invalid(rules.say("key_length", f"Tag keys must be between 1 and {rules.key_max} characters in length."))
    if rules.check_characters and not allowed(key):
        raise rules.invalid(rules.say("characters", "Tag keys may contain only Unicode letters, digits, white space, and the characters _ . : / = + - @."))
    if is_reserved(key, rules) and not _system(key):
        raise rules.invalid(rules.say("reserved", f"Tag keys beginning with '{rules.reserved_prefix}' are reserved for AWS use."))


def check_value(value: str, rules: Rules) -> None:
    if len(value) > rules.value_max:
        raise rules.invalid(rules.say("value_length", f"Tag values must be between 0 and {rules.value_max} characters in length."))
    if rules.check_characters and not allowed(value):
        raise rules.invalid(rules.say("characters", "Tag values may contain only Unicode letters, digits, white space, and the characters _ . : / = + - @."))
    if rules.check_reserved_values and rules.reserved_prefix and value.lower().startswith(rules.reserved_prefix):
        raise rules.invalid(rules.say("reserved", f"Tag values beginning with '{rules.reserved_prefix}' are reserved for AWS use."))


def check(add: Mapping[str, str] | Iterable[tuple[str | None, str]], rules: Rules) -> dict[str, str]:
    """The new tags of one request as a dict, each key and value checked; a key given twice
    (case-insensitively where the service says so) is refused."""
    pairs = list(add.items()) if isinstance(add, Mapping) else list(add)
    out: dict[str, str] = {}
    seen: set[str] = set()
    for k, v in pairs:
        if not isinstance(k, str):
            raise rules.invalid(rules.say("key_null", "Tag keys must not be null."))
        check_key(k, rules)
        v = v if isinstance(v, str) else ""
        if is_reserved(k, rules) and not _system(k, v):
            raise rules.invalid(rules.say("reserved", f"Tag keys beginning with '{rules.reserved_prefix}' are reserved for AWS use."))
        check_value(v, rules)
        folded = k.lower() if rules.case_insensitive else k
        if folded in seen and rules.duplicate is not None:
            raise rules.duplicate(k)
        seen.add(folded)
        out[k] = v
    return out


def apply(current: Mapping[str, str], add: Mapping[str, str], remove: Iterable[str], rules: Rules) -> dict[str, str]:
    """`current` with `remove` taken out and `add` put in (an added key replaces the tag with
    the same key, case-insensitively where the service says so); at most `max_tags`."""
    fold: Callable[[str], str] = str.lower if rules.case_insensitive else (lambda k: k)
    gone = {fold(k) for k in remove} | {fold(k) for k in add}
    out = {k: v for k, v in current.items() if fold(k) not in gone}
    out.update(add)
    if sum(1 for k in out if not is_reserved(k, rules)) > rules.max_tags:  # AWS's own tags do not count
        raise rules.over_limit()
    return out


class Place(Protocol):
    """Where one resource's tags live: the service's existing layout, read and written as a
    dict. `read` raises the service's not-found error when the resource does not exist."""

    def read(self, txn: Txn) -> dict[str, str]: ...

    def write(self, txn: Txn, tags: dict[str, str]) -> None: ...


def tag(txn: Txn, place: Place, add: Mapping[str, str] | Iterable[tuple[str, str]], rules: Rules) -> dict[str, str]:
    """Add or replace tags on the resource at `place`; returns its tags after the change."""
    new = check(add, rules)
    tags = apply(place.read(txn), new, (), rules)
    place.write(txn, tags)
    return tags


def untag(txn: Txn, place: Place, keys: Iterable[str], rules: Rules, *, check_keys: bool = False) -> dict[str, str]:
    """Remove tags by key (absent keys are no error, as in AWS); returns the tags left.
    `check_keys` also refuses keys that break the key rules (services that say so)."""
    keys = list(keys)
    if check_keys:
        for k in keys:
            check_key(k, rules)
    current = place.read(txn)
    refuse_system_removal(current, keys, rules)
    tags = apply(current, {}, keys, rules)
    place.write(txn, tags)
    return tags


def refuse_system_removal(current: Mapping[str, str], keys: Iterable[str], rules: Rules) -> None:
    """Refuse removing a reserved (`aws:`) tag the resource carries, as setting one is refused
    (for services whose untag does not go through `untag`); system_tags scope excepted."""
    for k in keys:
        if k in current and is_reserved(k, rules):
            check_key(k, rules)


def list_tags(txn: Txn, place: Place) -> dict[str, str]:
    return dict(place.read(txn))


# --- layouts services store tags in ---------------------------------------------------------
def from_pairs(items: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """A list of {"Key": k, "Value": v} (or the given member names) as a dict."""
    out: dict[str, str] = {}
    for x in items or []:
        k = x.get(key)
        if not isinstance(k, str):  # the models leave a tag's key optional
            raise _invalid("Tag keys must not be null.")
        out[k] = x.get(value, "") or ""
    return out


def to_pairs(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """A dict as a list of {"Key": k, "Value": v} (or the given member names), in order."""
    return [{key: k, value: v} for k, v in tags.items()]
