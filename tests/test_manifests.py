"""Every package's manifest names things that exist and have the shape the node expects: a
new service is wired in by its manifest alone, so a typo there must fail here, not at the
first request. Starts no gureum (unit)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

from gureum.aws import specs
from gureum.services import registry
from gureum.services.manifest import Manifest

MANIFESTS = {m.package: m for m in registry.MANIFESTS}
SERVICES_DIR = Path(registry.__file__).parent


def test_every_service_package_has_a_manifest() -> None:
    packages = {p.parent.name for p in SERVICES_DIR.glob("*/__init__.py")}
    assert packages == set(MANIFESTS), "a package under gureum/services without manifest.py (or the reverse)"


@pytest.mark.parametrize("manifest", registry.MANIFESTS, ids=lambda m: m.package)
def test_the_manifest_names_what_exists(manifest: Manifest) -> None:
    for service, modules in manifest.api_modules.items():
        assert service in manifest.services, f"{manifest.package}: handlers for {service}, which it does not serve"
        specs.load(service)  # a botocore model exists for it
        for module in modules:
            importlib.import_module(module)
    for c in manifest.components:
        assert inspect.iscoroutinefunction(registry.load_entry(c.entry)), c.entry
        assert set(c.backs) <= set(manifest.services), f"{c.name} backs services the package does not serve"
    for prefix, entry in manifest.edge_routes.items():
        assert prefix.startswith("/") and prefix.endswith("/"), prefix
        assert inspect.iscoroutinefunction(registry.load_entry(entry)), entry
    for method, entry in manifest.method_routes.items():
        assert method.isupper() and method not in ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"), method
        assert inspect.iscoroutinefunction(registry.load_entry(entry)), entry
    for pattern, entry in manifest.host_routes.items():
        assert re.compile(pattern).groups >= 1, pattern  # a host pattern names what it routes (a bucket)
        assert inspect.iscoroutinefunction(registry.load_entry(entry)), entry
    if manifest.reset is not None:
        assert inspect.iscoroutinefunction(registry.load_entry(manifest.reset)), manifest.reset
    if manifest.settings is not None:
        cls = registry.load_entry(manifest.settings)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, manifest.settings
        assert isinstance(cls.PREFIX, str) and cls.PREFIX, manifest.settings
    if manifest.status is not None:  # the roster's hooks (gureum/roster.py)
        assert inspect.iscoroutinefunction(registry.load_entry(manifest.status)), manifest.status
    if manifest.handover is not None:
        fn = registry.load_entry(manifest.handover)
        assert callable(fn) and not inspect.iscoroutinefunction(fn), f"{manifest.handover}: a handover runs in a store transaction"
    for name, entry in manifest.ports.items():
        assert registry.PORTS[name] == entry
        module, _, attr = entry.partition(":")
        assert hasattr(importlib.import_module(module), attr), entry


def test_names_are_unique_across_packages() -> None:
    services = [s for m in registry.MANIFESTS for s in m.services]
    assert len(services) == len(set(services)), "two packages claim one AWS service"
    components = [c.name for m in registry.MANIFESTS for c in m.components]
    assert len(components) == len(set(components))
    # Edge routes and host routes may be shared (a handler answering None passes the request on).


def test_every_served_service_can_be_reset() -> None:
    assert [m.package for m in registry.MANIFESTS if m.reset is None] == []
