"""The SRP-6a core (gureum/services/cognito_idp/srp.py) against pycognito's client
arithmetic, byte for byte, with no server: the client's key and signature are the ones the
server derives from the verifier alone, and a wrong password's are not."""

from __future__ import annotations

import base64
import secrets

from pycognito import aws_srp

from gureum.services.cognito_idp import passwords, srp

POOL = "us-east-1_AbCdEf123"


def _client_signature(password: str, user: str, salt: str, big_b: str, block: str, timestamp: str) -> tuple[str, str]:
    client = aws_srp.AWSSRP(username=user, password=password, pool_id=POOL, client_id="c", client=object())
    key = client.get_password_authentication_key(user, password, int(big_b, 16), salt)
    a_hex = aws_srp.long_to_hex(client.large_a_value)
    return a_hex, srp.signature(key, POOL, user, block, timestamp)


def test_the_server_derives_the_client_key_from_the_verifier() -> None:
    for _ in range(5):  # salts and numbers of every leading digit, padded or not
        record = passwords.make_record(POOL, "alice", "Passw0rd!")
        b, big_b = srp.server_start(record["verifier"])
        block = base64.b64encode(secrets.token_bytes(32)).decode()
        stamp = "Thu Dec 3 17:00:00 UTC 2026"
        a_hex, claimed = _client_signature("Passw0rd!", "alice", record["srp_salt"], big_b, block, stamp)
        key = srp.session_key(record["verifier"], a_hex, b, big_b)
        assert key is not None and srp.check_signature(key, POOL, "alice", block, stamp, claimed)
        a_hex, wrong = _client_signature("Passw0rd?", "alice", record["srp_salt"], big_b, block, stamp)
        key = srp.session_key(record["verifier"], a_hex, b, big_b)
        assert key is not None and not srp.check_signature(key, POOL, "alice", block, stamp, wrong)


def test_password_records_match_only_their_password_and_user() -> None:
    record = passwords.make_record(POOL, "bob", "S3cret!pass")
    assert "S3cret!pass" not in str(record)
    assert passwords.matches(record, POOL, "bob", "S3cret!pass")
    assert not passwords.matches(record, POOL, "bob", "S3cret!pasS")
    assert not passwords.matches(record, POOL, "carol", "S3cret!pass")
    assert not passwords.matches(record, "us-east-1_Other0000", "bob", "S3cret!pass")
    assert not passwords.matches(None, POOL, "bob", "S3cret!pass")


def test_invalid_a_is_refused() -> None:
    assert not srp.valid_a("0")
    assert not srp.valid_a(f"{srp.N:x}")
    assert not srp.valid_a("not hex")
    assert srp.valid_a("2")


def test_pad_hex_follows_aws_clients() -> None:
    for value in (0x1, 0xF, 0x7F, 0x80, 0xABC, 0x1234, srp.N):
        assert srp.pad_hex(value) == aws_srp.pad_hex(value)
