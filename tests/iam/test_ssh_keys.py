"""IAM users' SSH public keys end to end through boto3: upload (RSA >= 2048 bits, OpenSSH or
PEM), the MD5 fingerprint as `ssh-keygen -l -E md5` prints it, both encodings back, status,
the per-user quota, duplicates, and deletion guarding the user."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


@pytest.fixture
def iam(gureum):
    account = str(random.randint(10**11, 10**12 - 1))
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def rsa_key(bits: int = 2048) -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def openssh(key) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def md5_fingerprint(key) -> str:
    digest = hashlib.md5(base64.b64decode(openssh(key).split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def test_ssh_key_upload_get_list_update_delete(iam):
    iam.create_user(UserName="dev")
    key = rsa_key()
    body = openssh(key) + " dev@laptop"
    up = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert up["UserName"] == "dev" and up["Status"] == "Active" and up["SSHPublicKeyBody"] == body
    assert up["SSHPublicKeyId"].startswith("APKA") and len(up["SSHPublicKeyId"]) == 20
    assert up["Fingerprint"] == md5_fingerprint(key)
    kid = up["SSHPublicKeyId"]

    ssh = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert ssh["SSHPublicKeyBody"] == openssh(key) and ssh["Fingerprint"] == up["Fingerprint"]
    pem = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="PEM")["SSHPublicKey"]
    assert serialization.load_pem_public_key(pem["SSHPublicKeyBody"].encode()).public_numbers() == key.public_numbers()

    listed = iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed] == [(kid, "Active")]
    iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Status="Inactive")
    assert iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"][0]["Status"] == "Inactive"

    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="dev")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=kid)
    with pytest.raises(ClientError) as exc:
        iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="SSH")
    assert error_of(exc) == ("NoSuchEntity", 404, f"The Public Key with id {kid} cannot be found.")
    iam.delete_user(UserName="dev")


def test_ssh_key_in_pem_has_the_same_fingerprint(iam):
    iam.create_user(UserName="pem")
    key = rsa_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    up = iam.upload_ssh_public_key(UserName="pem", SSHPublicKeyBody=pem)["SSHPublicKey"]
    assert up["Fingerprint"] == md5_fingerprint(key)
    # The same key again, in the other encoding, is a duplicate.
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="pem", SSHPublicKeyBody=openssh(key))
    assert error_of(exc)[:2] == ("DuplicateSSHPublicKey", 400)


def test_ssh_keys_that_aws_refuses(iam):
    iam.create_user(UserName="bad")
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    for body, code in (
        (openssh(rsa_key(1024)), "InvalidPublicKey"),  # shorter than 2048 bits
        (openssh(ec_key), "InvalidPublicKey"),  # not RSA
        ("ssh-rsa AAAAnot-base64!!", "InvalidPublicKey"),
        ("just some text", "UnrecognizedPublicKeyEncoding"),
    ):
        with pytest.raises(ClientError) as exc:
            iam.upload_ssh_public_key(UserName="bad", SSHPublicKeyBody=body)
        assert error_of(exc)[:2] == (code, 400), body
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="nobody", SSHPublicKeyBody=openssh(rsa_key()))
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)


def test_ssh_keys_per_user_quota(iam):
    iam.create_user(UserName="many")
    for _ in range(5):
        iam.upload_ssh_public_key(UserName="many", SSHPublicKeyBody=openssh(rsa_key()))
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="many", SSHPublicKeyBody=openssh(rsa_key()))
    assert error_of(exc)[:2] == ("LimitExceeded", 409)
    page = iam.list_ssh_public_keys(UserName="many", MaxItems=2)
    assert len(page["SSHPublicKeys"]) == 2 and page["IsTruncated"] is True
    rest = iam.list_ssh_public_keys(UserName="many", Marker=page["Marker"])
    assert len(rest["SSHPublicKeys"]) == 3 and rest["IsTruncated"] is False
