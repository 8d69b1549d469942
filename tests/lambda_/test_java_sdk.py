"""`gureum runtimes java-core|java-events`: jars to compile Java functions against without
Maven Central, used as a user would — compile, bundle lib/*.jar in the zip, run on gureum with
the events gureum itself produces (a function URL request) and AWS's documented SQS event."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
from harness import ROOT
from lambda_helpers import invoke_json

pytestmark = pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None, reason="no JDK (apt-get install default-jdk-headless)")

SOURCES = {
    "example/Batch.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.List;

public class Batch implements RequestHandler<SQSEvent, SQSBatchResponse> {
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failed = new ArrayList<>();
        for (SQSEvent.SQSMessage m : event.getRecords()) {
            String kind = m.getMessageAttributes().get("kind").getStringValue();
            if (m.getBody().equals("bad") || !m.getEventSourceArn().startsWith("arn:aws:sqs:")) {
                failed.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId() + "/" + kind));
            }
        }
        return new SQSBatchResponse(failed);
    }
}
""",
    "example/Url.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import java.util.Map;

public class Url implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent e, Context context) {
        String body = e.getRequestContext().getHttp().getMethod() + " " + e.getRawPath() + " q=" + e.getQueryStringParameters().get("x") + " body=" + e.getBody();
        return APIGatewayV2HTTPResponse.builder().withStatusCode(202).withHeaders(Map.of("x-java", "yes")).withBody(body).build();
    }
}
""",
}

SQS_EVENT = {
    "Records": [
        {
            "messageId": id_, "receiptHandle": "rh", "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
            "messageAttributes": {"kind": {"stringValue": kind, "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                                  "blob": {"binaryValue": "aGk=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1",
        }
        for id_, body, kind in (("m1", "good", "a"), ("m2", "bad", "b"))
    ]
}


def _jar(which: str) -> Path:
    out = subprocess.run([sys.executable, "-m", "gureum", "runtimes", which], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip())
    assert path.is_file() and path.suffix == ".jar"
    return path


@pytest.fixture(scope="module")
def sdk_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    core, events = _jar("java-core"), _jar("java-events")
    with zipfile.ZipFile(core) as zf:
        assert "com/amazonaws/services/lambda/runtime/RequestHandler.class" in zf.namelist()
    work = tmp_path_factory.mktemp("java-sdk")
    paths = []
    for rel, text in SOURCES.items():
        p = work / "src" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        paths.append(str(p))
    classes = work / "classes"
    subprocess.run(["javac", "-nowarn", "--release", "17", "-cp", f"{core}:{events}", "-d", str(classes), *paths],
                   check=True, capture_output=True, timeout=300)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(classes.rglob("*.class")):
            zf.write(path, str(path.relative_to(classes)))
        zf.write(events, "lib/aws-lambda-java-events.jar")  # bundled, as with Maven's aws-lambda-java-events
    return buf.getvalue()


def _make(lam, role_arn, code: bytes, handler: str) -> str:  # type: ignore[no-untyped-def]
    name = f"jsdk-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="java21", Role=role_arn, Handler=handler,
                        Code={"ZipFile": code}, MemorySize=512, Timeout=30)
    return name


def test_an_sqs_handler_compiled_against_the_events_jar_reports_batch_failures(lam, role_arn, sdk_zip) -> None:  # type: ignore[no-untyped-def]
    name = _make(lam, role_arn, sdk_zip, "example.Batch::handleRequest")
    resp, out = invoke_json(lam, name, SQS_EVENT)
    assert "FunctionError" not in resp, out
    assert out == {"batchItemFailures": [{"itemIdentifier": "m2/b"}]}
    lam.delete_function(FunctionName=name)


def test_a_function_url_handler_takes_gureums_event_and_returns_a_built_response(lam, role_arn, sdk_zip) -> None:  # type: ignore[no-untyped-def]
    name = _make(lam, role_arn, sdk_zip, "example.Url")
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    host = url.split("//", 1)[1].split("/", 1)[0]
    req = urllib.request.Request(f"http://127.0.0.1:{host.rsplit(':', 1)[1]}/p/q?x=1", data=b"hi", method="PUT", headers={"Host": host})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 202
        assert resp.headers["x-java"] == "yes"
        assert resp.read() == b"PUT /p/q q=1 body=hi"
    lam.delete_function(FunctionName=name)


def test_runtimes_without_a_known_jar_name_prints_usage() -> None:
    out = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "nonsense"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "java-core" in out.stderr

