"""IAM's GenerateCredentialReport and GetCredentialReport (query protocol): thin handlers over
credential_report.py."""

from __future__ import annotations

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.api import P, _read, _run, iam_op
from gureum.services.iam.credential_report import MAX_AGE, CredentialReports


@iam_op("GenerateCredentialReport")
async def generate_credential_report(ctx: RequestContext, p: P) -> P:
    now = ids.now()
    started = await _run(ctx, lambda m: CredentialReports(m).generate(now))
    if started:
        return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}
    return {"State": "COMPLETE"}


@iam_op("GetCredentialReport")
async def get_credential_report(ctx: RequestContext, p: P) -> P:
    report = await _read(ctx, lambda m: CredentialReports(m).find())
    if report is None:
        raise AwsError.modeled(
            "iam", "ReportNotPresent", f"Unable to find a credential report for account {ctx.account_id}. "
            "Call GenerateCredentialReport to generate a report."
        )
    generated = ids.parse_iso(report["GeneratedTime"])
    if ids.now() - generated >= MAX_AGE:
        raise AwsError.modeled(
            "iam", "ReportExpired", "The credential report is older than 4 hours. Call GenerateCredentialReport."
        )
    return {"Content": report["Content"].encode(), "ReportFormat": "text/csv", "GeneratedTime": generated}
