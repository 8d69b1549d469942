"""Domain names as Route 53 spells them: parsed from API input (trailing dot optional,
`\\ddd` octal escapes, case folded), written back with AWS's escapes, ordered as
ListResourceRecordSets orders them."""

from __future__ import annotations

import dns.name

# Characters Route 53 returns unescaped in names; everything else becomes \ooo (octal).
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


class BadName(ValueError):
    """A name Route 53 would reject (the message is what goes into the error)."""


def _unescape_label(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            digits = text[i + 1 : i + 4]
            if len(digits) == 3 and all(c in "01234567" for c in digits) and digits[0] in "0123":
                out.append(int(digits, 8))
                i += 4
                continue
            if i + 1 < len(text):
                out += text[i + 1].encode("latin-1", "replace")
                i += 2
                continue
            raise BadName("trailing backslash")
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


def _split(text: str) -> list[str]:
    labels, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c == ".":
            labels.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    labels.append("".join(cur))
    return labels


def parse(text: str) -> tuple[bytes, ...]:
    """API text -> labels as lowercase bytes, root excluded. Raises BadName."""
    if text in ("", "."):
        return ()
    if text.endswith(".") and not text.endswith("\\."):
        text = text[:-1]
    if "\\" not in text and text.isascii():  # the common spelling: no escapes to undo
        plain = tuple(text.encode().lower().split(b"."))
        if b"" in plain:
            raise BadName("empty label")
        if len(text) > 63 and max(map(len, plain)) > 63:  # (only a name that long can hold such a label)
            raise BadName("label too long")
        if len(text) + 2 > 255:
            raise BadName("name too long")
        return plain
    labels = []
    for raw in _split(text):
        if raw == "":
            raise BadName("empty label")
        label = _unescape_label(raw).lower()
        if len(label) > 63:
            raise BadName("label too long")
        labels.append(label)
    if sum(len(label) + 1 for label in labels) + 1 > 255:
        raise BadName("name too long")
    return tuple(labels)


def to_text(labels: tuple[bytes, ...]) -> str:
    """Labels -> Route 53's spelling: lowercase, trailing dot, \\ooo escapes (so `*` is \\052)."""
    if not labels:
        return "."
    parts = []
    for label in labels:
        parts.append("".join(chr(b) if b in _PLAIN else f"\\{b:03o}" for b in label))
    return ".".join(parts) + "."


def normalize(text: str) -> str:
    return to_text(parse(text))


def to_dns(labels: tuple[bytes, ...]) -> dns.name.Name:
    return dns.name.Name(labels + (b"",))


def from_dns(name: dns.name.Name) -> tuple[bytes, ...]:
    return tuple(label.lower() for label in name.labels if label)


def is_subdomain(labels: tuple[bytes, ...], of: tuple[bytes, ...]) -> bool:
    return len(labels) >= len(of) and labels[len(labels) - len(of) :] == of


def sort_key(labels: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Route 53's order: labels compared from the right (the apex before its children)."""
    return tuple(reversed(labels))
