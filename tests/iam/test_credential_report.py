"""IAM's credential report end to end through boto3: generated on request, a CSV in AWS's
columns with the root first and each user's password, MFA, access key and certificate state."""

from __future__ import annotations

import csv
import io
import random
import time

import pyotp
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def iam(gureum):
    account = str(random.randint(10**11, 10**12 - 1))
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def test_credential_report_reflects_passwords_mfa_and_keys(iam):
    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    r = exc.value.response
    assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]) == ("ReportNotPresent", 410)

    iam.update_account_password_policy(MaxPasswordAge=90)
    iam.create_user(UserName="with-all")
    iam.create_login_profile(UserName="with-all", Password="Some-Pass-123")
    key = iam.create_access_key(UserName="with-all")["AccessKey"]
    iam.update_access_key(UserName="with-all", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="d")["VirtualMFADevice"]
    totp = pyotp.TOTP(dev["Base32StringSeed"].decode())
    step = int(time.time() // 30)
    iam.enable_mfa_device(UserName="with-all", SerialNumber=dev["SerialNumber"],
                          AuthenticationCode1=totp.generate_otp(step - 1), AuthenticationCode2=totp.generate_otp(step))
    iam.create_user(UserName="bare")

    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"  # a fresh one exists
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert [r["user"] for r in rows] == ["<root_account>", "bare", "with-all"]
    bare, full = rows[1], rows[2]
    assert (bare["password_enabled"], bare["mfa_active"], bare["access_key_1_active"]) == ("false", "false", "false")
    assert full["password_enabled"] == "true" and full["mfa_active"] == "true"
    assert full["password_next_rotation"] != "N/A" and full["password_last_changed"] != "N/A"
    assert full["access_key_1_active"] == "false" and full["access_key_1_last_rotated"] != "N/A"
    assert full["access_key_2_active"] == "false" and full["access_key_2_last_rotated"] == "N/A"
    assert full["arn"].endswith(":user/with-all")
