"""S3, SSM, Secrets Manager, Logs and DynamoDB resource types: AWS::S3::Bucket,
AWS::S3::BucketPolicy, AWS::SSM::Parameter, AWS::SecretsManager::Secret (GenerateSecretString),
AWS::Logs::LogGroup, AWS::DynamoDB::Table, and AWS::CDK::Metadata (CDK's marker, nothing to
create)."""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    policy_text,
    provider,
    text,
    updating,
)


def _bucket_done(ctx: ResourceContext, name: str) -> Done:
    region = ctx.region
    return Done(name, {"Arn": arns.s3_bucket(name), "DomainName": f"{name}.s3.amazonaws.com",
                       "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                       "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
                       "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com"})


BUCKET_PROPERTIES = ("BucketName", "AccessControl", "Tags", "VersioningConfiguration", "BucketEncryption",
                     "PublicAccessBlockConfiguration", "LifecycleConfiguration", "OwnershipControls")


def _unhandled(type_name: str, props: dict[str, Any], handled: tuple[str, ...]) -> None:
    """A property gureum does not apply fails the resource (never silently dropped)."""
    extra = sorted(k for k in props if k not in handled)
    if extra:
        raise ResourceFailed(f"gureum does not apply {type_name} properties yet: [{', '.join(extra)}]")


@provider("AWS::S3::Bucket")
async def create_bucket(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    _unhandled("AWS::S3::Bucket", props, BUCKET_PROPERTIES)
    name = props.get("BucketName") or ctx.name(63, lower=True)
    params: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    acl = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
           "AuthenticatedRead": "authenticated-read"}.get(str(props.get("AccessControl", "")))
    if acl and acl != "private":
        params["ACL"] = acl
    await ctx.call("s3", "CreateBucket", params)
    try:
        await _bucket_settings(ctx, name, {}, props)
    except AwsError:
        await ctx.call("s3", "DeleteBucket", {"Bucket": name})
        raise
    return _bucket_done(ctx, name)


