"""Input checked against the model before a handler runs: required members, types, enums,
lengths, ranges and patterns, reported in AWS's words
("1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: ...").

Cheap checks come first: a string's length is checked before its pattern, so an over-long
value never reaches a regex; a string longer than PATTERN_MAX_CHARS whose model sets a pattern
but no maximum is refused without running the regex (Python's `re` holds the GIL: a 127 MiB
value took 4.5 s, blocking the event loop even from a worker thread; no identifier or ARN a
pattern describes comes near the limit). Patterns `re` cannot read (Java's `\\p{L}` classes)
are read by the `regex` package. Echoed values are clipped (errors.clip) and the message is built
only for values that fail. VALIDATION_CODES holds each service's own code for a constraint
violation, from the packages' manifests (AWS's API references: IAM/STS/ELBv2 `ValidationError`,
SNS `InvalidParameter`, SQS `InvalidParameterValue`, Route 53 and Cloud Map `InvalidInput`,
ECR/ECS/Logs `InvalidParameterException`; services not listed answer `ValidationException`,
which is what Lambda, DynamoDB, Kinesis and the Coral-fronted services send)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Protocol

import regex

from gureum.aws.errors import AwsError, ValidationError, clip
from gureum.aws.specs import ServiceSpec, Shape
from gureum.services import registry

# The error code each service uses for a request that fails its model's constraints: each
# package declares its own in its manifest (gureum/services/manifest.py).
VALIDATION_CODES = registry.VALIDATION_CODES

# Enum shapes the service checks itself, in its own words (SQS accepts message system
# attribute names in ReceiveMessage's legacy AttributeNames, and answers unknown queue
# attributes with InvalidAttributeName).
LENIENT_ENUMS = {"QueueAttributeName", "MessageSystemAttributeName"}

_PATTERNS: dict[str, _Matcher | None] = {}
_MAX_REPORTED = 10
PATTERN_MAX_CHARS = 64 * 1024


class _Matcher(Protocol):
    def fullmatch(self, string: str) -> object | None: ...


# Java's predefined classes are ASCII (without UNICODE_CHARACTER_CLASS, which no AWS service
# sets), Python's are Unicode: each is spelled out as Java reads it, inside a class and out.
_JAVA_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0b\\f\\r"}
# Inside a class a negated one stays Python's, with what Java adds to it: `[\\S\\s]` is any
# character (ce's ids) only if \\S takes the non-ASCII spaces Java's ASCII \\s leaves out.
_UNICODE_ONLY_SPACES = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001))
                               if re.fullmatch(r"\s", c) and c not in " \t\n\x0b\f\r")
_JAVA_NEGATED_EXTRA = {"S": _UNICODE_ONLY_SPACES}


def java_ascii(text: str) -> str:
    """`text` with Java's ASCII meaning of `\\w`, `\\d`, `\\s` (and `\\W`, `\\D`, `\\S`; inside a
    class only `\\S` is widened, no served model has another) written out, so that Python reads the pattern as Java does: `[\\w+=,.@-]+` refuses
    'José' in every service, as IAM, STS and Logs do. The `\\p{...}` classes keep Unicode."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            e = text[i + 1]
            i += 2
            cls = _JAVA_CLASSES.get(e.lower())
            if cls is None or (depth and e.isupper()):
                out.append(c + e + (_JAVA_NEGATED_EXTRA.get(e, "") if depth else ""))
            elif depth:
                out.append(cls)
            else:
                out.append(("[^" if e.isupper() else "[") + cls + "]")
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


def _pattern(text: str) -> _Matcher | None:
    """The model's (Java) pattern compiled, `\\w` and its kin ASCII as in Java (java_ascii): by
    `re`, else by `regex`, which reads what `re` cannot (the Unicode classes of every tag key
    and value pattern, `[\\p{L}\\p{Z}\\p{N}...]`, and Route 53's `\\p{ASCII}`); None for a pattern
    neither reads (not checked)."""
    if text not in _PATTERNS:
        java = java_ascii(text)
        try:
            _PATTERNS[text] = re.compile(java)
        except re.error:
            try:
                _PATTERNS[text] = regex.compile(java)
            except regex.error:
                _PATTERNS[text] = None
    return _PATTERNS[text]


