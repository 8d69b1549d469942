"""Operations whose resources live in services gureum does not serve, answered as AWS
answers when the other side does not exist (never a fake success, never 501):

- integrations (PutIntegration creates OpenSearch Service collections and dashboards):
  PutIntegration is refused with ValidationException; there being no integration,
  ListIntegrations is empty and Get/DeleteIntegration answer ResourceNotFoundException;
- import tasks (CreateImportTask reads a CloudTrail Lake event data store): the source is
  not found; DescribeImportTasks is empty; CancelImportTask and DescribeImportTaskBatches
  find no task;
- syslog configurations (ingestion through an interface VPC endpoint): the endpoint is not
  found; ListSyslogConfigurations is empty;
- S3 Tables integrations: the integration is not found;
- data sources (GetLogFields) and large log objects (GetLogObject, written only by
  PutOpenTelemetryLogs): gureum's log groups have none, so none is found, and
  ListAggregateLogGroupSummaries, which groups log groups by data source, has no group to count.
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.services.logs.api_transformers import group_of


def _not_found(message: str) -> AwsError:
    return AwsError.modeled("logs", "ResourceNotFoundException", message)


@operation("logs", "PutIntegration")
async def put_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise AwsError.modeled("logs", "ValidationException",
                           "Amazon OpenSearch Service is not available in this Region, so an OPENSEARCH integration "
                           "cannot be created.")


@operation("logs", "GetIntegration")
async def get_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Integration {params['integrationName']} does not exist.")


@operation("logs", "DeleteIntegration")
async def delete_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Integration {params['integrationName']} does not exist.")


@operation("logs", "ListIntegrations")
async def list_integrations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"integrationSummaries": []}


@operation("logs", "CreateImportTask")
async def create_import_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = params["importSourceArn"]
    parsed = arns.try_parse(source)
    if parsed is None or parsed.service != "cloudtrail" or not parsed.resource.startswith("eventdatastore/"):
        raise AwsError.modeled("logs", "InvalidParameterException",
                               f"importSourceArn {source} is not a CloudTrail event data store ARN.")
    raise _not_found(f"Event data store {source} does not exist.")


@operation("logs", "DescribeImportTasks")
async def describe_import_tasks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("importId"):
        raise _not_found(f"Import task {params['importId']} does not exist.")
    return {"imports": []}


@operation("logs", "CancelImportTask")
async def cancel_import_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Import task {params['importId']} does not exist.")


@operation("logs", "DescribeImportTaskBatches")
async def describe_import_task_batches(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Import task {params['importId']} does not exist.")


@operation("logs", "PutSyslogConfiguration")
async def put_syslog_configuration(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = group_of(params["logGroupIdentifier"])
    await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, group))
    endpoint = params.get("vpcEndpointId")
    if not endpoint:
        raise AwsError.modeled("logs", "InvalidParameterException", "vpcEndpointId is required.")
    raise _not_found(f"VPC endpoint {endpoint} does not exist.")


@operation("logs", "DeleteSyslogConfiguration")
async def delete_syslog_configuration(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = group_of(params["logGroupIdentifier"])
    await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, group))
    raise _not_found(f"Log group {group} has no syslog configuration.")


@operation("logs", "ListSyslogConfigurations")
async def list_syslog_configurations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("logGroupIdentifier"):
        group = group_of(params["logGroupIdentifier"])
        await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, group))
    return {"syslogConfigurations": []}


@operation("logs", "AssociateSourceToS3TableIntegration")
async def associate_source_to_s3_table_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Integration {params['integrationArn']} does not exist.")


@operation("logs", "ListSourcesForS3TableIntegration")
async def list_sources_for_s3_table_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Integration {params['integrationArn']} does not exist.")


@operation("logs", "DisassociateSourceFromS3TableIntegration")
async def disassociate_source_from_s3_table_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(f"Source {params['identifier']} does not exist.")


