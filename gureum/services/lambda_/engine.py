"""The Lambda data plane on one node: resolves what to run (from a cache of function
documents kept in sync through the store's change events), runs it through the scheduler,
and records logs and usage. `run(app)` is the registry component that owns it all: the
scheduler's reaper, the async event queue and the function URL listener. API handlers reach it with `await engine_of(app)`.

Settings: lambda.* (settings.py `LambdaSettings`), read once per node with app.settings().
Logs and usage go to the node's one writer and ledger (app.logs, app.ledger).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import hashlib
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.node_settings import TaskNetworkSettings
from gureum.public import local_url
from gureum.sandbox.process import SandboxHost
from gureum.services.iam import port as iam
from gureum.services.lambda_ import cw_metrics, model, recursion, runtime_management
from gureum.services.lambda_.code import CodeCache
from gureum.services.lambda_.environment import EnvConfig, InvokeResult
from gureum.services.lambda_.function_cache import FunctionCache, FunctionState
from gureum.services.lambda_.functions import pending_images
from gureum.services.lambda_.images import ImageStore, launch_spec, prepare
from gureum.services.lambda_.runtime_api import Invocation, ResponseStream
from gureum.services.lambda_.scheduler import Concurrency, Scheduler, Throttled
from gureum.services.lambda_.settings import LambdaSettings
from gureum.services.lambda_.slots import ENGINE
from gureum.services.route53resolver.slots import RESOLVER

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.lambda")
COMPONENT = ENGINE.name
CREDENTIALS_SECONDS = 3600  # execution-role credentials given to an environment (a role's default MaxSessionDuration)


@dataclass(frozen=True)
class Target:
    """One resolved invocation target."""

    state: FunctionState
    version: str  # "$LATEST" or a number
    config: dict[str, Any]
    code: dict[str, Any]  # {"digest": zip blob, "layers": [layer zip blobs, in order]}
    qualifier: str | None  # as the caller named it (alias, version or None)

    @property
    def invoked_arn(self) -> str:
        fn = arns.lambda_function_parts(self.config["FunctionArn"])
        return arns.lambda_function(str(fn.region), str(fn.account), fn.name, self.qualifier)


class LambdaEngine:
    def __init__(self, app: App, host: SandboxHost) -> None:
        self.app = app
        self.host = host
        settings = app.settings(LambdaSettings)
        self.logs = app.logs
        self.ledger = app.ledger
        self.scheduler = Scheduler(self.host, self.logs.append, idle_timeout=settings.idle_timeout, spares=settings.spares)
        self.code = CodeCache(app.data_dir / "lambda" / "code")
        self.images = ImageStore(app)
        self.prewarm = settings.prewarm
        self.account_concurrency = settings.concurrency
        self.functions = FunctionCache(app.store)
        self._prewarming: set[str] = set()
        self._env_configs: dict[str, tuple[EnvConfig, float]] = {}
        self._reserved: dict[tuple[str, str], int] = {}
        self._pc_unreserved: dict[tuple[str, str], int] = {}  # provisioned.unreserved_total, cleared with _reserved
        self._reconciling: dict[str, bool] = {}  # function key -> another pass wanted (provisioned concurrency)
        self._pc_metered: float | None = None  # when meter_provisioned last ran (monotonic)
        self.scheduler.on_lost = self._on_provisioned_lost
        self._limits: dict[tuple[str, str, int | None, int], Concurrency] = {}  # cleared with _reserved
        self._loop = asyncio.get_running_loop()
        self._code_dirs: dict[str, Any] = {}
        self._creds: dict[tuple[str, str], tuple[dict[str, str], float, float]] = {}  # (creds, reuse until, expire)
        self.queue: Any = None  # the async event queue (async_queue.EventQueue), set in run()
        self.urls: Any = None  # the function URL listener, set in run()

    # --- cache -------------------------------------------------------------------------
    def invalidate(self, key: str) -> None:
        """A function changed (here or on another node): forget it, retire its idle
        environments, forget the account's reservation total."""
        self.functions.drop(key)
        for k in [k for k in self._env_configs if k.startswith(key + "#")]:
            del self._env_configs[k]
        account, region, _ = key.split("/", 2)
        self._reserved.pop((account, region), None)
        self._pc_unreserved.pop((account, region), None)
        self._limits.clear()
        self.app.spawn(self.scheduler.retire(lambda k: k.startswith(key + "#")), name=f"lambda-retire-{key}")
        self.reconcile_provisioned_soon(key)
        if self.prewarm > 0 and key not in self._prewarming:
            self._prewarming.add(key)
            self.app.spawn(self._prewarm(key), name=f"lambda-prewarm-{key}")

    async def _prewarm(self, key: str) -> None:
        account, region, name = key.split("/", 2)
        try:
            await asyncio.sleep(0)  # let the write that changed the function settle
            target = await self.resolve(account, region, name, None)
            await self.scheduler.prewarm(await self._env_config(account, region, target), self.prewarm)
        except Exception:  # deleted meanwhile, or not runnable
            log.debug("prewarm of %s skipped", key, exc_info=True)
        finally:
            self._prewarming.discard(key)

    # --- provisioned concurrency ------------------------------------------------------------
    def reconcile_provisioned_soon(self, key: str) -> None:
        """Bring function `key`'s provisioned environments in line with its configurations
        (one pass at a time per function; a change during a pass asks for another)."""
        if key in self._reconciling:
            self._reconciling[key] = True
            return
        self._reconciling[key] = False
        self.app.spawn(self._reconcile_loop(key), name=f"lambda-provisioned-{key}")

    def _on_provisioned_lost(self, slot: str) -> None:
        self.reconcile_provisioned_soon(slot.rsplit("/", 1)[0])

    async def _reconcile_loop(self, key: str) -> None:
        try:
            while True:
                try:
                    await self.reconcile_provisioned(key)
                except Exception:
                    log.exception("provisioned concurrency of %s", key)
                if not self._reconciling.get(key):
                    return
                self._reconciling[key] = False
        finally:
            self._reconciling.pop(key, None)

    async def reconcile_provisioned(self, key: str) -> None:
        from gureum import roster
        from gureum.node_settings import RosterSettings
        from gureum.services.lambda_ import provisioned

        account, region, name = key.split("/", 2)
        await asyncio.sleep(0)  # let the write that changed the function settle
        doc, rows = await self.app.store.read(lambda t: (t.get(model.FUNCTIONS, key), t.scan(provisioned.STATUS, key + "/")))
        configs = dict((doc or {}).get("provisioned") or {})
        if not configs and not rows and not any(s.rsplit("/", 1)[0] == key for s in self.scheduler.provisioned_slots()):
            return  # nothing provisioned, nothing kept: the common case
        keep: set[str] = set()
        node = self.app.node_id
        dead_after = roster.timeout_of(self.app.settings(RosterSettings))
        for qualifier, pc in configs.items():
            generation = pc["generation"]
            mine = await self.app.store.run(functools.partial(provisioned.claim, key=key, qualifier=qualifier, generation=generation,
                                                              node=node, now=time.time(), dead_after=dead_after))
            if not mine:
                continue
            slot = f"{key}/{qualifier}"
            keep.add(slot)
            try:
                target = await self._provisioned_target(account, region, name, qualifier)
            except AwsError:  # its version or alias is gone
                keep.discard(slot)
                continue
            cfg = dataclasses.replace(await self._env_config(account, region, target), init_type="provisioned-concurrency")
            allocated, failure = await self.scheduler.provision(slot, cfg, int(pc["Requested"]), generation)
            reason: str | None = None
            if failure is not None:
                status, reason = "FAILED", "FUNCTION_ERROR_INIT_FAILURE"
            else:
                status = "READY" if allocated >= int(pc["Requested"]) else "IN_PROGRESS"
            await self.app.store.run(functools.partial(provisioned.set_status, key=key, qualifier=qualifier, generation=generation,
                                                       status=status, allocated=allocated, node=node, reason=reason))
        await self.scheduler.unprovision(lambda slot: slot.rsplit("/", 1)[0] == key and slot not in keep)
        if len(rows) > len(configs):  # status rows of configurations that are gone
            await self.app.store.run(lambda t: provisioned.drop_stale(t, key))

    async def _provisioned_target(self, account: str, region: str, name: str, qualifier: str) -> Target:
        """The version a provisioned configuration keeps environments of (an alias's main
        version: its weighted extra version runs on demand)."""
        state = await self.function(model.fn_key(account, region, name), model.function_arn(account, region, name))
        version = qualifier if qualifier.isdigit() else (state.aliases.get(qualifier) or {}).get("FunctionVersion")
        v = state.versions.get(str(int(version))) if version and version.isdigit() else None
        if v is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {name}:{qualifier}", Type="User")
        return Target(state, str(int(version or "0")), v["config"], v["code"], qualifier)

    async def provision_sweep(self) -> None:
        """Every function with provisioned concurrency reconciled: at start, and to take over
        configurations a node that is gone kept."""
        from gureum.services.lambda_ import provisioned

        self.meter_provisioned()
        for key in await self.app.store.read(provisioned.wanted):
            self.reconcile_provisioned_soon(key)

    def _on_change(self, event: Any) -> None:
        """A Lambda change event (model.changed): URL changes reach the URL listener's
        cache; any other change of a function drops what this node keeps of it."""
        if self.urls is not None:
            for url_id in event.data.get("url_ids") or ():
                self.urls.forget(url_id)
        key = event.data.get("key")
        if key and event.data.get("what") != "url":
            self.invalidate(key)

    def _on_key_change(self, event: Any) -> None:
        """An access key or temporary credential changed or went away (IAM, a reset): drop
        the cached role credentials it was, so new environments get a fresh session."""
        key_id = event.data.get("AccessKeyId")
        for k in [k for k, (creds, _, _) in self._creds.items() if creds.get("AWS_ACCESS_KEY_ID") == key_id]:
            del self._creds[k]

    async def function(self, key: str, arn: str) -> FunctionState:
        return await self.functions.get(key, arn)

    async def reserved_total(self, account: str, region: str) -> int:
        total = self._reserved.get((account, region))
        if total is None:
            total = await self.app.store.read(lambda t: model.reserved_total(t, account, region))
            self._reserved[(account, region)] = total
        return total

    # --- resolving ---------------------------------------------------------------------
    async def resolve(self, account: str, region: str, function_name: str, qualifier: str | None) -> Target:
        name, qualifier = model.parse_name(function_name, account, region, qualifier)
        key = model.fn_key(account, region, name)
        arn = model.function_arn(account, region, name, qualifier)
        state = await self.function(key, arn)
        if qualifier in (None, "$LATEST"):
            doc = state.doc
            return Target(state, "$LATEST", doc["config"], doc["code"], qualifier)
        if qualifier.isdigit():
            v = state.versions.get(str(int(qualifier)))
            if v is None:
                raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
            return Target(state, str(int(qualifier)), v["config"], v["code"], qualifier)
        alias = state.aliases.get(qualifier)
        if alias is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
        version = alias["FunctionVersion"]
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        r = random.random()
        for extra, weight in weights.items():
            if r < float(weight):
                version = extra
                break
            r -= float(weight)
        if version == "$LATEST":
            return Target(state, "$LATEST", state.doc["config"], state.doc["code"], qualifier)
        v = state.versions.get(version)
        if v is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
        return Target(state, version, v["config"], v["code"], qualifier)

    async def _env_config(self, account: str, region: str, target: Target) -> EnvConfig:
        """What environments of this target run with (cached until the function changes
        or the role's credentials are due for renewal)."""
        key = f"{target.state.key}#{target.version}#{target.config.get('RevisionId')}"
        cached = self._env_configs.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        cfg = await self._build_env_config(account, region, target)
        # Kept for 10 minutes at most, and never so long that an environment started from it
        # would have less than 10 minutes before it must retire (credentials).
        self._env_configs[key] = (cfg, time.monotonic() + min(600.0, max(0.0, cfg.usable_until() - time.time() - 600.0)))
        return cfg

    async def _build_env_config(self, account: str, region: str, target: Target) -> EnvConfig:
        config = target.config
        image = target.code.get("image")
        image_fields: dict[str, Any] = {}
        if image is not None:  # a container image: its flattened root file system
            code_dir, image_config = await self.images.rootfs(image["resolved"], account, region)
            argv, handler, cwd, image_env = launch_spec(config, image_config)
            image_fields = {
                "handler": handler,
                "image_root": code_dir,
                "image_argv": tuple(argv),
                "image_cwd": cwd,
                "image_env": tuple(sorted(image_env.items())),
            }
            layer_dirs: tuple[Any, ...] = ()
        else:
            code_dir = await self._unpacked([target.code["digest"]])
            layers = target.code.get("layers") or []
            layer_dirs = (await self._unpacked(layers),) if layers else ()
        env_vars = dict((config.get("Environment") or {}).get("Variables") or {})
        creds, creds_expire = await self._credentials(account, config.get("Role", ""))
        base_arn = model.function_arn(account, region, config["FunctionName"])
        return EnvConfig(
            account_id=account,
            region=region,
            function_name=config["FunctionName"],
            function_arn=base_arn,
            version=target.version,
            runtime=config.get("Runtime") or "provided.al2023",
            handler=image_fields.pop("handler", None) or config.get("Handler") or "",
            memory_mb=int(config.get("MemorySize", 128)),
            timeout_s=int(config.get("Timeout", 3)),
            ephemeral_mb=int((config.get("EphemeralStorage") or {}).get("Size", 512)),
            code_dir=code_dir,
            layer_dirs=layer_dirs,
            code_sha=config.get("CodeSha256", ""),
            architecture=(config.get("Architectures") or ["x86_64"])[0],
            environment=tuple(sorted(env_vars.items())),
            credentials=tuple(sorted(creds.items())),
            credentials_expire=creds_expire,
            endpoint=self._endpoint(),
            dns=self._nameserver(),
            pool_key=f"{target.state.key}#{target.version}#{config.get('RevisionId')}",
            log_format=(config.get("LoggingConfig") or {}).get("LogFormat") or "Text",
            app_log_level=(config.get("LoggingConfig") or {}).get("ApplicationLogLevel") or "",
            system_log_level=(config.get("LoggingConfig") or {}).get("SystemLogLevel") or "",
            refuse_fallback=self.app.settings(LambdaSettings).refuse_fallback,
            freeze_grace=max(0.0, self.app.settings(LambdaSettings).freeze_grace),
            pinned_runtime_arn=runtime_management.pinned(target.state.doc, target.version),
            **image_fields,
        )

    async def _unpacked(self, digests: list[str]) -> Any:
        """The directory holding these zips extracted in order (cached per node)."""
        key = "+".join(digests)
        path = self._code_dirs.get(key)
        if path is None:
            hexes = [d.split(":", 1)[1] for d in digests]
            name = hexes[0] if len(hexes) == 1 else "layers-" + hashlib.sha256("+".join(hexes).encode()).hexdigest()
            # path() may fetch the zip from the store (storage.blobs=postgres): off the loop
            zips = await asyncio.to_thread(lambda: [self.app.blobs.path(d) for d in digests])
            path = await self.code.unpacked(name, zips)
            self._code_dirs[key] = path
        return path

    def _endpoint(self) -> str:
        return local_url(self.app)

    async def _credentials(self, account: str, role_arn: str) -> tuple[dict[str, str], float]:
        """Temporary credentials of the execution role (as AWS_* variables) and when they
        expire (epoch seconds), cached while at least half their lifetime is left, so a
        new environment gets them with ≥ 30 minutes to go; environments retire before
        their credentials expire (EnvConfig.usable_until)."""
        cached = self._creds.get((account, role_arn))
        if cached is not None and cached[1] > time.time():
            return cached[0], cached[2]
        creds = {"AWS_ACCESS_KEY_ID": account, "AWS_SECRET_ACCESS_KEY": "gureum", "AWS_SESSION_TOKEN": "gureum"}
        expire = math.inf  # the account's own key does not expire
        issued = time.time()
        try:
            c = await iam.assume_role_credentials(self.app, account, role_arn, "gureum-lambda", CREDENTIALS_SECONDS)
            creds = {
                "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                "AWS_SESSION_TOKEN": c["SessionToken"],
            }
            expire = issued + CREDENTIALS_SECONDS
            expiration = c.get("Expiration")
            if expiration is not None and hasattr(expiration, "timestamp"):
                expire = min(expire, expiration.timestamp())
        except Exception as exc:  # no IAM yet, or the role is gone: the account's key still routes
            log.debug("no role credentials for %s: %s", role_arn, exc)
        self._creds[(account, role_arn)] = (creds, issued + CREDENTIALS_SECONDS / 2, expire)
        return creds, expire

    def _nameserver(self) -> tuple[str, int] | None:
        """What a sandbox's 127.0.0.1:53 forwards to: this node's recursive resolver when it
        runs one (route53resolver: registered domains and every name gureum knows resolve,
        as from a VPC's resolver), else gureum's authoritative DNS server."""
        resolver = self.app.parts.get(RESOLVER)
        if resolver is not None and resolver.listeners:
            host, port = resolver.listeners[0]
            return host, port
        return self.app.dns_address

    # --- invoking ----------------------------------------------------------------------
    async def concurrency(self, target: Target, account: str, region: str) -> Concurrency:
        from gureum.services.lambda_ import provisioned

        reserved = target.state.doc.get("reserved")
        pc = provisioned.function_total(target.state.doc)
        key = (account, region, reserved, pc)
        limits = self._limits.get(key)
        if limits is None:
            total = await self.reserved_total(account, region)
            pc_unreserved = self._pc_unreserved.get((account, region))
            if pc_unreserved is None:
                pc_unreserved = await self.app.store.read(lambda t: provisioned.unreserved_total(t, account, region))
                self._pc_unreserved[(account, region)] = pc_unreserved
            limits = Concurrency(self.account_concurrency, self.account_concurrency - total - pc_unreserved, reserved, pc)
            if self._reserved.get((account, region)) == total and self._pc_unreserved.get((account, region)) == pc_unreserved:
                self._limits[key] = limits  # still current: keep it
        return limits

    async def invoke(
        self,
        account: str,
        region: str,
        target: Target,
        payload: bytes,
        *,
        request_id: str | None = None,
        client_context: str | None = None,
        tail: bool = False,
        stream: ResponseStream | None = None,
        trace: str | None = None,
    ) -> InvokeResult:
        """Run the target synchronously; raises Throttled, AwsError, or RecursionStopped when
        `trace` (the X-Ray trace header of the event that caused this invocation) shows a
        recursive loop (recursion.py)."""
        config = target.config
        if config.get("State") not in (None, "Active"):
            raise AwsError.modeled(
                "lambda",
                "ResourceConflictException",
                f"The operation cannot be performed at this time. The function is currently in the following state: {config.get('State')}",
                Type="User",
            )
        pcs = target.state.doc.get("provisioned")
        limits = (None if pcs else self._limits.get((account, region, target.state.doc.get("reserved"), 0))) \
            or await self.concurrency(target, account, region)
        cached = self._env_configs.get(f"{target.state.key}#{target.version}#{config.get('RevisionId')}")
        cfg = cached[0] if cached is not None and cached[1] > time.monotonic() else await self._env_config(account, region, target)
        request_id = request_id or str(uuid.uuid4())
        trace_id, count = recursion.next_trace(trace, cfg.function_arn)
        if count > recursion.LIMIT:
            recursion.check(target.state.doc, cfg.function_arn, count)
        inv = Invocation(
            request_id=request_id,
            payload=payload or b"{}",
            deadline_ms=int(time.time() * 1000) + cfg.timeout_s * 1000,
            function_arn=target.invoked_arn,
            trace_id=trace_id,
            client_context=client_context,
            stream=stream,
        )
        slot = f"{target.state.key}/{target.qualifier}" if pcs and target.qualifier in pcs else None
        name = target.config["FunctionName"]
        concurrent = self.scheduler.running(cfg.function_arn) + 1
        try:
            result = await self.scheduler.invoke(cfg, inv, limits, capture=tail, slot=slot)
        except Throttled:
            cw_metrics.throttled(self.app, account, region, name, target.qualifier)
            raise
        # Metering and metrics, right after the caller has its answer (both batch their writes).
        self._loop.call_soon(self._meter, account, region, cfg, target, result, concurrent)
        return result

    def _meter(self, account: str, region: str, cfg: EnvConfig, target: Target, result: InvokeResult, concurrent: int) -> None:
        """An invocation's usage row and AWS/Lambda metrics (one callback after its answer)."""
        self._record_usage(account, region, cfg, target.version, result.billed_ms, result.init_ms, result.provisioned)
        cw_metrics.invoked(self.app, account, region, target.config["FunctionName"], target.qualifier,
                           failed=result.function_error is not None, duration_ms=result.duration_ms, concurrent=concurrent)

    def _record_usage(self, account: str, region: str, cfg: EnvConfig, version: str, billed_ms: int, init_ms: float | None,
                      provisioned: bool = False) -> None:
        row: dict[str, Any] = {
            "region": region,
            "resource": cfg.function_arn,
            "version": version,
            "arch": cfg.architecture,
            "requests": 1,
            "billed_ms": billed_ms,
            "memory_mb": cfg.memory_mb,
            "init_ms": round(init_ms, 3) if init_ms else 0,
        }
        if provisioned:  # its duration is billed at provisioned concurrency's price
            row["provisioned"] = True
        self.ledger.record(account, "lambda", row)

    def meter_provisioned(self) -> None:
        """The provisioned concurrency this node keeps, since the last call: one ledger row
        per configuration ({"pc_seconds", "pc_concurrency", "pc_generation", "memory_mb"}),
        priced per GB-second of allocation (gureum/billing: rounded up to 5 minutes per
        configuration, as AWS bills it)."""
        now = time.monotonic()
        last, self._pc_metered = self._pc_metered, now
        if last is None:
            return
        for slot, pool in self.scheduler.provisioned_pools().items():
            if pool.cfg is None or not pool.total:
                continue
            account, region, _ = slot.split("/", 2)
            self.ledger.record(account, "lambda", {
                "region": region, "resource": pool.cfg.function_arn, "version": pool.cfg.version, "arch": pool.cfg.architecture,
                "requests": 0, "billed_ms": 0, "memory_mb": pool.cfg.memory_mb, "init_ms": 0,
                "pc_seconds": round(now - last, 3), "pc_concurrency": pool.total, "pc_generation": pool.tag or slot,
            })


