"""DynamoDB tables: their definitions, validation as AWS does, descriptions, capacity, indexes,
TTL settings and tags.

Table dynamodb_tables: "{account}/{region}/{name}" -> {"TableName", "TableId", "TableArn",
"KeySchema", "AttributeDefinitions", "BillingMode", "Read", "Write", "Created" (epoch),
"GSIs": [{"IndexName", "KeySchema", "Projection", "Read", "Write", "IndexStatus"}], "LSIs": [...],
"Ttl": {"AttributeName", "Enabled"} | None, "Tags": {k: v}, "DeletionProtectionEnabled"}.
Table dynamodb_counts: the same key -> {"n": items, "bytes": size}, kept by every write
(items.py), read by DescribeTable.
Tables are ACTIVE once created (the change is one store transaction): CreateTable answers
CREATING, UpdateTable UPDATING, DeleteTable DELETING, as AWS's first answers do, and the next
DescribeTable sees the end state. Writes publish "dynamodb.table" {"key"}.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb.values import invalid
from gureum.store import Txn

TABLES = "dynamodb_tables"
COUNTS = "dynamodb_counts"
TOPIC = "dynamodb.table"
MAX_GSIS = 20
MAX_LSIS = 5

Doc = dict[str, Any]


def table_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def not_found(name: str | None = None) -> AwsError:
    msg = f"Requested resource not found: Table: {name} not found" if name else "Requested resource not found"
    return AwsError.modeled("dynamodb", "ResourceNotFoundException", msg)


def get(txn: Txn, account: str, region: str, name: str, describe: bool = False) -> Doc:
    """The table `name` of `account` in `region`; a table ARN names its own account and region
    (another account's table, which the policy gate let through by its resource policy)."""
    if arns.looks_like_arn(name):
        parsed = arns.try_parse(name)
        if parsed is not None and parsed.service == "dynamodb":
            account, region = parsed.account, parsed.region
    doc = txn.get(TABLES, table_key(account, region, name_of(name)))
    if doc is None:
        raise not_found(name if describe else None)
    return doc


def owner(doc: Doc) -> tuple[str, str]:
    """(account, region) of a table document (from its ARN)."""
    parts = str(doc["TableArn"]).split(":")
    return parts[4], parts[3]


def name_of(name_or_arn: str) -> str:
    if arns.looks_like_arn(name_or_arn):
        return name_or_arn.rsplit("/", 1)[-1]
    return name_or_arn


def key_names(schema: list[dict[str, str]]) -> tuple[str, str | None]:
    h = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    r = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return h, r


def attr_types(doc: Doc) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in doc["AttributeDefinitions"]}


