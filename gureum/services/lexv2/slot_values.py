"""Slot values: what a piece of user text means for a slot type (sans-IO, shared by Lex V2's
runtime and `gureum alexa ask`).

Types: a custom type (its values and synonyms, matched as whole phrases, case-insensitive;
resolution strategy OriginalValue keeps what the user said and accepts text outside the list
when the slot is being elicited, TopResolution answers the value itself and only values of
the list), AMAZON.Number (digits or English number words: "forty two" -> "42"),
AMAZON.Date ("today", "tomorrow", "yesterday", a weekday -> its next date, ISO
"2026-03-05", "3/5/2026", "march 5" / "5 march" -> this year's or next year's),
AMAZON.AlphaNumeric (one run of letters and digits), AMAZON.FreeFormInput and any other
built-in type (the text as said). A value is Lex V2's `Value`: {originalValue,
interpretedValue, resolvedValues}."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

Value = dict[str, Any]

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october november "
                                          "december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_WORD = re.compile(r"[a-z0-9][a-z0-9'.-]*")


@dataclass(frozen=True)
class SlotType:
    """A slot type as the runtime needs it: a built-in name, or custom values."""

    name: str
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (value, synonyms)
    strategy: str = "OriginalValue"  # OriginalValue | TopResolution
    builtin: bool = field(default=False)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _value(original: str, interpreted: str, resolved: list[str] | None = None) -> Value:
    return {"originalValue": original, "interpretedValue": interpreted,
            "resolvedValues": resolved if resolved is not None else [interpreted]}


def parse_number(text: str) -> int | float | None:
    t = text.strip().lower().replace(",", "")
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    if re.fullmatch(r"-?\d+\.\d+", t):
        return float(t)
    total, current, seen = 0, 0, False
    for w in t.replace("-", " ").split():
        if w == "and" and seen:
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            if _SCALES[w] == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * _SCALES[w]
                current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_date(text: str, today: dt.date) -> dt.date | None:
    t = " ".join(words(text))
    if t in ("today", "now"):
        return today
    if t == "tomorrow":
        return today + dt.timedelta(days=1)
    if t == "yesterday":
        return today - dt.timedelta(days=1)
    if t.startswith("next "):
        t = t[5:]
    if t in _WEEKDAYS:
        ahead = (_WEEKDAYS[t] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
        if m:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?", t) or None
        day_first = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)(?: (\d{4}))?", t)
        if m and m.group(1) in _MONTHS:
            month, day, year = _MONTHS[m.group(1)], int(m.group(2)), m.group(3)
        elif day_first and day_first.group(2) in _MONTHS:
            month, day, year = _MONTHS[day_first.group(2)], int(day_first.group(1)), day_first.group(3)
        else:
            return None
        if year:
            return dt.date(int(year), month, day)
        found = dt.date(today.year, month, day)
        return found if found >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None


def resolve(kind: SlotType, text: str, *, eliciting: bool, today: dt.date | None = None) -> Value | None:
    """The value `text` (the whole of it) is for a slot of type `kind`, or None."""
    said = text.strip()
    if not said:
        return None
    name = kind.name
    if name == "AMAZON.Number" or name == "AMAZON.NUMBER":
        n = parse_number(said)
        return None if n is None else _value(said, str(n))
    if name in ("AMAZON.Date", "AMAZON.DATE"):
        d = parse_date(said, today or dt.date.today())
        return None if d is None else _value(said, d.isoformat())
    if name == "AMAZON.AlphaNumeric":
        compact = said.replace(" ", "") if eliciting else said
        return _value(said, compact) if re.fullmatch(r"[A-Za-z0-9]+", compact) else None
    if kind.builtin or not kind.values:
        return _value(said, said)
    lowered = " ".join(words(said))
    for value, synonyms in kind.values:
        if lowered in (" ".join(words(value)), *(" ".join(words(s)) for s in synonyms)):
            interpreted = value if kind.strategy == "TopResolution" else said
            return _value(said, interpreted, [value])
    if eliciting and kind.strategy != "TopResolution":
        return _value(said, said, [])
    return None


def find(kind: SlotType, text: str, today: dt.date | None = None) -> tuple[Value, list[str]] | None:
    """A value of `kind` inside `text` (not the whole of it), with the words it took: the
    longest custom value or synonym phrase, a date phrase, or a single number."""
    ws = words(text)
    if kind.values:
        best: tuple[Value, list[str]] | None = None
        for value, synonyms in kind.values:
            for phrase in (value, *synonyms):
                p = words(phrase)
                for i in range(len(ws) - len(p) + 1):
                    if p and ws[i:i + len(p)] == p and (best is None or len(p) > len(best[1])):
                        said = " ".join(ws[i:i + len(p)])
                        best = (_value(said, value if kind.strategy == "TopResolution" else said, [value]), p)
        return best
    if kind.name in ("AMAZON.Date", "AMAZON.DATE"):
        for size in (3, 2, 1):
            for i in range(len(ws) - size + 1):
                phrase = " ".join(ws[i:i + size])
                d = parse_date(phrase, today or dt.date.today())
                if d is not None:
                    return _value(phrase, d.isoformat()), ws[i:i + size]
        return None
    if kind.name in ("AMAZON.Number", "AMAZON.NUMBER"):
        numbers = [w for w in ws if re.fullmatch(r"\d+", w)]
        if len(numbers) == 1:
            return _value(numbers[0], numbers[0]), numbers
    return None
