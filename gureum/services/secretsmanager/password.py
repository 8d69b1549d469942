"""GetRandomPassword as AWS generates it (pure): characters from the included classes minus
ExcludeCharacters, drawn with `secrets`; RequireEachIncludedType puts at least one of each
included class in the password (then shuffled)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from gureum.aws.errors import AwsError

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def generate(p: dict[str, Any]) -> str:
    length = int(p.get("PasswordLength") or 32)
    if not 1 <= length <= 4096:
        raise AwsError.modeled("secretsmanager", "InvalidParameterException", "PasswordLength must be between 1 and 4096.")
    excluded = set(p.get("ExcludeCharacters") or "")
    classes: list[str] = []
    for flag, members in (("ExcludeLowercase", string.ascii_lowercase), ("ExcludeUppercase", string.ascii_uppercase),
                        ("ExcludeNumbers", string.digits), ("ExcludePunctuation", PUNCTUATION)):
        if not p.get(flag):
            classes.append("".join(c for c in members if c not in excluded))
    if p.get("IncludeSpace") and " " not in excluded:
        classes.append(" ")
    classes = [c for c in classes if c]
    pool = "".join(classes)
    if not pool:
        raise AwsError.modeled("secretsmanager", "InvalidParameterException",
                               "The password cannot be generated: every character type is excluded.")
    require = p.get("RequireEachIncludedType", True)
    if require and len(classes) > length:
        raise AwsError.modeled("secretsmanager", "InvalidParameterException",
                               "The password length is too short to include each included character type.")
    chars: list[str] = [secrets.choice(c) for c in classes] if require else []
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