def _check_schema(schema: list[dict[str, str]], where: str = "") -> None:
    if not schema or schema[0]["KeyType"] != "HASH":
        raise invalid(f"Invalid KeySchema{where}: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2:
        if schema[1]["KeyType"] != "RANGE":
            raise invalid(f"Invalid KeySchema{where}: The second KeySchemaElement is not a RANGE key type")
        if schema[0]["AttributeName"] == schema[1]["AttributeName"]:
            raise invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")


def _check_projection(p: dict[str, Any], index: str) -> dict[str, Any]:
    kind = p.get("ProjectionType")
    nka = p.get("NonKeyAttributes")
    if kind is None:
        raise invalid("One or more parameter values were invalid: Unknown ProjectionType: null")
    if kind != "INCLUDE" and nka is not None:
        raise invalid(f"One or more parameter values were invalid: ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == "INCLUDE" and not nka:
        raise invalid("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    out: dict[str, Any] = {"ProjectionType": kind}
    if nka:
        out["NonKeyAttributes"] = list(nka)
    return out


def _capacity(pt: dict[str, Any] | None, billing: str, what: str) -> tuple[int, int]:
    if billing == "PAY_PER_REQUEST":
        if pt is not None:
            raise invalid("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
                          "can be specified when BillingMode is PAY_PER_REQUEST")
        return 0, 0
    if pt is None:
        if what == "table":
            raise invalid("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both "
                          "be specified when BillingMode is PROVISIONED")
        raise invalid(f"One or more parameter values were invalid: ProvisionedThroughput should not be null for index: {what}")
    return int(pt["ReadCapacityUnits"]), int(pt["WriteCapacityUnits"])


def _index(spec: dict[str, Any], billing: str, defined: dict[str, str], used: set[str], table_hash: str | None) -> Doc:
    name = spec["IndexName"]
    schema = spec["KeySchema"]
    _check_schema(schema)
    for k in schema:
        used.add(k["AttributeName"])
    if table_hash is not None and schema[0]["AttributeName"] != table_hash:
        raise invalid(f"One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as "
                      f"table KeySchema for index: {name}. index hash key: {schema[0]['AttributeName']}, table hash key: {table_hash}")
    if table_hash is not None and len(schema) != 2:
        raise invalid("One or more parameter values were invalid: Index KeySchema does not have a range key for index: " + name)
    doc: Doc = {"IndexName": name, "KeySchema": [dict(k) for k in schema],
                "Projection": _check_projection(spec.get("Projection") or {}, name), "IndexStatus": "ACTIVE"}
    if table_hash is None:
        doc["Read"], doc["Write"] = _capacity(spec.get("ProvisionedThroughput"), billing, name)
    return doc


def create(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> Doc:
    name = p["TableName"]
    for member in ("KeySchema", "AttributeDefinitions"):  # optional in the model (on-demand imports), required here
        if p.get(member) is None:
            raise invalid(f"1 validation error detected: Value null at '{member[0].lower() + member[1:]}' failed to satisfy "
                          "constraint: Member must not be null")
    schema = p["KeySchema"]
    _check_schema(schema)
    defs = p["AttributeDefinitions"]
    defined: dict[str, str] = {}
    for d in defs:
        if d["AttributeName"] in defined:
            raise invalid("Cannot have two attributes with the same name")
        defined[d["AttributeName"]] = d["AttributeType"]
    billing = p.get("BillingMode") or "PROVISIONED"
    read, write = _capacity(p.get("ProvisionedThroughput"), billing, "table")
    used = {k["AttributeName"] for k in schema}
    missing = [k["AttributeName"] for k in schema if k["AttributeName"] not in defined]
    if missing:
        raise invalid("One or more parameter values were invalid: Some index key attributes are not defined in "
                      f"AttributeDefinitions. Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(defined)}]")
    gsis: list[Doc] = []
    lsis: list[Doc] = []
    names: set[str] = set()
    table_hash, table_range = key_names(schema)
    for spec in p.get("GlobalSecondaryIndexes") or []:
        if spec["IndexName"] in names:
            raise invalid(f"One or more parameter values were invalid: Duplicate index name: {spec['IndexName']}")
        names.add(spec["IndexName"])
        gsis.append(_index(spec, billing, defined, used, None))
    if p.get("LocalSecondaryIndexes") and table_range is None:
        raise invalid("One or more parameter values were invalid: Table KeySchema does not have a range key, which is "
                      "required when specifying a LocalSecondaryIndex")
    for spec in p.get("LocalSecondaryIndexes") or []:
        if spec["IndexName"] in names:
            raise invalid(f"One or more parameter values were invalid: Duplicate index name: {spec['IndexName']}")
        names.add(spec["IndexName"])
        lsis.append(_index(spec, billing, defined, used, table_hash))
    if len(gsis) > MAX_GSIS:
        raise AwsError.modeled("dynamodb", "LimitExceededException", f"Subscriber limit exceeded: The number of global "
                               f"secondary indexes exceeds the limit of {MAX_GSIS}")
    if len(lsis) > MAX_LSIS:
        raise invalid(f"One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    undefined = sorted(used - set(defined))
    if undefined:
        raise invalid("One or more parameter values were invalid: Some index key attributes are not defined in "
                      f"AttributeDefinitions. Keys: [{', '.join(undefined)}], AttributeDefinitions: [{', '.join(defined)}]")
    if set(defined) - used:
        raise invalid("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
                      "number of attributes defined in AttributeDefinitions")
    key = table_key(account, region, name)
    tags = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
    doc: Doc = {"TableName": name, "TableId": str(uuid.uuid4()), "TableArn": arns.dynamodb_table(region, account, name),
                "KeySchema": [dict(k) for k in schema], "AttributeDefinitions": [dict(d) for d in defs],
                "BillingMode": billing, "Read": read, "Write": write, "Created": now, "GSIs": gsis, "LSIs": lsis,
                "Ttl": None, "Tags": tags, "DeletionProtectionEnabled": bool(p.get("DeletionProtectionEnabled")),
                "TableClass": p.get("TableClass") or "STANDARD"}
    if not txn.insert(TABLES, key, doc):
        raise AwsError.modeled("dynamodb", "ResourceInUseException", f"Table already exists: {name}")
    txn.put(COUNTS, key, {"n": 0, "bytes": 0})
    txn.publish(TOPIC, {"key": key})
    return doc


def _when(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def _throughput(doc: Doc) -> Doc:
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": doc.get("Read", 0), "WriteCapacityUnits": doc.get("Write", 0)}


def describe(txn: Txn, account: str, region: str, doc: Doc, status: str = "ACTIVE") -> Doc:
    counts = txn.get(COUNTS, table_key(account, region, doc["TableName"])) or {"n": 0, "bytes": 0}
    out: Doc = {
        "TableName": doc["TableName"], "TableId": doc["TableId"], "TableArn": doc["TableArn"],
        "KeySchema": doc["KeySchema"], "AttributeDefinitions": doc["AttributeDefinitions"],
        "TableStatus": status, "CreationDateTime": _when(doc["Created"]),
        "ProvisionedThroughput": _throughput(doc), "ItemCount": counts["n"], "TableSizeBytes": counts["bytes"],
        "DeletionProtectionEnabled": doc.get("DeletionProtectionEnabled", False),
    }
    if doc["BillingMode"] == "PAY_PER_REQUEST":
        out["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                     "LastUpdateToPayPerRequestDateTime": _when(float(doc.get("BillingChanged") or doc["Created"]))}
    else:
        out["BillingModeSummary"] = {"BillingMode": "PROVISIONED"}
    if doc.get("TableClass", "STANDARD") != "STANDARD":
        out["TableClassSummary"] = {"TableClass": doc["TableClass"]}
    if doc["GSIs"]:
        out["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"],
             "IndexStatus": g["IndexStatus"], "ProvisionedThroughput": _throughput(g),
             "IndexSizeBytes": 0, "ItemCount": txn.count("dynamodb_index", f"{table_key(account, region, doc['TableName'])}/{g['IndexName']}/"),
             "IndexArn": arns.dynamodb_index(doc["TableArn"], g["IndexName"])}
            for g in doc["GSIs"]]
    if doc["LSIs"]:
        out["LocalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"],
             "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": arns.dynamodb_index(doc["TableArn"], g["IndexName"])}
            for g in doc["LSIs"]]
    return out


def list_names(txn: Txn, account: str, region: str, start: str | None, limit: int | None) -> tuple[list[str], str | None]:
    prefix = f"{account}/{region}/"
    n = limit or 100
    rows = txn.scan(TABLES, prefix, start=(prefix + start + "\x01") if start else None, limit=n + 1)
    names = [d["TableName"] for _, d in rows[:n]]
    return names, (names[-1] if len(rows) > n else None)


def update(txn: Txn, account: str, region: str, p: dict[str, Any], now: float, backfill: Any, drop_index: Any) -> Doc:
    doc = get(txn, account, region, p["TableName"])
    key = table_key(account, region, doc["TableName"])
    billing = p.get("BillingMode") or doc["BillingMode"]
    if p.get("BillingMode") and p["BillingMode"] != doc["BillingMode"]:
        doc["BillingChanged"] = now
    if "ProvisionedThroughput" in p or p.get("BillingMode"):
        pt = p.get("ProvisionedThroughput")
        if billing == "PROVISIONED" and pt is None and doc["BillingMode"] == "PROVISIONED":
            pt = {"ReadCapacityUnits": doc["Read"], "WriteCapacityUnits": doc["Write"]}
        doc["Read"], doc["Write"] = _capacity(pt, billing, "table")
    doc["BillingMode"] = billing
    for attr in p.get("AttributeDefinitions") or []:
        if attr["AttributeName"] not in attr_types(doc):
            doc["AttributeDefinitions"].append(dict(attr))
    for u in p.get("GlobalSecondaryIndexUpdates") or []:
        if "Create" in u:
            spec = u["Create"]
            if any(i["IndexName"] == spec["IndexName"] for i in doc["GSIs"] + doc["LSIs"]):
                raise AwsError.modeled("dynamodb", "ResourceInUseException",
                                       f"Attempting to create an index which already exists: {spec['IndexName']}")
            defined = attr_types(doc)
            used: set[str] = set()
            g = _index(spec, billing, defined, used, None)
            missing = sorted(used - set(defined))
            if missing:
                raise invalid("One or more parameter values were invalid: Some index key attributes are not defined in "
                              f"AttributeDefinitions. Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(defined)}]")
            if len(doc["GSIs"]) >= MAX_GSIS:
                raise AwsError.modeled("dynamodb", "LimitExceededException", "Subscriber limit exceeded: The number of "
                                       f"global secondary indexes exceeds the limit of {MAX_GSIS}")
            doc["GSIs"].append(g)
            backfill(txn, doc, g)
        elif "Delete" in u:
            name = u["Delete"]["IndexName"]
            if not any(g["IndexName"] == name for g in doc["GSIs"]):
                raise AwsError.modeled("dynamodb", "ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            doc["GSIs"] = [g for g in doc["GSIs"] if g["IndexName"] != name]
            drop_index(txn, key, name)
        elif "Update" in u:
            name = u["Update"]["IndexName"]
            found = [g for g in doc["GSIs"] if g["IndexName"] == name]
            if not found:
                raise AwsError.modeled("dynamodb", "ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            found[0]["Read"], found[0]["Write"] = _capacity(u["Update"].get("ProvisionedThroughput"), billing, name)
    if "DeletionProtectionEnabled" in p:
        doc["DeletionProtectionEnabled"] = bool(p["DeletionProtectionEnabled"])
    if p.get("TableClass"):
        doc["TableClass"] = p["TableClass"]
    if billing == "PAY_PER_REQUEST":
        for g in doc["GSIs"]:
            g["Read"], g["Write"] = 0, 0
    txn.put(TABLES, key, doc)
    txn.publish(TOPIC, {"key": key})
    return doc


def delete(txn: Txn, account: str, region: str, name: str) -> Doc:
    doc = get(txn, account, region, name)
    if doc.get("DeletionProtectionEnabled"):
        raise invalid("Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
                      "protection first.")
    key = table_key(account, region, doc["TableName"])
    txn.delete(TABLES, key)
    txn.delete(COUNTS, key)
    txn.publish(TOPIC, {"key": key})
    return doc


def put(txn: Txn, account: str, region: str, doc: Doc) -> None:
    key = table_key(account, region, doc["TableName"])
    txn.put(TABLES, key, doc)
    txn.publish(TOPIC, {"key": key})


def by_arn(txn: Txn, arn: str) -> tuple[str, str, Doc]:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "dynamodb" or not parsed.resource.startswith("table/"):
        raise invalid(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    name = parsed.resource.split("/")[1]
    doc = txn.get(TABLES, table_key(parsed.account, parsed.region, name))
    if doc is None:
        raise AwsError.modeled("dynamodb", "ResourceNotFoundException",
                               f"Requested resource not found: ResourcArn: {arn} not found")
    return parsed.account, parsed.region, doc
