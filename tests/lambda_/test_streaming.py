"""InvokeWithResponseStream: a Node function wrapped in awslambda.streamifyResponse streams
its response through the Runtime API (chunked, Lambda-Runtime-Function-Response-Mode:
streaming) and boto3 reads AWS's event stream (PayloadChunk events, then InvokeComplete);
an error after streaming began ends the stream with ErrorCode/ErrorDetails; a buffered
function answers one chunk. InvokeAsync queues the event and answers 202."""

from __future__ import annotations

import base64
import json
import textwrap
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import invoke_json, log_lines

STREAMER = textwrap.dedent(
    """
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
      responseStream.setContentType("text/plain");
      for (const word of event.words) {
        responseStream.write(word);
        await pause(50);
      }
      if (event.fail) throw new Error("boom after " + event.words.length + " words");
      responseStream.end();
    });
    """
)


def _read(resp: dict[str, Any]) -> tuple[list[bytes], dict[str, Any]]:
    chunks: list[bytes] = []
    complete: dict[str, Any] | None = None
    for event in resp["EventStream"]:
        if "PayloadChunk" in event:
            assert complete is None, "a chunk after InvokeComplete"
            chunks.append(event["PayloadChunk"]["Payload"])
        elif "InvokeComplete" in event:
            complete = event["InvokeComplete"]
    assert complete is not None, "no InvokeComplete event"
    return chunks, complete


def test_a_streaming_node_function_streams_its_response_in_chunks(lam, make_function):
    name = make_function({"index.mjs": STREAMER}, runtime="nodejs20.x", handler="index.handler")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    words = ["alpha ", "beta ", "gamma ", "delta"]
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"words": words}).encode(), LogType="Tail")
    assert resp["StatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    assert resp["ResponseStreamContentType"] == "text/plain"
    chunks, complete = _read(resp)
    assert b"".join(chunks) == "".join(words).encode()
    assert len(chunks) >= 2, chunks  # written apart, sent apart: not buffered into one
    assert "ErrorCode" not in complete, complete
    assert "REPORT RequestId" in base64.b64decode(complete["LogResult"]).decode()

    # the same function through Invoke: the whole streamed body, buffered
    got = lam.invoke(FunctionName=name, Payload=json.dumps({"words": words}).encode())
    assert got["Payload"].read() == "".join(words).encode()


def test_an_error_after_streaming_began_ends_the_stream_with_its_error(lam, make_function):
    name = make_function({"index.mjs": STREAMER}, runtime="nodejs20.x", handler="index.handler")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"words": ["partial"], "fail": True}).encode())
    chunks, complete = _read(resp)
    assert b"".join(chunks) == b"partial"
    assert complete["ErrorCode"] == "Error", complete
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "boom after 1 words"


def test_a_buffered_function_answers_one_chunk_and_dry_run_answers_204(lam, make_function):
    name = make_function("def handler(event, context):\n    return {'echo': event}\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"a": 1}')
    chunks, complete = _read(resp)
    assert json.loads(b"".join(chunks)) == {"echo": {"a": 1}}
    assert complete.get("ErrorCode") is None
    dry = lam.invoke_with_response_stream(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204

    failing = make_function("def handler(event, context):\n    raise ValueError('nope')\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=failing)
    chunks, complete = _read(lam.invoke_with_response_stream(FunctionName=failing, Payload=b"{}"))
    assert chunks == []
    assert complete["ErrorCode"] == "ValueError", complete
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "nope"


def test_invoke_async_runs_the_event_asynchronously(gureum, lam, make_function):
    name = make_function("def handler(event, context):\n    print('got', event['marker'])\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    resp = lam.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"marker": "m-4711"}).encode())
    assert resp["Status"] == 202
    assert any("got m-4711" in line for line in log_lines(gureum, name, "got m-4711"))
    _, out = invoke_json(lam, name, {"marker": "sync"})  # the function still answers synchronously
    assert out is None


URL_STREAMER = textwrap.dedent(
    """
    export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 201, headers: {"content-type": "text/plain", "x-path": event.rawPath}, cookies: ["s=1"],
      });
      for (const part of ["one,", "two,", "three"]) {
        stream.write(part);
        await new Promise((r) => setTimeout(r, 20));
      }
      stream.end();
    });
    """
)


def test_a_response_stream_function_url_sends_the_prelude_and_the_streamed_body(gureum, lam, make_function):
    import http.client

    name = make_function({"index.mjs": URL_STREAMER}, runtime="nodejs20.x", handler="index.handler")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    cfg = lam.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert cfg["InvokeMode"] == "RESPONSE_STREAM"
    url_id = cfg["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
    host, port = gureum.endpoint.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", f"/_aws/lambda-url/{url_id}/streamed")
    resp = conn.getresponse()
    assert resp.status == 201
    assert resp.getheader("content-type") == "text/plain"
    assert resp.getheader("x-path") == "/streamed"
    assert resp.getheader("set-cookie") == "s=1"
    assert resp.getheader("transfer-encoding") == "chunked"  # sent on as it came, not buffered
    assert resp.read() == b"one,two,three"
    conn.close()


def test_another_account_streams_a_function_only_through_an_invoke_grant(gureum, lam, make_function):
    other = gureum.client("lambda", aws_access_key_id="222222222222")
    name = make_function("def handler(event, context):\n    return 'ok'\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    with pytest.raises(ClientError) as err:
        other.invoke_with_response_stream(FunctionName=arn, Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    lam.add_permission(FunctionName=name, StatementId="other", Action="lambda:InvokeFunction", Principal="222222222222")
    chunks, complete = _read(other.invoke_with_response_stream(FunctionName=arn, Payload=b"{}"))
    assert json.loads(b"".join(chunks)) == "ok" and "ErrorCode" not in complete