def invalid_characters(spec: ServiceSpec | None) -> ValidationError:
    """The answer to a value that names something but holds a character no name can (NUL):
    found when the value reaches the store as part of a key."""
    code = VALIDATION_CODES.get(spec.name, "ValidationException") if spec is not None else "ValidationException"
    return ValidationError(code, "1 validation error detected: a name or identifier in the request contains"
                           " a character that is not allowed (NUL).", 400)


def validate(spec: ServiceSpec, shape: Shape | None, params: dict[str, Any]) -> None:
    if shape is None:
        return
    problems: list[str] = []
    _check_struct(shape, params, "", problems)
    if problems:
        n = len(problems)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        raise _refusal(spec, head + "; ".join(problems[:_MAX_REPORTED]))


def _refusal(spec: ServiceSpec, message: str) -> ValidationError:
    """The service's validation error as its model declares it, with the wire facts that go
    with the code (SQS's InvalidParameterValue is `__type` InvalidParameterValueException on the
    json wire, its query code in x-amzn-query-error)."""
    code = VALIDATION_CODES.get(spec.name, "ValidationException")
    err = AwsError.modeled(spec.name, code, message)
    return ValidationError(err.code, message, err.status, sender_fault=err.sender_fault, **err.fields)


_TOP_PATHS: dict[str, str] = {}  # a top-level member's path, by member name (names come from the models)


