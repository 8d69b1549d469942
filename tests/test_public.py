"""The one rule for the address clients are given (gureum/public.py), on plain values."""

from __future__ import annotations

from pathlib import Path

import pytest

from gureum.app import App
from gureum.config import Config
from gureum.http.server import Headers, Request, _BodyStream
from gureum.public import (
    local_address,
    local_url,
    ours,
    public_address,
    public_netloc,
    public_url,
    shown_host,
)


def app(host: str, port: int = 4566, api_endpoint: str | None = None) -> App:
    return App(Config(host=host, port=port, data_dir=Path("/nonexistent"), api_endpoint=api_endpoint))


@pytest.mark.parametrize("host", ["localhost:4566", "127.0.0.1:4566", "gureum", "gureum.internal:80", "[::1]:4566",
                                  "my-bucket.s3.localhost:4566", "10.0.0.2"])
def test_a_well_formed_host_header_is_ours(host: str) -> None:
    assert ours(host) == host


@pytest.mark.parametrize("host", ["", "a b", "evil.com/path", "user@host", "host:0", "host:70000", "host:", "::1:4566",
                                  "[::1", "x" * 300, "host:80:81", "-lead"])
def test_a_malformed_host_header_is_not(host: str) -> None:
    assert ours(host) is None


@pytest.mark.parametrize(("bind", "shown"), [("127.0.0.1", "localhost"), ("0.0.0.0", "localhost"), ("::", "localhost"),
                                             ("::1", "localhost"), ("", "localhost"), ("10.1.2.3", "10.1.2.3"),
                                             ("fd00::1", "[fd00::1]"), ("gureum.lan", "gureum.lan")])
def test_a_bind_address_is_shown_as_a_client_writes_it(bind: str, shown: str) -> None:
    assert shown_host(bind) == shown


def test_without_a_request_the_advertised_address_is_used() -> None:
    node = app("0.0.0.0", 4570)
    assert public_netloc(node) == "localhost:4570"
    assert public_address(node) == ("localhost", 4570)
    assert public_url(node, None, "/q") == "http://localhost:4570/q"
    # an agent advertises the node that serves the APIs
    agent = app("127.0.0.1", 4999, api_endpoint="http://api.lan:4566")
    assert public_url(agent) == "http://api.lan:4566"


def test_processes_on_this_machine_dial_loopback_for_a_wildcard_bind() -> None:
    assert local_address(app("0.0.0.0", 4570)) == ("127.0.0.1", 4570)
    assert local_address(app("::", 4570)) == ("127.0.0.1", 4570)
    assert local_url(app("10.1.2.3", 4570)) == "http://10.1.2.3:4570"
    assert local_url(app("fd00::1", 4570)) == "http://[fd00::1]:4570"


def request_with_host(host: str) -> Request:
    return Request("GET", "/", "", Headers([("host", host)]), ("127.0.0.1", 1), ("127.0.0.1", 4566), _BodyStream(lambda: None, lambda: None))


@pytest.mark.parametrize(("host", "address", "url"), [
    ("127.0.0.1:4566", ("127.0.0.1", 4566), "http://127.0.0.1:4566/000000000000/q"),
    ("proxy.lan", ("proxy.lan", 80), "http://proxy.lan/000000000000/q"),  # reached through a proxy
    ("[::1]:4566", ("[::1]", 4566), "http://[::1]:4566/000000000000/q"),
    ("evil/path", ("localhost", 4570), "http://localhost:4570/000000000000/q"),  # not ours: advertised
])
def test_a_request_gets_back_the_host_it_reached_us_under(host: str, address: tuple[str, int], url: str) -> None:
    node = app("127.0.0.1", 4570)
    assert public_address(node, request_with_host(host)) == address
    assert public_url(node, request_with_host(host), "/000000000000/q") == url