async def _resume_images(app: App) -> None:
    """Image preparations a previous run of gureum left unfinished: start them again."""
    for key, resolved, creating in await app.store.read(pending_images):
        account, region, _ = key.split("/", 2)
        app.spawn(prepare(app, key, account, region, resolved, creating), name=f"lambda-image-{key}")


def encode_tail(tail: str) -> str:
    return base64.b64encode(tail.encode()).decode()


async def engine_of(app: App, timeout: float = 30.0) -> LambdaEngine:
    return await app.parts.wait(ENGINE, timeout)


async def run(app: App) -> None:
    """The Lambda component: owns the engine and its background work until cancelled."""
    from gureum.services.lambda_ import shared_concurrency
    from gureum.services.lambda_.async_queue import EventQueue
    from gureum.services.lambda_.urls import UrlListener
    from gureum.store.follow import ChangeFollower

    settings = app.settings(LambdaSettings)
    # Off the loop: the first start on a host compiles the sandbox launcher.
    host = await asyncio.to_thread(SandboxHost, app.data_dir / "sandbox", isolate=settings.isolate)
    if host.private_network and settings.task_network:
        # Environments get an address on the ECS task bridge (reaching task addresses, not the host).
        from gureum.sandbox.network import Bridge

        network = app.settings(TaskNetworkSettings)
        bridge = Bridge(network.bridge, network.subnet)
        await asyncio.to_thread(bridge.setup)
        if bridge.available:
            host.bridge = bridge
        else:
            log.warning("Lambda environments without the task network: %s", bridge.reason)
    engine = LambdaEngine(app, host)
    # Function changes drop cached state: this node's at once, other nodes' from the change log.
    changes = ChangeFollower(app.store, model.TOPIC, engine._on_change)
    await changes.start()
    unsubscribe_keys = app.store.subscribe("iam.access_key", engine._on_key_change)  # iam.model.KEY_TOPIC
    engine.queue = EventQueue(app, engine)
    engine.urls = UrlListener(app, engine)
    await engine.urls.start()
    mode = "isolated sandboxes" if engine.host.isolated else "plain processes"
    reason = f" ({engine.host.reason})" if engine.host.reason else ""
    app.notes.append(f"Lambda: functions run in {mode}{reason}; function URLs on port {engine.urls.port}")
    app.set_status("lambda", "running", "" if engine.host.isolated and not engine.host.reason else engine.host.reason)
    app.parts.put(ENGINE, engine)
    from gureum.services.lambda_.durable_api import DurableRunner
    from gureum.services.lambda_.slots import DURABLE

    durable_runner = DurableRunner(app, engine)
    app.parts.put(DURABLE, durable_runner)
    app.spawn(_resume_images(app), name="lambda-image-resume")
    sharing: shared_concurrency.Sharing | None = None
    try:
        async with asyncio.TaskGroup() as tg:
            app.every(engine.scheduler.reap_interval(), engine.scheduler.reap, name="lambda-reaper")
            tg.create_task(engine.queue.run(), name="lambda-events")
            app.every(5.0, engine.provision_sweep, name="lambda-provisioned", first=0.0)
            app.every(5.0, durable_runner.sweep, name="lambda-durable", first=0.0)
            app.every(3600.0, durable_runner.expire, name="lambda-durable-retention")
            if app.store.shared:
                app.every(settings.follow_interval, changes.poll, name="lambda-follow")
                sharing = shared_concurrency.start(app, engine.scheduler)
    finally:
        changes.stop()
        if sharing is not None:
            await asyncio.shield(sharing.close())
        unsubscribe_keys()
        await asyncio.shield(engine.urls.stop())
        await asyncio.shield(engine.scheduler.close())  # its last log lines go to app.logs, flushed at the node's stop
        engine.images.close()