def _path(prefix: str, name: str) -> str:
    """AWS's path to a member: each member name lower-camel-cased ('tags.6.member.value',
    'environment.variables')."""
    if not prefix:
        path = _TOP_PATHS.get(name)
        if path is None:
            path = _TOP_PATHS[name] = name[:1].lower() + name[1:]
        return path
    name = name[:1].lower() + name[1:]
    return f"{prefix}.{name}"


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "[blob]"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return clip("[" + ", ".join(str(v) for v in value) + "]")  # Java's List.toString
    if isinstance(value, (list, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    return clip(value)


def _bad(value: Any, where: str, sensitive: bool = False) -> str:
    """The head of one problem; a sensitive member's value is not echoed ("Value at 'x'")."""
    if sensitive:
        return f"Value at '{where}' failed to satisfy constraint: "
    return f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "


def _check_struct(shape: Shape, value: dict[str, Any], where: str, problems: list[str]) -> None:
    members = shape.members
    for req in shape.required:
        if value.get(req) is None and not members[req].is_streaming:
            problems.append(f"Value null at '{_path(where, req)}' failed to satisfy constraint: Member must not be null")
    for name, v in value.items():
        mshape = members.get(name)
        if mshape is None or v is None:
            continue
        _check(mshape, v, _path(where, name), problems)


def _check(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if shape.raw.get("document"):
        return
    t = shape.type
    raw = shape.raw
    if t == "structure":
        if not isinstance(value, dict):
            problems.append(_bad(value, where) + "Member must be a structure")
            return
        _check_struct(shape, value, where, problems)
        return
    if t == "list":
        if not isinstance(value, list):
            problems.append(_bad(value, where) + "Member must be a list")
            return
        _bounds(len(value), raw, value, where, problems, "have length")
        member = shape.member
        if member.type not in ("structure", "list", "map"):
            # a list of scalars is reported whole, as a map is: "Value '[foo]' at 'architectures' failed
            # to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value
            # set: [x86_64, arm64], Member must not be null]"
            if any(item is None or _scalar_fails(member, item) for item in value):
                secret = bool(member.raw.get("sensitive") or raw.get("sensitive"))
                rules = ", ".join(filter(None, (_constraints(member), "Member must not be null")))
                problems.append(_bad(value, where, secret) + f"Member must satisfy constraint: [{rules}]")
            return
        for i, item in enumerate(value):
            if item is not None:
                _check(member, item, f"{where}.{i + 1}.member", problems)
        return
    if t == "map":
        if not isinstance(value, dict):
            problems.append(_bad(value, where) + "Member must be a map")
            return
        _bounds(len(value), raw, value, where, problems, "have length")
        _check_map(shape, value, where, problems)
        return
    if t == "string":
        secret = bool(raw.get("sensitive"))
        if not isinstance(value, str):
            problems.append(_bad(value, where, secret) + "Member must be a string")
            return
        enum = raw.get("enum")
        if enum and value not in enum and shape.name not in LENIENT_ENUMS:
            problems.append(_bad(value, where, secret) + f"Member must satisfy enum value set: [{', '.join(enum)}]")
            return
        if _bounds(len(value), raw, value, where, problems, "have length", secret):
            return
        pat = raw.get("pattern")
        if pat:
            compiled = _pattern(pat)
            if compiled is not None and (len(value) > PATTERN_MAX_CHARS or compiled.fullmatch(value) is None):
                problems.append(_bad(value, where, secret) + f"Member must satisfy regular expression pattern: {pat}")
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(_bad(value, where) + "Member must be an integer")
            return
        _bounds(value, raw, value, where, problems, "have value")
        return
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(_bad(value, where) + "Member must be a number")
            return
        _bounds(value, raw, value, where, problems, "have value")
        return
    if t == "boolean":
        if not isinstance(value, bool):
            problems.append(_bad(value, where) + "Member must be a boolean")
        return
    if t == "blob":
        if not isinstance(value, (bytes, bytearray)) and not hasattr(value, "__aiter__"):
            problems.append(_bad(value, where) + "Member must be a blob")
            return
        if isinstance(value, (bytes, bytearray)):
            _bounds(len(value), raw, value, where, problems, "have length")
        return
    if t == "timestamp":
        if not isinstance(value, dt.datetime):
            problems.append(_bad(value, where) + "Member must be a timestamp")


def _check_map(shape: Shape, value: dict[str, Any], where: str, problems: list[str]) -> None:
    """A map's keys and scalar values as AWS reports them: one problem for the whole map,
    `Value '{k=v, ...}' at 'tags' failed to satisfy constraint: Map value must satisfy
    constraint: [every constraint of the value shape]` (and `Map keys must ...`); values that
    are structures or lists are walked member by member under `{map}.{key}.member`, AWS's path
    ('messageAttributes.attr1.member.dataType', DynamoDB's 'keyConditions.id.member....')."""
    kshape, vshape = shape.key, shape.value
    if any(_scalar_fails(kshape, k) for k in value):
        problems.append(_bad_map(shape, value, where) + f"Map keys must satisfy constraint: [{_constraints(kshape)}]")
    if vshape.type in ("structure", "list", "map"):
        for k, v in value.items():
            if v is not None:
                _check(vshape, v, f"{where}.{k}.member", problems)
    elif any(v is not None and _scalar_fails(vshape, v) for v in value.values()):
        problems.append(_bad_map(shape, value, where) + f"Map value must satisfy constraint: [{_constraints(vshape)}]")


def _scalar_fails(shape: Shape, value: Any) -> bool:
    found: list[str] = []
    _check(shape, value, "", found)
    return bool(found)


def _bad_map(shape: Shape, value: dict[str, Any], where: str) -> str:
    if any(s.raw.get("sensitive") for s in (shape, shape.key, shape.value)):
        return _bad(value, where, sensitive=True)
    shown = "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"  # Java's Map.toString
    return f"Value '{clip(shown)}' at '{where}' failed to satisfy constraint: "


def _constraints(shape: Shape) -> str:
    """Every constraint of a scalar shape, in AWS's order and words."""
    raw = shape.raw
    what = "have value" if shape.type in ("integer", "long", "float", "double") else "have length"
    out: list[str] = []
    if raw.get("enum"):
        out.append(f"Member must satisfy enum value set: [{', '.join(raw['enum'])}]")
    if raw.get("max") is not None:
        out.append(f"Member must {what} less than or equal to {_num(raw['max'])}")
    if raw.get("min") is not None:
        out.append(f"Member must {what} greater than or equal to {_num(raw['min'])}")
    if raw.get("pattern"):
        out.append(f"Member must satisfy regular expression pattern: {raw['pattern']}")
    return ", ".join(out)


def _bounds(n: float, raw: dict[str, Any], value: Any, where: str, problems: list[str], what: str,
            sensitive: bool = False) -> bool:
    lo = raw.get("min")
    hi = raw.get("max")
    if lo is not None and n < lo:
        problems.append(_bad(value, where, sensitive) + f"Member must {what} greater than or equal to {_num(lo)}")
        return True
    if hi is not None and n > hi:
        problems.append(_bad(value, where, sensitive) + f"Member must {what} less than or equal to {_num(hi)}")
        return True
    return False


def _num(x: float) -> str:
    return str(int(x)) if float(x) == int(x) else str(x)
