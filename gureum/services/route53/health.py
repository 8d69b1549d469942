"""Route 53 health checks: the API (store layout, AWS's rules) and the checker that probes.

  route53.healthchecks    {account}/{id}   {"Id","CallerReference","HealthCheckConfig","HealthCheckVersion"}
  route53.healthcheckrefs {account}/{ref}  -> {"Id", "Config"} (CallerReference idempotency)

Changes publish on HEALTH_TOPIC. The `route53-health` component (`run`) keeps one asyncio
task per check and, inside it, one probe loop per checker region (simulated regions, each
probing independently from this machine): a region flips after FailureThreshold
consecutive results the other way; the check is healthy when more than 18% of its regions
say so (then Inverted / Disabled apply). CALCULATED checks count healthy children;
CLOUDWATCH_METRIC checks follow their alarm's state, read through CloudWatch's port
(health_metrics.py; INSUFFICIENT_DATA: InsufficientDataHealthStatus decides). The probing
node emits AWS/Route53's HealthCheckStatus, HealthCheckPercentageHealthy and
ChildHealthCheckHealthyCount (health_metrics.py).
Status changes go straight into the DNS server's index (`ZoneIndex.set_health`), which
drops cached decisions; nothing is read from the store per query.

With several nodes on one store, one node (a lease in the store) probes and the others take
its results from the store: see health_share.py.

Every checker region probes once as soon as the check is known (the regions' first probes
spread over FIRST_PROBE_SPREAD, so GetHealthCheckStatus has one real observation per region
from the start), then once per RequestInterval at its own
phase of the interval (regions spread evenly over it): per check, one probe per region per
interval, as AWS's independent checkers do.

Settings:
  route53.health_interval_scale      (default 1) multiplies every RequestInterval: tests use
                                     e.g. 0.02 so a 10 s interval becomes 0.2 s. Never lower it
                                     in production.
  route53.health_check_private_targets  whether checks may probe non-public addresses
                                     (loopback, RFC 1918, link-local such as 169.254.169.254,
                                     gureum's task bridge, shared/reserved/multicast ranges).
                                     Default: on with `--auth open` (one developer's cloud: its
                                     endpoints are on loopback), off with `--auth strict` (a
                                     shared cloud: a tenant must not scan the host's network).
                                     Off means AWS's behaviour: CreateHealthCheck/UpdateHealthCheck
                                     with such an IPAddress are InvalidInput, and a domain name
                                     resolving to such an address is reported unhealthy with the
                                     reason, never probed. See the README's threat model.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import ipaddress
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53 import health_metrics, health_share, model, paging
from gureum.services.route53.settings import Route53Settings
from gureum.services.route53.slots import DNS, HEALTH
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.route53.health")

HEALTHCHECKS = "route53.healthchecks"
HEALTH_REFS = "route53.healthcheckrefs"
SOURCES = "route53.hcsources"  # health check sources (health_sources.py owns them)
NOT_PRIVATE = ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL")
HEALTH_TOPIC = "route53.health"
MAX_HEALTH_CHECKS = 200
CHECKER_REGIONS = ("us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
                   "ap-northeast-1", "sa-east-1")
HEALTHY_SHARE = 0.18  # healthy when MORE than 18% of checkers report healthy
CONNECT_TIMEOUT = 4.0
TCP_CONNECT_TIMEOUT = 10.0
RESPONSE_TIMEOUT = 2.0
MATCH_BYTES = 5120
ENDPOINT_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")
LOCATION = "https://route53.amazonaws.com/2013-04-01"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
FIRST_PROBE_SPREAD = 1.0  # seconds over which a check's regions take their first probes


# --- the model ---------------------------------------------------------------------------------
def is_public(ip: str) -> bool:
    """Whether Route 53 may check an endpoint at `ip`: not in local, private, non-routable,
    reserved or multicast ranges (RFC 5735, RFC 6598, RFC 5156). IPv4 inside IPv6 (mapped,
    6to4, NAT64) is judged by the IPv4 address it carries."""
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        inner = addr.ipv4_mapped or addr.sixtofour
        if inner is None and addr in NAT64:
            inner = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if inner is not None:
            addr = inner
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_unspecified
                                   or addr.is_loopback or addr.is_link_local or addr.is_private)


def not_public_message(ip: str) -> str:
    return (f"Invalid parameter : IP address {ip} is not a public IP address. Route 53 can't check the health of "
            "endpoints for which the IP address is in local, private, non-routable, or multicast ranges.")


def private_targets_allowed(setting: bool | None, auth: str) -> bool:
    """The route53.health_check_private_targets setting (default: on unless --auth strict)."""
    return auth != "strict" if setting is None else setting


def _private_targets(app: App) -> bool:
    return private_targets_allowed(app.settings(Route53Settings).health_check_private_targets, app.config.auth)


def normalize_config(cfg: dict, private_targets: bool = True) -> dict:
    """The stored HealthCheckConfig: AWS's defaults filled in, rules checked (with
    `private_targets` off, an IPAddress must be public, as in AWS)."""
    cfg = {k: v for k, v in cfg.items() if v is not None}
    kind = cfg["Type"]
    if kind in ENDPOINT_TYPES and cfg.get("IPAddress") and not private_targets and not is_public(str(cfg["IPAddress"])):
        raise AwsError.modeled("route53", "InvalidInput", not_public_message(str(cfg["IPAddress"])))
    if kind == "RECOVERY_CONTROL":
        raise AwsError.modeled("route53", "InvalidInput", "RECOVERY_CONTROL health checks are not supported by gureum")
    if kind in ENDPOINT_TYPES:
        if not cfg.get("IPAddress") and not cfg.get("FullyQualifiedDomainName"):
            raise AwsError.modeled(
                "route53",
                "InvalidInput",
                "Invalid parameter : Either IPAddress or FullyQualifiedDomainName must be specified.",
            )
        if kind == "TCP" and cfg.get("Port") is None:
            raise AwsError.modeled(
                "route53", "InvalidInput", "Invalid parameter : Port is required for TCP health checks."
            )
        cfg.setdefault("Port", 443 if kind.startswith("HTTPS") else 80)
        if kind.endswith("STR_MATCH"):
            if not cfg.get("SearchString"):
                raise AwsError.modeled(
                    "route53",
                    "InvalidInput",
                    "Invalid parameter : SearchString is required for string matching health checks.",
                )
            if len(cfg["SearchString"]) > 255:
                raise AwsError.modeled(
                    "route53", "InvalidInput", "Invalid parameter : SearchString can be at most 255 characters."
                )
        if kind.startswith("HTTPS"):
            cfg.setdefault("EnableSNI", True)
        cfg.setdefault("RequestInterval", 30)
        cfg.setdefault("FailureThreshold", 3)
        cfg.setdefault("MeasureLatency", False)
        if cfg["RequestInterval"] not in (10, 30):
            raise AwsError.modeled("route53", "InvalidInput", "Invalid parameter : RequestInterval must be 10 or 30.")
        if not 1 <= int(cfg["FailureThreshold"]) <= 10:
            raise AwsError.modeled(
                "route53", "InvalidInput", "Invalid parameter : FailureThreshold must be between 1 and 10."
            )
    elif kind == "CALCULATED":
        children = cfg.get("ChildHealthChecks") or []
        if len(children) > 256:
            raise AwsError.modeled(
                "route53",
                "InvalidInput",
                "Invalid parameter : A calculated health check can have at most 256 child health checks.",
            )
        cfg.setdefault("ChildHealthChecks", [])
        cfg.setdefault("HealthThreshold", 0)
    elif kind == "CLOUDWATCH_METRIC":
        if not cfg.get("AlarmIdentifier"):
            raise AwsError.modeled(
                "route53",
                "InvalidInput",
                "Invalid parameter : AlarmIdentifier is required for CLOUDWATCH_METRIC health checks.",
            )
        cfg.setdefault("InsufficientDataHealthStatus", "LastKnownStatus")
    regions = cfg.get("Regions")
    if regions is not None and len(regions) < 3:
        raise AwsError.modeled("route53", "InvalidInput", "Invalid parameter : You must specify at least 3 regions.")
    cfg.setdefault("Inverted", False)
    cfg.setdefault("Disabled", False)
    return cfg


def get_check(txn: Txn, account: str, hc_id: str) -> dict:
    doc = txn.get(HEALTHCHECKS, f"{account}/{hc_id}")
    if doc is None:
        raise AwsError.modeled("route53", "NoSuchHealthCheck", f"No health check exists with the specified ID {hc_id}")
    return doc


def _check_endpoint_type(txn: Txn, account: str, cfg: dict) -> None:
    """EndpointType PRIVATE needs a health check source of this account that is ready; a
    PUBLIC check names none."""
    source = cfg.get("HealthCheckSourceId")
    if cfg.get("EndpointType") != "PRIVATE":
        if source:
            raise AwsError.modeled("route53", "InvalidInput", "HealthCheckSourceId can be specified only when EndpointType is PRIVATE.")
        return
    if cfg["Type"] in NOT_PRIVATE:
        raise AwsError.modeled("route53", "InvalidInput", f"EndpointType PRIVATE isn't supported for health checks of type {cfg['Type']}.")
    doc = txn.get(SOURCES, f"{account}/{source}") if source else None
    if doc is None or doc.get("HealthCheckSourceStatus") != "CREATE_COMPLETED":
        raise AwsError.modeled("route53", "InvalidInput",
                               "A PRIVATE health check needs the HealthCheckSourceId of a health check source in CREATE_COMPLETED status.")


def public_check(doc: dict) -> dict:
    """The HealthCheck output shape of a stored check."""
    return _public(doc)


def create_check(txn: Txn, account: str, ref: str, config: dict, private_targets: bool = True) -> tuple[dict, bool]:
    cfg = normalize_config(config, private_targets)
    _check_endpoint_type(txn, account, cfg)
    known = txn.get(HEALTH_REFS, f"{account}/{ref}")
    if known is not None:
        doc = txn.get(HEALTHCHECKS, f"{account}/{known['Id']}")
        if doc is not None and known.get("Config") == cfg:
            return doc, False
        raise AwsError.modeled(
            "route53",
            "HealthCheckAlreadyExists",
            "A health check with the specified CallerReference already exists, with different settings.",
        )
    if txn.count(HEALTHCHECKS, f"{account}/") >= MAX_HEALTH_CHECKS:
        raise AwsError.modeled(
            "route53",
            "TooManyHealthChecks",
            f"This operation would exceed the limit of {MAX_HEALTH_CHECKS} health checks.",
        )
    hc_id = str(uuid.uuid4())
    doc = {"Id": hc_id, "CallerReference": ref, "HealthCheckConfig": cfg, "HealthCheckVersion": 1}
    txn.put(HEALTHCHECKS, f"{account}/{hc_id}", doc)
    txn.put(HEALTH_REFS, f"{account}/{ref}", {"Id": hc_id, "Config": cfg})
    txn.publish(HEALTH_TOPIC, {"kind": "put", "check": doc, "account": account})
    return doc, True


UPDATABLE = ("IPAddress", "Port", "ResourcePath", "FullyQualifiedDomainName", "SearchString", "FailureThreshold",
             "Inverted", "Disabled", "HealthThreshold", "ChildHealthChecks", "EnableSNI", "Regions",
             "AlarmIdentifier", "InsufficientDataHealthStatus")
RESETTABLE: dict[str, list[str] | None] = {
    "FullyQualifiedDomainName": None, "Regions": None, "ResourcePath": None, "ChildHealthChecks": []}


def update_check(txn: Txn, account: str, params: dict, private_targets: bool = True) -> dict:
    doc = get_check(txn, account, params["HealthCheckId"])
    if params.get("HealthCheckVersion") is not None and int(params["HealthCheckVersion"]) != doc["HealthCheckVersion"]:
        raise AwsError.modeled(
            "route53",
            "HealthCheckVersionMismatch",
            "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check.",
        )
    cfg = dict(doc["HealthCheckConfig"])
    for k in params.get("ResetElements") or []:
        if RESETTABLE.get(k) is None:
            cfg.pop(k, None)
        else:
            cfg[k] = RESETTABLE[k]
    for k in UPDATABLE:
        if params.get(k) is not None:
            cfg[k] = params[k]
    if params.get("HealthCheckSourceId") is not None:  # a PRIVATE check may move to another source
        cfg["HealthCheckSourceId"] = params["HealthCheckSourceId"]
    doc["HealthCheckConfig"] = normalize_config(cfg, private_targets)
    _check_endpoint_type(txn, account, doc["HealthCheckConfig"])
    doc["HealthCheckVersion"] += 1
    txn.put(HEALTHCHECKS, f"{account}/{doc['Id']}", doc)
    txn.publish(HEALTH_TOPIC, {"kind": "put", "check": doc, "account": account})
    return doc


def delete_check(txn: Txn, account: str, hc_id: str) -> None:
    doc = get_check(txn, account, hc_id)
    for _k, other in txn.scan(HEALTHCHECKS, f"{account}/"):
        if hc_id in (other["HealthCheckConfig"].get("ChildHealthChecks") or []):
            raise AwsError.modeled(
                "route53",
                "HealthCheckInUse",
                f"Health check {hc_id} is a child of calculated health check {other['Id']}.",
            )
    txn.delete(HEALTHCHECKS, f"{account}/{hc_id}")
    txn.delete(model.TAGS, f"{account}/healthcheck/{hc_id}")
    txn.publish(HEALTH_TOPIC, {"kind": "delete", "id": doc["Id"]})


def load_all(txn: Txn) -> list[dict]:
    return [doc for _k, doc in txn.scan(HEALTHCHECKS)]


def load_accounts(txn: Txn) -> dict[str, str]:
    """health check id -> its account (the metrics' and alarms' owner)."""
    return {str(doc["Id"]): key.split("/", 1)[0] for key, doc in txn.scan(HEALTHCHECKS)}


# --- probes ------------------------------------------------------------------------------------
async def probe(cfg: dict, private_targets: bool = True) -> tuple[bool, str]:
    """One observation of an endpoint check from this machine: (ok, AWS-style status text).
    With `private_targets` off a non-public address is never connected to."""
    kind = cfg["Type"]
    host = cfg.get("IPAddress")
    fqdn = cfg.get("FullyQualifiedDomainName")
    port = int(cfg.get("Port") or 80)
    if not host:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(fqdn, port, type=socket.SOCK_STREAM)
            host = str(infos[0][4][0])
        except OSError as exc:
            return False, f"Failure: DNS resolution failed: {exc}"
    if not private_targets and not is_public(str(host)):
        return False, (f"Failure: Resolved IP: {host} is not a public IP address. Route 53 doesn't check the health of "
                       "endpoints in local, private, non-routable, or multicast ranges.")
    tls = None
    if kind.startswith("HTTPS"):
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE  # Route 53 does not validate certificates
    server_hostname = (fqdn if cfg.get("EnableSNI", True) and fqdn else None) if tls else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=tls, server_hostname=server_hostname if tls else None,
                                    ssl_handshake_timeout=CONNECT_TIMEOUT if tls else None),
            TCP_CONNECT_TIMEOUT if kind == "TCP" else CONNECT_TIMEOUT)
    except TimeoutError:
        return False, "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
    except (OSError, ssl.SSLError) as exc:
        return False, f"Failure: Connection refused. The endpoint or the internet connection is down, or requests are being blocked by your firewall. ({exc.__class__.__name__})"
    try:
        if kind == "TCP":
            return True, "Success: TCP connection established"
        path = cfg.get("ResourcePath") or "/"
        if not path.startswith("/"):
            path = "/" + path
        host_header = fqdn or host
        default_port = 443 if tls else 80
        if port != default_port:
            host_header = f"{host_header}:{port}"
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\n"
                      "User-Agent: Amazon-Route53-Health-Check-Service (gureum)\r\nConnection: close\r\n\r\n").encode())
        try:
            status_line = await asyncio.wait_for(reader.readline(), RESPONSE_TIMEOUT)
            parts = status_line.decode("latin-1").split(" ", 2)
            code = int(parts[1])
            reason = parts[2].strip() if len(parts) > 2 else ""
            if not 200 <= code < 400:
                return False, f"Failure: HTTP Status Code {code}, {reason}. Resolved IP: {host}"
            if not kind.endswith("STR_MATCH"):
                return True, f"Success: HTTP Status Code {code}, {reason}"
            body = await asyncio.wait_for(_body(reader), RESPONSE_TIMEOUT)
        except TimeoutError:
            return False, "Failure: The endpoint did not respond within 2 seconds."
        except (ValueError, IndexError):
            return False, "Failure: The endpoint sent a malformed HTTP response."
        if cfg["SearchString"].encode() in body[:MATCH_BYTES]:
            return True, f"Success: HTTP Status Code {code}, {reason}. Response body matches the search string."
        return False, f"Failure: Response body didn't match the search string. Resolved IP: {host}"
    except OSError as exc:
        return False, f"Failure: {exc}"
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _body(reader: asyncio.StreamReader) -> bytes:
    while True:  # headers
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
    out = b""
    while len(out) < MATCH_BYTES:
        chunk = await reader.read(MATCH_BYTES - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RegionState:
    healthy: bool = True
    streak: int = 0  # consecutive results disagreeing with `healthy`
    report: str = ""
    checked: dt.datetime | None = None
    last_failure: tuple[str, dt.datetime] | None = None


@dataclass
class CheckState:
    doc: dict
    regions: dict[str, RegionState] = field(default_factory=dict)
    raw_healthy: bool = True  # before Inverted/Disabled
    task: asyncio.Task | None = None


class HealthChecker:
    """The live checker: every check's state, the probe tasks, the link to the DNS index."""

    def __init__(self, scale: float = 1.0, private_targets: bool = True) -> None:
        self.scale = scale
        self.private_targets = private_targets
        self.checks: dict[str, CheckState] = {}
        self.status: dict[str, bool] = {}
        self.index: Any = None  # the DNS ZoneIndex once the dns component is up
        self._tasks: asyncio.TaskGroup | None = None
        # Whether this node probes: always alone; with a shared store, while it holds the
        # lease (health_share.py), and then `store` gets each region's state after each probe.
        self.leading = True
        self.store: Any = None
        self.accounts: dict[str, str] = {}  # check id -> account (health_metrics.py)
        self.alarm_state: dict[str, str] = {}  # CLOUDWATCH_METRIC check id -> its alarm's state

    # --- evaluation ----------------------------------------------------------------------
    def healthy(self, hc_id: str) -> bool:
        return self.status.get(hc_id, True)

    def _final(self, st: CheckState) -> bool:
        cfg = st.doc["HealthCheckConfig"]
        if cfg.get("Disabled"):
            return True  # a disabled check is considered healthy
        return st.raw_healthy != bool(cfg.get("Inverted"))

    def evaluate(self) -> None:
        """Recompute every status (calculated checks from children) and push changes."""
        for _ in range(3):  # calculated checks of calculated checks settle in a few passes
            for hc_id, st in self.checks.items():
                cfg = st.doc["HealthCheckConfig"]
                if cfg["Type"] == "CALCULATED":
                    children = cfg.get("ChildHealthChecks") or []
                    up = sum(1 for c in children if self.status.get(c, True))
                    threshold = int(cfg.get("HealthThreshold") or 0)
                    st.raw_healthy = threshold == 0 or (threshold <= len(children) and up >= threshold)
                elif cfg["Type"] == "CLOUDWATCH_METRIC":
                    policy = cfg.get("InsufficientDataHealthStatus", "LastKnownStatus")
                    alarm = self.alarm_state.get(hc_id)
                    if alarm in ("OK", "ALARM"):
                        st.raw_healthy = alarm == "OK"
                    elif policy == "Healthy":
                        st.raw_healthy = True
                    elif policy == "Unhealthy":
                        st.raw_healthy = False
                elif st.regions:
                    up = sum(1 for r in st.regions.values() if r.healthy)
                    st.raw_healthy = up / len(st.regions) > HEALTHY_SHARE
                self.status[hc_id] = self._final(st)
        if self.index is not None:
            self.index.set_health(dict(self.status))

    def put(self, doc: dict) -> None:
        old = self.checks.pop(doc["Id"], None)
        if old is not None and old.task is not None:
            old.task.cancel()
        cfg = doc["HealthCheckConfig"]
        st = CheckState(doc)
        if old is not None:
            st.raw_healthy = old.raw_healthy
        if cfg["Type"] in ENDPOINT_TYPES:
            for region in cfg.get("Regions") or CHECKER_REGIONS:
                prev = old.regions.get(region) if old is not None else None
                st.regions[region] = prev or RegionState()
            self._start(st)
        self.checks[doc["Id"]] = st
        self.evaluate()

    def _start(self, st: CheckState) -> None:
        if self._tasks is not None and self.leading and st.task is None and st.regions:
            st.task = self._tasks.create_task(self._probe_check(st), name=f"route53-health-{st.doc['Id']}")

    def drop(self, hc_id: str) -> None:
        st = self.checks.pop(hc_id, None)
        if st is not None and st.task is not None:
            st.task.cancel()
        self.status.pop(hc_id, None)
        if self.index is not None:
            self.index.forget_health(hc_id)
        self.evaluate()

    async def _probe_check(self, st: CheckState) -> None:
        async with asyncio.TaskGroup() as tg:
            for i, region in enumerate(st.regions):
                tg.create_task(self._probe_region(st, region, i / max(1, len(st.regions))))

    async def _probe_region(self, st: CheckState, region: str, offset: float) -> None:
        cfg = st.doc["HealthCheckConfig"]
        interval = max(0.05, float(cfg.get("RequestInterval", 30)) * self.scale)
        threshold = int(cfg.get("FailureThreshold", 3))
        rs = st.regions[region]
        loop = asyncio.get_running_loop()
        start = loop.time()
        base = start + interval * offset  # this region's slots: base + k * interval
        # The first probe soon (every region observed from the start, spread over a second
        # so many checks loaded at once do not probe in one burst); the next ones at the
        # region's own phase of the interval, so regions stay spread over it.
        await asyncio.sleep(min(interval, FIRST_PROBE_SPREAD) * offset)
        while True:
            try:
                ok, report = await probe(cfg, self.private_targets)
            except Exception as exc:
                log.exception("health probe failed")
                ok, report = False, f"Failure: {exc}"
            now = _now()
            rs.report, rs.checked = report, now
            if not ok:
                rs.last_failure = (report, now)
            if ok == rs.healthy:
                rs.streak = 0
            else:
                rs.streak += 1
                if rs.streak >= threshold:
                    rs.healthy, rs.streak = ok, 0
                    self.evaluate()
            if self.store is not None:  # shared store: the other nodes answer from this result
                doc = health_share.region_doc(rs.healthy, rs.streak, rs.report, rs.checked, rs.last_failure)
                try:
                    await self.store.run(functools.partial(health_share.save_region, hc_id=st.doc["Id"], region=region, doc=doc))
                except Exception:
                    log.exception("saving a health check result failed")
            now_t = loop.time()
            slots = 0 if now_t < base else 1 + int((now_t - base) // interval)
            await asyncio.sleep(base + slots * interval - now_t)

    def observations(self, hc_id: str, failures: bool = False) -> list[dict]:
        st = self.checks.get(hc_id)
        if st is None:
            return []
        out = []
        for region, rs in st.regions.items():
            if failures:
                if rs.last_failure is None:
                    continue
                report, when = rs.last_failure
            else:
                if rs.checked is None:
                    continue
                report, when = rs.report, rs.checked
            out.append({"Region": region, "IPAddress": "127.0.0.1", "StatusReport": {"Status": report, "CheckedTime": when}})
        return out

    async def serve(self, app: App) -> None:
        unsubscribe = app.store.subscribe(HEALTH_TOPIC, self._on_event)
        try:
            self.leading = not app.store.shared  # shared: probe only once the lease is ours
            async with asyncio.TaskGroup() as tg:
                self._tasks = tg
                self.accounts.update(await app.store.read(load_accounts))
                for doc in await app.store.read(load_all):
                    self.put(doc)
                settings = app.settings(Route53Settings)
                app.every(settings.health_metrics_interval, lambda: self._emit_metrics(app), name="route53-health-metrics")
                app.every(max(0.1, 10.0 * self.scale), lambda: self._follow_alarms(app), name="route53-health-alarms")
                app.parts.put(HEALTH, self)
                tg.create_task(self._link_dns(app))
                app.every(10.0, lambda: self._reconcile(app), name="route53-health-reconcile")
                if app.store.shared:
                    tg.create_task(self._share(app))
                # The probe tasks live in this TaskGroup: it stays open until the node stops.
                await asyncio.get_running_loop().create_future()
        finally:
            unsubscribe()

    async def _share(self, app: App) -> None:
        """Several nodes: hold or wait for the probing lease; without it, follow the results."""
        loop = asyncio.get_running_loop()
        renew_at = 0.0
        try:
            while True:
                if loop.time() >= renew_at:
                    renew_at = loop.time() + health_share.LEAD_RENEW
                    now = time.time()
                    try:
                        lead = await app.store.run(functools.partial(health_share.claim_lead, node=app.node_id, now=now))
                    except Exception:
                        log.exception("route53 health: claiming the checker lease failed")
                        lead = False
                    if lead != self.leading:
                        try:
                            await self._lead(app, lead)
                        except Exception:  # the store away: the lease is claimed again next round
                            log.exception("route53 health: taking up or handing over the checks failed")
                            renew_at = 0.0
                if not self.leading:
                    try:
                        await self._follow(app)
                    except Exception:  # the store away (e.g. PostgreSQL restarting): follow again next round
                        log.exception("route53 health: reading the shared results failed")
                await asyncio.sleep(health_share.FOLLOW_EVERY)
        finally:
            if self.leading:
                with contextlib.suppress(Exception):
                    await asyncio.shield(app.store.run(lambda t: health_share.release_lead(t, app.node_id)))

    async def _lead(self, app: App, lead: bool) -> None:
        if lead:  # start from what the previous leader saw
            await self._follow(app)
            self.store = app.store
            self.leading = True
            for st in self.checks.values():
                self._start(st)
            log.info("route53 health: this node probes the health checks")
        else:
            self.leading = False
            self.store = None
            for st in self.checks.values():
                if st.task is not None:
                    st.task.cancel()
                    st.task = None

    async def _follow(self, app: App) -> None:
        """Copy the probing node's region states into this node's checks, then evaluate."""
        states = await app.store.read(health_share.load_regions)
        changed = False
        for hc_id, regions in states.items():
            st = self.checks.get(hc_id)
            if st is None:
                continue
            for region, doc in regions.items():
                rs = st.regions.get(region)
                if rs is None:
                    continue
                healthy, rs.streak, rs.report, rs.checked, rs.last_failure = health_share.region_fields(doc)
                changed = changed or healthy != rs.healthy
                rs.healthy = healthy
        if changed:
            self.evaluate()

    def _on_event(self, event: Any) -> None:
        data = event.data
        if data.get("kind") == "put":
            if data.get("account"):
                self.accounts[data["check"]["Id"]] = data["account"]
            self.put(data["check"])
        elif data.get("kind") == "delete":
            self.drop(data["id"])

    async def _link_dns(self, app: App) -> None:
        server = await app.parts.wait(DNS)
        self.index = server.index
        self.evaluate()

    def _emit_metrics(self, app: App) -> None:
        """AWS/Route53's health check metrics (health_metrics.py), by the node that probes."""
        if self.leading:
            health_metrics.emit(app, self.checks, self.status, self.accounts)

    async def _follow_alarms(self, app: App) -> None:
        """CLOUDWATCH_METRIC checks: read their alarms' states; re-evaluate on a change."""
        states = await health_metrics.read_alarm_states(app, health_metrics.alarm_refs(self.checks, self.accounts))
        if states != self.alarm_state:
            self.alarm_state = states
            self.evaluate()

    async def _reconcile(self, app: App) -> None:
        """Checks changed by other nodes sharing the store (run now and then)."""
        self.accounts.update(await app.store.read(load_accounts))
        docs = {d["Id"]: d for d in await app.store.read(load_all)}
        for hc_id in [h for h in self.checks if h not in docs]:
            self.drop(hc_id)
        if self.leading and app.store.shared:
            await app.store.run(lambda t: health_share.forget_checks(t, set(docs)))
        for hc_id, doc in docs.items():
            known = self.checks.get(hc_id)
            if known is None or known.doc["HealthCheckVersion"] != doc["HealthCheckVersion"]:
                self.put(doc)


async def run(app: App) -> None:
    """The `route53-health` component: probe every health check until cancelled."""
    await HealthChecker(app.settings(Route53Settings).health_interval_scale, _private_targets(app)).serve(app)


# --- API handlers --------------------------------------------------------------------------------
def _public(doc: dict) -> dict:
    return {k: doc[k] for k in ("Id", "CallerReference", "HealthCheckConfig", "HealthCheckVersion")}


@operation("route53", "CreateHealthCheck")
async def create_health_check(ctx: RequestContext, params: dict) -> dict:
    private = _private_targets(ctx.app)
    doc, _new = await ctx.app.store.run(lambda txn: create_check(txn, ctx.account_id, params["CallerReference"], params["HealthCheckConfig"], private))
    return {"HealthCheck": _public(doc), "Location": f"{LOCATION}/healthcheck/{doc['Id']}"}


@operation("route53", "GetHealthCheck")
async def get_health_check(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: get_check(txn, ctx.account_id, params["HealthCheckId"]))
    return {"HealthCheck": _public(doc)}


@operation("route53", "ListHealthChecks")
async def list_health_checks(ctx: RequestContext, params: dict) -> dict:
    n = paging.count(params, "MaxItems", 100, 1000)
    marker = params.get("Marker")
    prefix = f"{ctx.account_id}/"
    # AWS's Marker is a health check id (a real key): a range scan starts at it
    rows = await ctx.app.store.read(lambda txn: txn.scan(HEALTHCHECKS, prefix, start=prefix + marker if marker else None, limit=n + 1))
    page = [d for _k, d in rows[:n]]
    out: dict[str, Any] = {"HealthChecks": [_public(d) for d in page], "Marker": marker or "",
                           "IsTruncated": len(rows) > n, "MaxItems": str(n)}
    if out["IsTruncated"]:
        out["NextMarker"] = rows[n][1]["Id"]
    return out


@operation("route53", "UpdateHealthCheck")
async def update_health_check(ctx: RequestContext, params: dict) -> dict:
    private = _private_targets(ctx.app)
    doc = await ctx.app.store.run(lambda txn: update_check(txn, ctx.account_id, params, private))
    return {"HealthCheck": _public(doc)}


@operation("route53", "DeleteHealthCheck")
async def delete_health_check(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: delete_check(txn, ctx.account_id, params["HealthCheckId"]))
    return {}


@operation("route53", "GetHealthCheckCount")
async def get_health_check_count(ctx: RequestContext, params: dict) -> dict:
    n = await ctx.app.store.read(lambda txn: txn.count(HEALTHCHECKS, f"{ctx.account_id}/"))
    return {"HealthCheckCount": n}


@operation("route53", "GetHealthCheckStatus")
async def get_health_check_status(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: get_check(txn, ctx.account_id, params["HealthCheckId"]))
    checker = ctx.app.parts.get(HEALTH)
    return {"HealthCheckObservations": checker.observations(doc["Id"]) if checker else []}


@operation("route53", "GetHealthCheckLastFailureReason")
async def get_health_check_last_failure_reason(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: get_check(txn, ctx.account_id, params["HealthCheckId"]))
    checker = ctx.app.parts.get(HEALTH)
    return {"HealthCheckObservations": checker.observations(doc["Id"], failures=True) if checker else []}


@operation("route53", "GetCheckerIpRanges")
async def get_checker_ip_ranges(ctx: RequestContext, params: dict) -> dict:
    # gureum's checkers probe from this machine, over loopback in tests.
    return {"CheckerIpRanges": ["127.0.0.0/8"]}
