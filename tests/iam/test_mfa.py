"""IAM virtual MFA devices end to end through boto3: CreateVirtualMFADevice's seed and QR code
(a PNG that encodes the otpauth URI), EnableMFADevice verifying two consecutive RFC 6238
codes computed from that seed, listings by assignment, ResyncMFADevice for a drifted clock,
codes never accepted twice, deactivation and deletion guards."""

from __future__ import annotations

import io
import random
import time

import pyotp
import pytest
from botocore.exceptions import ClientError
from PIL import Image


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def codes(seed: bytes, offset_steps: int = 0) -> tuple[str, str]:
    """Two consecutive codes of the device with `seed`, ending at the current step + offset."""
    totp = pyotp.TOTP(seed.decode())
    step = int(time.time() // 30) + offset_steps
    return totp.generate_otp(step - 1), totp.generate_otp(step)


def test_virtual_mfa_device_create_enable_list_deactivate_delete(iam, account):
    iam.create_user(UserName="mfa-user")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/team/")["VirtualMFADevice"]
    serial = dev["SerialNumber"]
    assert serial == f"arn:aws:iam::{account}:mfa/team/phone"
    seed = dev["Base32StringSeed"]
    assert len(seed) == 64 and set(seed.decode()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    png = Image.open(io.BytesIO(dev["QRCodePNG"]))
    png.load()
    assert png.format == "PNG" and png.size[0] == png.size[1] > 100

    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in unassigned] == [serial] and "Base32StringSeed" not in unassigned[0]

    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1="000000",
                              AuthenticationCode2="000001")
    assert error_of(exc)[:2] == ("InvalidAuthenticationCode", 403)
    c1, c2 = codes(seed)
    with pytest.raises(ClientError) as exc:  # the right codes, in the wrong order
        iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1=c2, AuthenticationCode2=c1)
    assert error_of(exc)[0] == "InvalidAuthenticationCode"

    iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["UserName"] == "mfa-user" and "EnableDate" in assigned[0]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    listed = iam.list_mfa_devices(UserName="mfa-user")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [("mfa-user", serial)]
    assert iam.get_mfa_device(SerialNumber=serial)["UserName"] == "mfa-user"

    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="mfa-user")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)

    iam.deactivate_mfa_device(UserName="mfa-user", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="mfa-user")["MFADevices"] == []
    # The codes that enabled it are spent: they do not enable it again.
    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert error_of(exc)[0] == "InvalidAuthenticationCode"
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)
    iam.delete_user(UserName="mfa-user")


def test_resync_follows_a_drifted_device_clock(iam):
    iam.create_user(UserName="drift")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="slow")["VirtualMFADevice"]
    serial, seed = dev["SerialNumber"], dev["Base32StringSeed"]
    c1, c2 = codes(seed)
    iam.enable_mfa_device(UserName="drift", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    # A device 10 minutes ahead: beyond Enable's window, within Resync's.
    a1, a2 = codes(seed, offset_steps=20)
    iam.resync_mfa_device(UserName="drift", SerialNumber=serial, AuthenticationCode1=a1, AuthenticationCode2=a2)
    with pytest.raises(ClientError) as exc:  # the same codes again
        iam.resync_mfa_device(UserName="drift", SerialNumber=serial, AuthenticationCode1=a1, AuthenticationCode2=a2)
    assert error_of(exc)[0] == "InvalidAuthenticationCode"
    far1, far2 = codes(seed, offset_steps=-5000)
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(UserName="drift", SerialNumber=serial, AuthenticationCode1=far1, AuthenticationCode2=far2)
    assert error_of(exc)[0] == "InvalidAuthenticationCode"


def test_mfa_device_names_and_tags(iam):
    iam.create_virtual_mfa_device(VirtualMFADeviceName="key", Tags=[{"Key": "owner", "Value": "x"}])
    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="key")
    assert error_of(exc)[:2] == ("EntityAlreadyExists", 409)
    serial = iam.list_virtual_mfa_devices()["VirtualMFADevices"][0]["SerialNumber"]
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "team", "Value": "y"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "y"}]


def test_account_summary_counts_mfa_devices(iam):
    iam.create_user(UserName="counted")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="a")["VirtualMFADevice"]
    iam.create_virtual_mfa_device(VirtualMFADeviceName="b")
    c1, c2 = codes(dev["Base32StringSeed"])
    iam.enable_mfa_device(UserName="counted", SerialNumber=dev["SerialNumber"], AuthenticationCode1=c1,
                          AuthenticationCode2=c2)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (2, 1)
