"""Lifecycle policies with ECR's rule semantics, evaluated sans I/O (`evaluate`), and the
runner that expires images on a schedule and after PutLifecyclePolicy (`run_repo`).

Rules (ECR's documented semantics):
- rulePriority unique positive integers, evaluated lowest first;
- selection.tagStatus tagged | untagged | any; `tagged` needs tagPrefixList or
  tagPatternList (not both); each pattern has at most 4 `*`; an image matches when every
  listed prefix/pattern matches one of its tags;
- countType imageCountMoreThan (countNumber) or sinceImagePushed (countUnit days);
- action.type expire;
- only one rule may select untagged images; a rule with tagStatus any must have the
  highest rulePriority number;
- an image is expired by at most one rule: once an image matches a rule's selection it is
  out of reach of every lower-priority rule, whether or not that rule expired it;
- within a rule, images are ordered by push time, newest first (count rules keep the
  newest N; age rules expire those pushed more than N days ago).
Manifests that are children of an index in the repository are left to their index.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import model

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry

log = logging.getLogger("gureum.ecr.lifecycle")
DAY = 86400.0


class PolicyError(ValueError):
    """The policy text is not a valid lifecycle policy (InvalidParameterException)."""


@dataclass(frozen=True)
class Rule:
    priority: int
    description: str
    tag_status: str  # tagged | untagged | any
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...]
    count_type: str  # imageCountMoreThan | sinceImagePushed
    count_number: int
    action: str = "expire"

    def selects(self, tags: list[str]) -> bool:
        if self.tag_status == "any":
            return True
        if self.tag_status == "untagged":
            return not tags
        if not tags:
            return False
        if self.prefixes:
            return all(any(t.startswith(p) for t in tags) for p in self.prefixes)
        return all(any(model.wildcard_match(p, t) for t in tags) for p in self.patterns)


def parse_policy(text: str) -> list[Rule]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise PolicyError("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: the policy is not valid JSON'") from None
    rules_raw = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules_raw, list) or not rules_raw:
        raise PolicyError("Lifecycle policy validation failure: 'rules' must be a non-empty array")
    rules: list[Rule] = []
    for i, r in enumerate(rules_raw):
        where = f"rules[{i}]"
        if not isinstance(r, dict):
            raise PolicyError(f"{where} must be an object")
        prio = r.get("rulePriority")
        if not isinstance(prio, int) or isinstance(prio, bool) or prio < 1:
            raise PolicyError(f"{where}.rulePriority must be a positive integer")
        sel = r.get("selection")
        if not isinstance(sel, dict):
            raise PolicyError(f"{where}.selection is required")
        status = sel.get("tagStatus")
        if status not in ("tagged", "untagged", "any"):
            raise PolicyError(f"{where}.selection.tagStatus must be tagged, untagged or any")
        prefixes = sel.get("tagPrefixList") or []
        patterns = sel.get("tagPatternList") or []
        if not isinstance(prefixes, list) or not isinstance(patterns, list):
            raise PolicyError(f"{where}: tagPrefixList and tagPatternList must be arrays")
        if status == "tagged":
            if not prefixes and not patterns:
                raise PolicyError(f"{where}: tagStatus tagged requires tagPrefixList or tagPatternList")
            if prefixes and patterns:
                raise PolicyError(f"{where}: use either tagPrefixList or tagPatternList, not both")
        elif prefixes or patterns:
            raise PolicyError(f"{where}: tagPrefixList/tagPatternList are only allowed with tagStatus tagged")
        for p in patterns:
            if not isinstance(p, str) or not p or p.count("*") > 4:
                raise PolicyError(f"{where}: each tagPatternList entry may contain at most 4 wildcards (*)")
        if any(not isinstance(p, str) or not p for p in prefixes):
            raise PolicyError(f"{where}: tagPrefixList entries must be non-empty strings")
        count_type = sel.get("countType")
        number = sel.get("countNumber")
        unit = sel.get("countUnit")
        if count_type == "imageCountMoreThan":
            if unit is not None:
                raise PolicyError(f"{where}: countUnit is not allowed with imageCountMoreThan")
        elif count_type == "sinceImagePushed":
            if unit != "days":
                raise PolicyError(f"{where}: sinceImagePushed requires countUnit days")
        else:
            raise PolicyError(f"{where}.selection.countType must be imageCountMoreThan or sinceImagePushed")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise PolicyError(f"{where}.selection.countNumber must be a positive integer")
        action = (r.get("action") or {}).get("type")
        if action != "expire":
            raise PolicyError(f"{where}.action.type must be expire")
        rules.append(Rule(prio, str(r.get("description") or ""), status, tuple(prefixes), tuple(patterns), count_type, number))
    prios = [r.priority for r in rules]
    if len(set(prios)) != len(prios):
        raise PolicyError("Lifecycle policy validation failure: rulePriority must be unique")
    rules.sort(key=lambda r: r.priority)
    if sum(1 for r in rules if r.tag_status == "untagged") > 1:
        raise PolicyError("Lifecycle policy validation failure: only one rule can select untagged images")
    for r in rules:
        if r.tag_status == "any" and r.priority != rules[-1].priority:
            raise PolicyError("Lifecycle policy validation failure: a rule with tagStatus any must have the highest rulePriority")
    return rules


@dataclass(frozen=True)
class Expiry:
    digest: str
    tags: tuple[str, ...]
    pushed_at: float
    rule_priority: int


def evaluate(rules: list[Rule], images: list[dict[str, Any]], now: float) -> list[Expiry]:
    """Which images the policy expires. `images`: manifest docs with digest, tags, pushedAt."""
    claimed: set[str] = set()
    out: list[Expiry] = []
    for rule in sorted(rules, key=lambda r: r.priority):
        selected = [img for img in images if img["digest"] not in claimed and rule.selects(img.get("tags") or [])]
        selected.sort(key=lambda img: (img["pushedAt"], img["digest"]), reverse=True)  # newest first
        for i, img in enumerate(selected):
            claimed.add(img["digest"])
            if rule.count_type == "imageCountMoreThan":
                expire = i >= rule.count_number
            else:
                expire = img["pushedAt"] < now - rule.count_number * DAY
            if expire:
                out.append(Expiry(img["digest"], tuple(img.get("tags") or ()), img["pushedAt"], rule.priority))
    return out


def candidates(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Images a policy may act on: not children of an index in the same repository."""
    children = {c for d in docs for c in d.get("children", ())}
    return [d for d in docs if d["digest"] not in children]


