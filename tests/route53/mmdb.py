"""A tiny MaxMind DB (format 2.0) writer for tests: IPv4 networks → GeoIP2-City-like
records, so the `route53.geoip_db` setting is tested with a real file read by `maxminddb`."""

from __future__ import annotations

import ipaddress
import struct


def _ctrl(kind: int, size: int) -> bytes:
    assert size < 29
    if kind <= 7:
        return bytes(((kind << 5) | size,))
    return bytes((size, kind - 7))


class U:
    """An unsigned integer of an explicit MaxMind type (5 uint16, 6 uint32, 9 uint64):
    libmaxminddb checks the metadata's types."""

    def __init__(self, kind: int, value: int) -> None:
        self.kind, self.value = kind, value


def encode(value) -> bytes:
    if isinstance(value, U):
        raw = value.value.to_bytes((value.value.bit_length() + 7) // 8, "big") if value.value else b""
        return _ctrl(value.kind, len(raw)) + raw
    if isinstance(value, bool):
        return _ctrl(14, int(value))
    if isinstance(value, str):
        raw = value.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(value, float):
        return _ctrl(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
        kind = 5 if value < 1 << 16 else 6 if value < 1 << 32 else 9
        return _ctrl(kind, len(raw)) + raw
    if isinstance(value, dict):
        return _ctrl(7, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _ctrl(11, len(value)) + b"".join(encode(v) for v in value)
    raise TypeError(type(value))


def write(path, networks: dict[str, dict]) -> None:
    nodes: list[list] = [[None, None]]
    data = b""
    for cidr, record in networks.items():
        net = ipaddress.ip_network(cidr)
        offset = len(data)
        data += encode(record)
        bits = int(net.network_address)
        node = 0
        for depth in range(net.prefixlen):
            bit = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                nodes[node][bit] = ("data", offset)
            else:
                nxt = nodes[node][bit]
                if not isinstance(nxt, int):
                    nodes.append([None, None])
                    nxt = nodes[node][bit] = len(nodes) - 1
                node = nxt
    count = len(nodes)

    def rec(r) -> int:
        if r is None:
            return count
        if isinstance(r, tuple):
            return count + 16 + r[1]
        return r

    tree = b"".join(rec(left).to_bytes(3, "big") + rec(right).to_bytes(3, "big") for left, right in nodes)
    meta = {"node_count": U(6, count), "record_size": U(5, 24), "ip_version": U(5, 4), "database_type": "GeoIP2-City",
            "languages": ["en"], "binary_format_major_version": U(5, 2), "binary_format_minor_version": U(5, 0),
            "build_epoch": U(9, 1700000000), "description": {"en": "gureum test"}}
    with open(path, "wb") as f:
        f.write(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(meta))
