"""The intent classifier (sans-IO, deterministic; Lex V2's runtime and `gureum alexa ask`
use it): an utterance scored against each intent's sample utterances.

A sample is compiled to a pattern: its words literally, each `{Slot}` a lazy capture. An
utterance (lower-cased words) that matches a sample's pattern in full scores 1.0 when every
captured slot resolves for its type (slot_values.resolve), 0.6 when some does not. Otherwise
the slot values found anywhere in the utterance (slot_values.find) are set aside and the
rest of its words are compared with the sample's literal words: 0.9 x the Jaccard overlap.
An intent's confidence is its best sample's, rounded to two decimals; `rank` orders intents
by confidence, then name. Below the locale's threshold the runtime chooses the fallback."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from gureum.services.lexv2.slot_values import SlotType, Value, find, resolve, words

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\}")


@dataclass(frozen=True)
class SlotSpec:
    name: str
    kind: SlotType


@dataclass(frozen=True)
class IntentSpec:
    name: str
    samples: tuple[str, ...]
    slots: tuple[SlotSpec, ...] = ()


@dataclass
class Match:
    intent: str
    score: float
    slots: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class _Sample:
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal: frozenset[str]


@functools.lru_cache(maxsize=4096)
def compile_sample(utterance: str) -> _Sample:
    """A sample's pattern (cached: samples are few and compiled on every turn otherwise)."""
    parts: list[str] = []
    names: list[str] = []
    literal: set[str] = set()
    pos = 0
    for m in _PLACEHOLDER.finditer(utterance):
        ws = words(utterance[pos:m.start()])
        literal.update(ws)
        parts.extend(re.escape(w) for w in ws)
        parts.append(f"(?P<s{len(names)}>.+?)")
        names.append(m.group(1))
        pos = m.end()
    ws = words(utterance[pos:])
    literal.update(ws)
    parts.extend(re.escape(w) for w in ws)
    return _Sample(re.compile(" ".join(parts)), tuple(names), frozenset(literal))


def score_intent(text: str, intent: IntentSpec, today: dt.date | None = None) -> Match:
    ws = words(text)
    norm = " ".join(ws)
    kinds = {s.name: s.kind for s in intent.slots}
    best = Match(intent.name, 0.0)
    found: dict[str, Value] | None = None  # slot values anywhere in the text, found once per intent
    left: set[str] = set()
    for utterance in intent.samples:
        sample = compile_sample(utterance)
        m = sample.pattern.fullmatch(norm) if norm else None
        if m is not None:
            slots: dict[str, Value] = {}
            for i, name in enumerate(sample.names):
                kind = kinds.get(name)
                value = resolve(kind, m.group(f"s{i}"), eliciting=True, today=today) if kind else None
                if value is not None:
                    slots[name] = value
            score = 1.0 if len(slots) == len(sample.names) else 0.6
            if score > best.score:
                best = Match(intent.name, score, slots)
            continue
        if found is None:
            found = {}
            rest = list(ws)
            for spec in intent.slots:
                hit = find(spec.kind, " ".join(rest), today)
                if hit is None:
                    continue
                value, taken = hit
                found[spec.name] = value
                for w in taken:
                    if w in rest:
                        rest.remove(w)
            left = set(rest)
        union = left | sample.literal
        score = 0.9 * len(left & sample.literal) / len(union) if union else 0.0
        if score > best.score:
            best = Match(intent.name, score, dict(found))
    best.score = round(best.score, 2)
    return best


def rank(text: str, intents: list[IntentSpec], today: dt.date | None = None) -> list[Match]:
    scored = [score_intent(text, i, today) for i in intents]
    return sorted(scored, key=lambda m: (-m.score, m.intent))