def _encryption_rules(enc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rule in enc.get("ServerSideEncryptionConfiguration") or ():
        r: dict[str, Any] = {}
        default = rule.get("ServerSideEncryptionByDefault")
        if isinstance(default, dict):
            r["ApplyServerSideEncryptionByDefault"] = {k: v for k, v in default.items() if k in ("SSEAlgorithm", "KMSMasterKeyID")}
        if "BucketKeyEnabled" in rule:
            r["BucketKeyEnabled"] = str(rule["BucketKeyEnabled"]).lower() == "true"
        out.append(r)
    return out


def _lifecycle_rules(config: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rule in config.get("Rules") or ():
        r: dict[str, Any] = {"Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
        if rule.get("Id"):
            r["ID"] = rule["Id"]
        if "ExpirationInDays" in rule:
            r["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if isinstance(rule.get("NoncurrentVersionExpiration"), dict):
            r["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])}
        elif "NoncurrentVersionExpirationInDays" in rule:
            r["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
        if isinstance(rule.get("AbortIncompleteMultipartUpload"), dict):
            r["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
        out.append(r)
    return out


async def _bucket_settings(ctx: ResourceContext, name: str, old: dict[str, Any], props: dict[str, Any]) -> None:
    tags = ctx.tag_list(props)
    if tags or old.get("Tags"):
        if tags:
            await ctx.call("s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}})
        else:
            await ctx.call("s3", "DeleteBucketTagging", {"Bucket": name})
    v = props.get("VersioningConfiguration")
    if v != old.get("VersioningConfiguration") and v:
        await ctx.call("s3", "PutBucketVersioning", {"Bucket": name, "VersioningConfiguration": {"Status": v["Status"]}})
    enc = props.get("BucketEncryption")
    if enc != old.get("BucketEncryption") and enc:
        await ctx.call("s3", "PutBucketEncryption", {"Bucket": name, "ServerSideEncryptionConfiguration": {
            "Rules": _encryption_rules(enc)}})
    pab = props.get("PublicAccessBlockConfiguration")
    if pab != old.get("PublicAccessBlockConfiguration"):
        if pab:
            await ctx.call("s3", "PutPublicAccessBlock", {"Bucket": name, "PublicAccessBlockConfiguration": {
                k: str(v).lower() == "true" for k, v in pab.items()}})
        else:
            await ctx.call("s3", "DeletePublicAccessBlock", {"Bucket": name})
    life = props.get("LifecycleConfiguration")
    if life != old.get("LifecycleConfiguration"):
        if life:
            await ctx.call("s3", "PutBucketLifecycleConfiguration", {"Bucket": name, "LifecycleConfiguration": {
                "Rules": _lifecycle_rules(life)}})
        else:
            await ctx.call("s3", "DeleteBucketLifecycle", {"Bucket": name})
    own = props.get("OwnershipControls")
    if own != old.get("OwnershipControls") and own:
        await ctx.call("s3", "PutBucketOwnershipControls", {"Bucket": name, "OwnershipControls": {
            "Rules": [{"ObjectOwnership": r["ObjectOwnership"]} for r in own.get("Rules") or ()]}})


@updating("AWS::S3::Bucket")
async def update_bucket(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    _unhandled("AWS::S3::Bucket", new, BUCKET_PROPERTIES)
    await _bucket_settings(ctx, physical, old, new)
    return done


@deleting("AWS::S3::Bucket")
async def delete_bucket(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("s3", "DeleteBucket", {"Bucket": physical})
    except AwsError as e:
        if e.code != "NoSuchBucket":
            raise


@provider("AWS::S3::BucketPolicy")
async def create_bucket_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    await ctx.call("s3", "PutBucketPolicy", {"Bucket": props["Bucket"], "Policy": policy_text(props["PolicyDocument"])})
    return Done(str(props["Bucket"]))


@updating("AWS::S3::BucketPolicy")
async def update_bucket_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await create_bucket_policy(ctx, new)
    return done


@deleting("AWS::S3::BucketPolicy")
async def delete_bucket_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("s3", "DeleteBucketPolicy", {"Bucket": props["Bucket"]})
    except AwsError as e:
        if e.code != "NoSuchBucket":
            raise


def _parameter_params(name: str, props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"Name": name, "Value": text(props["Value"]), "Type": props.get("Type", "String")}
    for k in ("Description", "AllowedPattern", "Tier", "Policies", "DataType"):
        if k in props:
            params[k] = text(props[k])
    return params


@provider("AWS::SSM::Parameter")
async def create_parameter(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("Name") or ctx.name(2048, sep="-").replace(" ", "")
    if not props.get("Name"):
        name = "CFN-" + ctx.logical_id + "-" + name.rsplit("-", 1)[-1]
    params = _parameter_params(name, props)
    tags = props.get("Tags")
    if isinstance(tags, dict) and tags:
        params["Tags"] = [{"Key": k, "Value": text(v)} for k, v in tags.items()]
    await ctx.call("ssm", "PutParameter", params)
    return Done(name, {"Type": params["Type"], "Value": params["Value"]})


@updating("AWS::SSM::Parameter")
async def update_parameter(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    params = _parameter_params(physical, new)
    await ctx.call("ssm", "PutParameter", {**params, "Overwrite": True})
    return Done(physical, {"Type": params["Type"], "Value": params["Value"]})


@deleting("AWS::SSM::Parameter")
async def delete_parameter(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("ssm", "DeleteParameter", {"Name": physical})
    except AwsError as e:
        if e.code != "ParameterNotFound":
            raise


async def _secret_value(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, Any]:
    gen = props.get("GenerateSecretString")
    if not isinstance(gen, dict):
        return {"SecretString": text(props["SecretString"])} if "SecretString" in props else {}
    options = {k: gen[k] for k in ("PasswordLength", "ExcludeCharacters", "ExcludeLowercase", "ExcludeNumbers",
                                   "ExcludePunctuation", "ExcludeUppercase", "IncludeSpace", "RequireEachIncludedType")
               if k in gen}
    for k in list(options):
        if k == "PasswordLength":
            options[k] = int(options[k])
        elif k != "ExcludeCharacters":
            options[k] = str(options[k]).lower() == "true"
    password = (await ctx.call("secretsmanager", "GetRandomPassword", options))["RandomPassword"]
    if gen.get("SecretStringTemplate") and gen.get("GenerateStringKey"):
        doc = json.loads(gen["SecretStringTemplate"])
        doc[gen["GenerateStringKey"]] = password
        return {"SecretString": json.dumps(doc)}
    return {"SecretString": password}


@provider("AWS::SecretsManager::Secret")
async def create_secret(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("Name") or ctx.logical_id + "-" + ctx.name(20).rsplit("-", 1)[-1][:12]
    params: dict[str, Any] = {"Name": name, **await _secret_value(ctx, props)}
    for k in ("Description", "KmsKeyId"):
        if k in props:
            params[k] = props[k]
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    out = await ctx.call("secretsmanager", "CreateSecret", params)
    return Done(out["ARN"], {"Id": out["ARN"]})


@updating("AWS::SecretsManager::Secret")
async def update_secret(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    params: dict[str, Any] = {"SecretId": physical}
    if new.get("Description") != old.get("Description"):
        params["Description"] = new.get("Description", "")
    if new.get("SecretString") != old.get("SecretString") or new.get("GenerateSecretString") != old.get("GenerateSecretString"):
        params.update(await _secret_value(ctx, new))
    if len(params) > 1:
        await ctx.call("secretsmanager", "UpdateSecret", params)
    return done


@deleting("AWS::SecretsManager::Secret")
async def delete_secret(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("secretsmanager", "DeleteSecret", {"SecretId": physical, "ForceDeleteWithoutRecovery": True})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise


@provider("AWS::Logs::LogGroup")
async def create_log_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("LogGroupName") or ctx.name(512)
    params: dict[str, Any] = {"logGroupName": name}
    if props.get("KmsKeyId"):
        params["kmsKeyId"] = props["KmsKeyId"]
    if props.get("LogGroupClass"):
        params["logGroupClass"] = props["LogGroupClass"]
    tags = ctx.tag_list(props)
    if tags:
        params["tags"] = {t["Key"]: t["Value"] for t in tags}
    await ctx.call("logs", "CreateLogGroup", params)
    if "RetentionInDays" in props:
        try:
            await ctx.call("logs", "PutRetentionPolicy", {"logGroupName": name, "retentionInDays": int(props["RetentionInDays"])})
        except AwsError:
            await ctx.call("logs", "DeleteLogGroup", {"logGroupName": name})
            raise
    return Done(name, {"Arn": arns.logs_group(ctx.region, ctx.account, name) + ":*"})


@updating("AWS::Logs::LogGroup")
async def update_log_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("RetentionInDays") != new.get("RetentionInDays"):
        if "RetentionInDays" in new:
            await ctx.call("logs", "PutRetentionPolicy", {"logGroupName": physical, "retentionInDays": int(new["RetentionInDays"])})
        else:
            await ctx.call("logs", "DeleteRetentionPolicy", {"logGroupName": physical})
    return done


@deleting("AWS::Logs::LogGroup")
async def delete_log_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("logs", "DeleteLogGroup", {"logGroupName": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise


def _numbers(value: Any) -> Any:
    """Throughput and TTL numbers as the API's integers."""
    if isinstance(value, dict):
        return {k: (int(v) if k in ("ReadCapacityUnits", "WriteCapacityUnits", "MaxReadRequestUnits",
                                    "MaxWriteRequestUnits") else _numbers(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


@provider("AWS::DynamoDB::Table")
async def create_table(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("TableName") or ctx.name(255)
    params: dict[str, Any] = {"TableName": name}
    for k in ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes",
              "LocalSecondaryIndexes", "StreamSpecification", "SSESpecification", "TableClass",
              "DeletionProtectionEnabled"):
        if k in props:
            params[k] = _numbers(props[k])
    if isinstance(params.get("StreamSpecification"), dict) and "StreamViewType" in params["StreamSpecification"]:
        params["StreamSpecification"] = {"StreamEnabled": True, **params["StreamSpecification"]}
    if "DeletionProtectionEnabled" in params:
        params["DeletionProtectionEnabled"] = str(params["DeletionProtectionEnabled"]).lower() == "true"
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    out = (await ctx.call("dynamodb", "CreateTable", params))["TableDescription"]
    attrs = {"Arn": out["TableArn"]}
    if out.get("LatestStreamArn"):
        attrs["StreamArn"] = out["LatestStreamArn"]
    return Done(name, attrs)


_TABLE_IN_PLACE = ("BillingMode", "ProvisionedThroughput", "DeletionProtectionEnabled", "Tags", "TableClass")


@updating("AWS::DynamoDB::Table")
async def update_table(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    """Billing mode, throughput, table class and deletion protection in place (UpdateTable);
    tags through TagResource/UntagResource. Index and stream changes are not applied yet."""
    changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    unapplied = sorted(changed - set(_TABLE_IN_PLACE))
    if unapplied:
        raise ResourceFailed(f"gureum does not update AWS::DynamoDB::Table properties in place yet: [{', '.join(unapplied)}]")
    params: dict[str, Any] = {"TableName": physical}
    for k in ("BillingMode", "ProvisionedThroughput", "TableClass"):
        if k in changed and k in new:
            params[k] = _numbers(new[k])
    if "DeletionProtectionEnabled" in changed:
        params["DeletionProtectionEnabled"] = str(new.get("DeletionProtectionEnabled", False)).lower() == "true"
    if len(params) > 1:
        await ctx.call("dynamodb", "UpdateTable", params)
    if "Tags" in changed:
        arn = done.attrs["Arn"]
        gone = [t["Key"] for t in old.get("Tags") or () if t["Key"] not in {n["Key"] for n in new.get("Tags") or ()}]
        if gone:
            await ctx.call("dynamodb", "UntagResource", {"ResourceArn": arn, "TagKeys": gone})
        if new.get("Tags"):
            await ctx.call("dynamodb", "TagResource", {"ResourceArn": arn, "Tags": ctx.tag_list(new)})
    return done


@deleting("AWS::DynamoDB::Table")
async def delete_table(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("dynamodb", "DeleteTable", {"TableName": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise


@provider("AWS::CDK::Metadata")
async def create_cdk_metadata(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return Done(ctx.stack_id.rsplit("/", 1)[-1])


@updating("AWS::CDK::Metadata")
async def update_cdk_metadata(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    return done


def _metric_transformations(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for m in items:
        t: dict[str, Any] = {"metricName": m["MetricName"], "metricNamespace": m["MetricNamespace"],
                             "metricValue": str(m["MetricValue"])}
        if "DefaultValue" in m:
            t["defaultValue"] = float(m["DefaultValue"])
        if m.get("Unit"):
            t["unit"] = m["Unit"]
        if m.get("Dimensions"):
            t["dimensions"] = {d["Key"]: d["Value"] for d in m["Dimensions"]}
        out.append(t)
    return out


@provider("AWS::Logs::MetricFilter")
async def create_metric_filter(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("FilterName") or ctx.name(512)
    await ctx.call("logs", "PutMetricFilter", {"logGroupName": props["LogGroupName"], "filterName": name,
                                               "filterPattern": props["FilterPattern"],
                                               "metricTransformations": _metric_transformations(props["MetricTransformations"])})
    return Done(name)


@updating("AWS::Logs::MetricFilter")
async def update_metric_filter(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await ctx.call("logs", "PutMetricFilter", {"logGroupName": new["LogGroupName"], "filterName": physical,
                                               "filterPattern": new["FilterPattern"],
                                               "metricTransformations": _metric_transformations(new["MetricTransformations"])})
    return done


@deleting("AWS::Logs::MetricFilter")
async def delete_metric_filter(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("logs", "DeleteMetricFilter", {"logGroupName": props["LogGroupName"], "filterName": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise


def _subscription(name: str, props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"logGroupName": props["LogGroupName"], "filterName": name,
                           "filterPattern": props["FilterPattern"], "destinationArn": props["DestinationArn"]}
    if props.get("RoleArn"):
        out["roleArn"] = props["RoleArn"]
    if props.get("Distribution"):
        out["distribution"] = props["Distribution"]
    return out


@provider("AWS::Logs::SubscriptionFilter")
async def create_subscription_filter(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("FilterName") or ctx.name(512)
    await ctx.call("logs", "PutSubscriptionFilter", _subscription(name, props))
    return Done(name)


@updating("AWS::Logs::SubscriptionFilter")
async def update_subscription_filter(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    await ctx.call("logs", "PutSubscriptionFilter", _subscription(physical, new))
    return done


@deleting("AWS::Logs::SubscriptionFilter")
async def delete_subscription_filter(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("logs", "DeleteSubscriptionFilter", {"logGroupName": props["LogGroupName"], "filterName": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise
