"""Published versions: immutable snapshots of a function's $LATEST.

Table lambda.versions, key "<fn>/<version:010d>" -> {"config", "code"} (the configuration
with Version = the number and FunctionArn qualified by it, and the code it runs). Numbers
come from the function document's "next_version" and are never reused. Publishing an
unchanged $LATEST (same configuration apart from RevisionId/LastModified, remembered as a
fingerprint in the function's "last_published") returns the version published last instead
of a new one, as AWS does.

`publish_version` is a write and publishes one change event (model.changed); `snapshot` is
the step CreateFunction/UpdateFunctionCode with Publish=true take inside their own write.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn


def snapshot(txn: Txn, key: str, doc: dict[str, Any], description: str | None) -> dict[str, Any]:
    """Store $LATEST of `doc` as the next version (or find the unchanged last one); the
    caller's write publishes the change."""
    fingerprint = hashlib.sha256(
        json.dumps({k: v for k, v in doc["config"].items() if k not in ("RevisionId", "LastModified")}, sort_keys=True).encode()
    ).hexdigest()
    last = doc.get("last_published")
    if last and last["fingerprint"] == fingerprint:
        existing = txn.get(model.VERSIONS, model.version_key(key, last["version"]))
        if existing is not None:
            return existing
    version = int(doc.get("next_version", 1))
    snap = model.snapshot_version(doc, version, description)
    txn.put(model.VERSIONS, model.version_key(key, str(version)), snap)
    doc["next_version"] = version + 1
    doc["last_published"] = {"fingerprint": fingerprint, "version": str(version)}
    txn.put(model.FUNCTIONS, key, doc)
    return snap


def publish_version(txn: Txn, key: str, arn: str, revision_id: str | None, code_sha256: str | None,
                    description: str | None) -> dict[str, Any]:
    """PublishVersion: the version's configuration."""
    doc = model.get_function(txn, key, arn)
    model.check_revision(doc["config"]["RevisionId"], revision_id)
    if code_sha256 and code_sha256 != doc["config"]["CodeSha256"]:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST ({doc['config']['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.", Type="User")
    before = doc.get("next_version")
    snap = snapshot(txn, key, doc, description)
    if doc.get("next_version") != before:  # a new version: AWS moves $LATEST's RevisionId too
        doc["config"]["RevisionId"] = model.new_revision()
        txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "version")
    config: dict[str, Any] = snap["config"]
    return config


def get_version(txn: Txn, key: str, version: str) -> dict[str, Any] | None:
    return txn.get(model.VERSIONS, model.version_key(key, version))


def exists(txn: Txn, key: str, version: str) -> bool:
    """$LATEST or a published version of the function."""
    return version == "$LATEST" or (version.isdigit() and get_version(txn, key, version) is not None)


def by_number(txn: Txn, key: str) -> dict[str, dict[str, Any]]:
    """Every published version of the function, by its number as text ("1", "2", ...)."""
    return {str(int(k.rsplit("/", 1)[1])): v for k, v in txn.scan(model.VERSIONS, key + "/")}


def configs(txn: Txn, key: str) -> list[dict[str, Any]]:
    """The configurations of the function's published versions, oldest first."""
    return [v["config"] for _, v in txn.scan(model.VERSIONS, key + "/")]


def list_versions(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """ListVersionsByFunction: one page of $LATEST then every published version, and the next
    Marker (a key token on the version order)."""
    doc = model.get_function(txn, key, arn)
    listed = [model.listed(model.qualified(doc["config"], "$LATEST")), *(model.listed(c) for c in configs(txn, key))]
    return model.page(listed, lambda c: model.version_order(c["Version"]), "lambda.versions/" + key, params)
