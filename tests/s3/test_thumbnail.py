"""The seed's canonical example: a PNG uploaded to bucket A triggers a Python function
(s3:ObjectCreated:*) that writes a thumbnail to bucket B with Pillow and boto3."""

from __future__ import annotations

import io
import json
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from waiting import wait_for

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
THUMBNAILER = '''
import io
import os
import urllib.parse

import boto3
from PIL import Image

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        image = Image.open(io.BytesIO(body))
        image.thumbnail((128, 128))
        out = io.BytesIO()
        image.save(out, format="PNG")
        s3.put_object(Bucket=os.environ["THUMBNAIL_BUCKET"], Key="thumbs/" + key, Body=out.getvalue(),
                      ContentType="image/png")
    return {"done": len(event["Records"])}
'''


# The vendored Pillow is this interpreter's build (cp3XY): the function declares the same
# version, as a user's deployment package must (each runtime runs on its declared version).
HOST_PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


def _zip_with_pillow(code: str) -> bytes:
    """The function's zip: its code plus Pillow (PIL/ and pillow.libs/) copied from this
    interpreter's site-packages, as one would vendor it into a deployment package."""
    import PIL

    site = Path(PIL.__file__).parent.parent
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.py", code)
        for folder in ("PIL", "pillow.libs"):
            for path in sorted((site / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    info = zipfile.ZipInfo(str(path.relative_to(site)))
                    info.external_attr = (0o755 if path.suffix == ".so" or ".so." in path.name else 0o644) << 16
                    zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def test_png_upload_makes_a_thumbnail(gureum):
    PIL = pytest.importorskip("PIL.Image")
    source, target = f"photos-{uuid.uuid4().hex[:8]}", f"thumbs-{uuid.uuid4().hex[:8]}"
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    role = gureum.client("iam").create_role(RoleName=f"thumb-{uuid.uuid4().hex[:6]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = gureum.client("lambda")
    fn = lam.create_function(FunctionName=f"thumb-{uuid.uuid4().hex[:6]}", Runtime=HOST_PYTHON, Role=role,
                             Handler="app.handler", Code={"ZipFile": _zip_with_pillow(THUMBNAILER)}, Timeout=60,
                             MemorySize=512, Environment={"Variables": {"THUMBNAIL_BUCKET": target}})
    lam.add_permission(FunctionName=fn["FunctionName"], StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{source}")
    s3.put_bucket_notification_configuration(Bucket=source, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}}]})
    img = PIL.new("RGB", (640, 480), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    s3.put_object(Bucket=source, Key="holiday photo.png", Body=buf.getvalue(), ContentType="image/png")

    def thumbnail() -> bytes:
        try:
            return s3.get_object(Bucket=target, Key="thumbs/holiday photo.png")["Body"].read()
        except s3.exceptions.NoSuchKey:
            return b""

    try:
        thumb = wait_for("the thumbnail", thumbnail, timeout=90, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{gureum.log_tail()}") from None
    assert PIL.open(io.BytesIO(thumb)).size == (128, 96)
