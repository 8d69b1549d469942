"""Application Load Balancer access logs (the `access_logs.s3.enabled/bucket/prefix` load
balancer attributes), written as AWS writes them.

Enabling (`check_enable`, from ModifyLoadBalancerAttributes before its transaction): the
bucket must exist, be in the load balancer's region, and its policy must let Elastic Load
Balancing write: s3:PutObject on `<prefix>/AWSLogs/<account>/*` granted to the region's ELB
account (`arn:aws:iam::<elb account>:root`, ELB_ACCOUNTS) or to the service principal
logdelivery.elasticloadbalancing.amazonaws.com; otherwise InvalidConfigurationRequest
"Access Denied for bucket: <bucket>. Please check S3bucket permission". Then, as AWS does, the
test object `<prefix>/AWSLogs/<account>/ELBAccessLogTestFile` is written.

Entries (`entry`, a pure function): one line per request in the "Access log entries" format
of the ELB user guide, space-separated: type time elb client:port target:port
request_processing_time target_processing_time response_processing_time elb_status_code
target_status_code received_bytes sent_bytes "request" "user_agent" ssl_cipher ssl_protocol
target_group_arn "trace_id" "domain_name" "chosen_cert_arn" matched_rule_priority
request_creation_time "actions_executed" "redirect_url" "error_reason" "target:port_list"
"target_status_code_list" "classification" "classification_reason" conn_trace_id. What a
node cannot know is "-" (the TLS cipher, protocol, SNI name and certificate of an HTTPS
request: the TLS relay does not hand them on), and so are error_reason (gureum has none of
the authentication or Lambda failures AWS names there) and the desync classification.

Delivery (`AccessLogs`): nothing is in the store. Each node buffers the entries of the
requests it served, per load balancer, in memory (at most MAX_BUFFERED per load balancer and
interval; more are counted as dropped and logged), and every `elbv2.access_log_interval`
seconds (AWS: 5 minutes) writes one gzip object per load balancer with entries, as each AWS
load balancer node writes its own file, named
`<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/<account>_elasticloadbalancing_<region>_app.<name>.<id>_<end yyyymmddTHHMMZ>_<node ip>_<random>.log.gz`
through S3's port. The bucket policy is checked again at each write: a batch the policy no
longer allows is dropped (logged), as AWS's delivery fails. A node stopped cleanly writes
what it holds; a node killed loses its unwritten entries (AWS: delivery is best effort)."""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.elbv2 import attributes, balancers
from gureum.services.elbv2.names import validation
from gureum.services.s3 import port as s3

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.elbv2.alb import Incoming
    from gureum.services.elbv2.snapshot import ListenerView

log = logging.getLogger("gureum.elbv2.access_logs")
Doc = dict[str, Any]
MAX_BUFFERED = 50_000
LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
TEST_FILE = "ELBAccessLogTestFile"
# the Elastic Load Balancing account of each region that has one (AWS's documented list);
# regions opened since 2022 grant the log delivery service principal instead
ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378", "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
_RANDOM = string.ascii_lowercase + string.digits


def _denied(bucket: str) -> AwsError:
    return AwsError.modeled("elbv2", "InvalidConfigurationRequest",
                            f"Access Denied for bucket: {bucket}. Please check S3bucket permission")


def log_root(prefix: str, account: str) -> str:
    """`<prefix>/AWSLogs/<account>/` (no leading prefix when it is empty)."""
    prefix = prefix.strip("/")
    return f"{prefix + '/' if prefix else ''}AWSLogs/{account}/"


def object_key(prefix: str, account: str, region: str, lb_name: str, lb_id: str, end: float, ip: str,
               random: str) -> str:
    """Where one delivery of a load balancer's entries goes (AWS's file name format)."""
    t = datetime.fromtimestamp(end, timezone.utc)
    return (f"{log_root(prefix, account)}elasticloadbalancing/{region}/{t:%Y/%m/%d}/"
            f"{account}_elasticloadbalancing_{region}_app.{lb_name}.{lb_id}_{t:%Y%m%dT%H%MZ}_{ip}_{random}.log.gz")


async def may_write(app: App, region: str, bucket: str, resource_key: str) -> bool:
    """Whether the bucket's policy lets Elastic Load Balancing put `resource_key`."""
    from gureum.policy import resource_policies
    from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
    from gureum.policy.gate import parsed

    resource = arns.s3_object(bucket, resource_key)
    policy = parsed(app, await resource_policies.read(app, "s3", "s3:PutObject", resource), "resource")
    if policy is None:
        return False
    callers = [Principal(arn=LOG_DELIVERY, account="", kind="service", service=LOG_DELIVERY)]
    if region in ELB_ACCOUNTS:
        callers.append(Principal(arn=arns.iam_root(ELB_ACCOUNTS[region]), account=ELB_ACCOUNTS[region], kind="root"))
    return any(statement_decision(policy, AuthRequest(p, "s3:PutObject", resource, {})) is Decision.ALLOW
               for p in callers)