async def preview(reg: Registry, scope: str, name: str, text: str) -> list[Expiry]:
    rules = parse_policy(text)
    docs = await reg.store.read(lambda txn: (model.require_repo(txn, scope, name), model.list_manifests(txn, scope, name))[1])
    return evaluate(rules, candidates(docs), model.now())


async def run_repo(reg: Registry, scope: str, name: str, now: float | None = None) -> list[Expiry]:
    """Apply the repository's policy now: expire (delete) what it selects."""
    now = model.now() if now is None else now

    def work(txn: Any) -> list[Expiry]:
        repo = model.get_repo(txn, scope, name)
        if repo is None or not repo.get("lifecyclePolicyText"):
            return []
        try:
            rules = parse_policy(repo["lifecyclePolicyText"])
        except PolicyError:
            return []
        docs = model.list_manifests(txn, scope, name)
        expired = evaluate(rules, candidates(docs), now)
        for e in expired:
            model.delete_manifest(txn, scope, name, e.digest)
        repo["lifecycleEvaluatedAt"] = now
        txn.put(model.REPOS, model.repo_key(scope, name), repo)
        return expired

    expired = await reg.store.run(work)
    if expired:
        log.info("lifecycle policy of %s expired %d image(s)", name, len(expired))
    return expired


async def run_all(reg: Registry) -> int:
    repos = await reg.store.read(
        lambda txn: [(k.rsplit("|", 0)[0], doc) for k, doc in txn.scan(model.REPOS) if doc.get("lifecyclePolicyText")]
    )
    total = 0
    for _, doc in repos:
        scope = model.scope_of(doc["registryId"], doc["region"])
        total += len(await run_repo(reg, scope, doc["repositoryName"]))
    return total