async def check_enable(app: App, lb_arn: str, changes: list[Doc]) -> None:
    """ModifyLoadBalancerAttributes' check of access logs being turned on (or moved to another
    bucket or prefix), and AWS's test object once they may be (see the module docstring)."""
    keys = {str(c.get("Key", "")) for c in changes}
    if not keys & {"access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix"}:
        return
    k, doc = await app.store.read(lambda t: balancers.get(t, lb_arn))
    if doc["Type"] != "application":
        return  # NLB: access logs are of TLS listeners, which gureum does not serve
    after = attributes.apply(doc["attributes"], changes, "Load balancer")
    if after.get("access_logs.s3.enabled") != "true":
        return
    bucket, prefix = after.get("access_logs.s3.bucket", ""), after.get("access_logs.s3.prefix", "")
    if not bucket:
        raise validation("The value of 'access_logs.s3.bucket' cannot be empty")
    if prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
        raise validation("The value of 'access_logs.s3.prefix' cannot start or end with '/' or contain 'AWSLogs'")
    account, region = k.split("/")[0], k.split("/")[1]
    try:
        _, bucket_region = await s3.bucket_facts(app, bucket)
    except AwsError:
        raise AwsError.modeled("elbv2", "InvalidConfigurationRequest",
                               f"The specified bucket does not exist: {bucket}") from None
    if bucket_region != region:
        raise AwsError.modeled("elbv2", "InvalidConfigurationRequest",
                               f"The bucket {bucket} is not in the same region as the load balancer")
    test_key = log_root(prefix, account) + TEST_FILE
    if not await may_write(app, region, bucket, test_key):
        raise _denied(bucket)
    await s3.put(app, bucket, test_key, b"Enable AccessLog for ELB: " + lb_arn.encode(), content_type="text/plain",
                 principal=LOG_DELIVERY)


def _seconds(value: float | None) -> str:
    return "-1" if value is None else f"{max(value, 0.0):.3f}"


def _iso(epoch: float) -> str:
    whole, micros = divmod(round(epoch * 1_000_000), 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


def _quoted(value: str | None) -> str:
    if not value:
        return '"-"'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Trail:
    """What one request met while the load balancer served it: the rule it matched, the target
    it went to and its trace id (alb.py's decision, made only when the load balancer's access
    logs are on), and when it was sent to and answered by the target (monotonic, front.py)."""

    received: float  # epoch seconds
    started: float  # monotonic
    rule: Doc | None = None
    target: tuple[str, int] | None = None
    trace: str | None = None
    sent: float | None = None
    answered: float | None = None
    redirect: str | None = None


@dataclass(frozen=True)
class Served:
    """The facts of one answered request that are not in its Trail."""

    protocol: str  # the listener's: HTTP or HTTPS
    lb_arn: str
    client: tuple[str, int]
    method: str
    url: str  # scheme://host:port/path?query as AWS logs it
    user_agent: str | None
    status: int
    from_target: bool
    group_arn: str | None
    received_bytes: int  # request line, headers and body as the load balancer read them
    sent_bytes: int  # status line, headers and body as the load balancer answered them
    host: str | None  # the SNI name of an HTTPS request (not known here: None)


def entry(s: Served, trail: Trail, done_mono: float, done_epoch: float) -> str:
    """One access log line (without its newline), AWS's field order."""
    lb_path = s.lb_arn.split(":loadbalancer/", 1)[-1]
    target = f"{trail.target[0]}:{trail.target[1]}" if trail.target is not None else "-"
    request_t: float | None
    target_t: float | None
    response_t: float | None
    if trail.sent is not None and trail.answered is not None and s.from_target:
        request_t, target_t, response_t = trail.sent - trail.started, trail.answered - trail.sent, done_mono - trail.answered
    elif trail.target is None and trail.rule is not None and trail.rule["Actions"][-1]["Type"] != "forward":
        request_t, target_t, response_t = done_mono - trail.started, None, 0.0  # answered by the load balancer itself
    else:
        request_t = target_t = response_t = None  # no target, or the target failed / timed out
    target_status = str(s.status) if s.from_target else "-"
    rule = trail.rule
    priority = "-" if rule is None else ("0" if rule.get("Priority") == "default" else str(rule.get("Priority")))
    executed = ",".join(a["Type"] for a in rule["Actions"]) if rule is not None else "-"
    fields = [
        "https" if s.protocol == "HTTPS" else "http", _iso(done_epoch), lb_path, f"{s.client[0]}:{s.client[1]}", target,
        _seconds(request_t), _seconds(target_t), _seconds(response_t), str(s.status), target_status,
        str(s.received_bytes), str(s.sent_bytes), _quoted(f"{s.method} {s.url} HTTP/1.1"), _quoted(s.user_agent),
        "-", "-", s.group_arn or "-", _quoted(trail.trace), _quoted(s.host), '"-"', priority, _iso(trail.received),
        _quoted(executed), _quoted(trail.redirect), '"-"', _quoted(target if target != "-" else None),
        _quoted(target_status if target_status != "-" else None), '"-"', '"-"', "TID_" + os.urandom(16).hex(),
    ]
    return " ".join(fields)


def served(view: ListenerView, req: Incoming, client: tuple[str, int], status: int, from_target: bool,
           group_arn: str | None, body_in: int, sent: int) -> Served:
    """The facts of an answered request as its entry logs them (`body_in`: the request body's
    bytes as read, `sent`: every byte of the answer)."""
    host = req.header("host") or f"{view.address}:{view.port}"
    if ":" not in host.rsplit("]", 1)[-1]:
        host = f"{host}:{view.port}"
    query = "?" + req.query_string if req.query_string else ""
    received = (len(req.method) + len(req.raw_path) + len(query) + 12  # request line
                + sum(len(k) + len(v) + 4 for k, v in req.headers) + 2 + body_in)
    return Served(view.protocol, view.lb_arn, client, req.method,
                  f"{view.protocol.lower()}://{host}{req.raw_path}{query}", req.header("user-agent"),
                  status, from_target, group_arn, received, sent, None)


@dataclass
class _Batch:
    ip: str
    # (entry facts, trail, monotonic and epoch time of the answer): formatted when written,
    # off the request path
    lines: list[tuple[Served, Trail, float, float]] = field(default_factory=list)
    dropped: int = 0


def _file(items: list[tuple[Served, Trail, float, float]]) -> bytes:
    """A log file's gzip bytes: one entry per line."""
    return gzip.compress("".join(entry(*item) + "\n" for item in items).encode(), compresslevel=6)


class AccessLogs:
    """This node's unwritten entries, per load balancer ARN, and their delivery."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.batches: dict[tuple[str, str, str], _Batch] = {}  # (LB ARN, bucket, prefix) -> entries
        self.written = 0  # entries delivered (for `gureum status` and tests of the writer)

    def add(self, view: ListenerView, req: Incoming, client: tuple[str, int], status: int, from_target: bool,
            group_arn: str | None, trail: Trail, body_in: int, sent: int) -> None:
        """Buffer one request's entry if its load balancer's access logs are (still) on."""
        attrs = view.lb_attributes
        if attrs.get("access_logs.s3.enabled") != "true" or not attrs.get("access_logs.s3.bucket"):
            return
        where = (view.lb_arn, attrs["access_logs.s3.bucket"], attrs.get("access_logs.s3.prefix", ""))
        batch = self.batches.get(where)
        if batch is None:
            batch = self.batches[where] = _Batch(view.address)
        if len(batch.lines) >= MAX_BUFFERED:
            batch.dropped += 1
            return
        batch.lines.append((served(view, req, client, status, from_target, group_arn, body_in, sent), trail,
                            time.monotonic(), time.time()))

    async def flush(self) -> int:
        """Write every load balancer's buffered entries (one object each); how many entries."""
        batches, self.batches = self.batches, {}
        n = 0
        for (lb_arn, bucket, prefix), batch in batches.items():
            if batch.dropped:
                log.warning("access log of %s: %d entries dropped (more than %d in one interval)", lb_arn,
                            batch.dropped, MAX_BUFFERED)
            if not batch.lines:
                continue
            try:
                n += await self._write(lb_arn, bucket, prefix, batch)
            except Exception:  # noqa: BLE001 - one load balancer's delivery must not stop the others'
                log.exception("access log delivery of %s failed", lb_arn)
        self.written += n
        return n

    async def _write(self, lb_arn: str, bucket: str, prefix: str, batch: _Batch) -> int:
        ref = arns.parse(lb_arn)
        account, region = ref.account, ref.region
        _, name, lb_id = lb_arn.split(":loadbalancer/", 1)[-1].split("/")
        end = time.time()
        rand = "".join(secrets.choice(_RANDOM) for _ in range(8))
        key = object_key(prefix, account, region, name, lb_id, end, batch.ip, rand)
        if not await may_write(self.app, region, bucket, key):
            log.warning("access log of %s not delivered: %s", lb_arn, _denied(bucket).message)
            return 0
        body = await asyncio.to_thread(_file, batch.lines)
        await s3.put(self.app, bucket, key, body, content_type="application/octet-stream",
                     principal=LOG_DELIVERY)
        return len(batch.lines)
