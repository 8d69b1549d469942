"""ruby3.2 / ruby3.3 on Debian's Ruby through gureum's own Ruby runtime client: `file.method`
and `file.Module::Class.method` handlers called with event: and context:, AWS's context
methods, errors as Function<Class> / Init<Class>, environment variables, timeouts."""

from __future__ import annotations

import base64
import shutil
import textwrap

import pytest
from lambda_helpers import invoke_json

pytestmark = pytest.mark.skipif(shutil.which("ruby") is None, reason="no Ruby (apt-get install ruby)")

APP = textwrap.dedent(
    """
    require 'json'
    require_relative 'lib/helper'

    $count = 0

    def handler(event:, context:)
      $count += 1
      puts "hello from ruby"
      {
        'event' => event,
        'count' => $count,
        'request_id' => context.aws_request_id,
        'arn' => context.invoked_function_arn,
        'name' => context.function_name,
        'version' => context.function_version,
        'memory' => context.memory_limit_in_mb,
        'log_group' => context.log_group_name,
        'log_stream' => context.log_stream_name,
        'remaining' => context.get_remaining_time_in_millis,
        'greeting' => ENV['GREETING'],
        'helper' => Helper.shout('x'),
        'custom' => context.client_context && context.client_context['custom'],
      }
    end

    def explode(event:, context:)
      nested_failure
    end

    def nested_failure
      raise ArgumentError, 'bad input'
    end

    def sleepy(event:, context:)
      sleep 60
    end

    module Shop
      class Orders
        def self.total(event:, context:)
          event['items'].sum { |i| i['price'] * i['qty'] }
        end
      end
    end
    """
)

HELPER = "module Helper\n  def self.shout(s)\n    s.upcase + '!'\n  end\nend\n"


@pytest.mark.parametrize("runtime", ["ruby3.2", "ruby3.3"])
def test_ruby_hello_world_with_context_and_environment(lam, make_function, runtime):
    name = make_function(
        {"app.rb": APP, "lib/helper.rb": HELPER}, runtime=runtime, handler="app.handler", Timeout=9, Environment={"Variables": {"GREETING": "hi"}}
    )
    ctx = base64.b64encode(b'{"custom": {"k": "v"}}').decode()
    resp, out = invoke_json(lam, name, {"a": [1, 2]}, LogType="Tail", ClientContext=ctx)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["event"] == {"a": [1, 2]} and out["count"] == 1
    assert out["request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    assert out["name"] == name and out["version"] == "$LATEST" and out["memory"] == "128"
    assert out["log_group"] == f"/aws/lambda/{name}" and out["log_stream"]
    assert 0 < out["remaining"] <= 9000
    assert out["greeting"] == "hi" and out["helper"] == "X!"
    assert out["custom"] == {"k": "v"}
    assert "hello from ruby" in base64.b64decode(resp["LogResult"]).decode()
    assert invoke_json(lam, name)[1]["count"] == 2  # warm


def test_ruby_class_method_handler(lam, make_function):
    name = make_function({"app.rb": APP, "lib/helper.rb": HELPER}, runtime="ruby3.3", handler="app.Shop::Orders.total")
    assert invoke_json(lam, name, {"items": [{"price": 2, "qty": 3}, {"price": 1, "qty": 4}]})[1] == 10


def test_ruby_exception_has_aws_error_shape_with_stack_trace(lam, make_function):
    name = make_function({"app.rb": APP, "lib/helper.rb": HELPER}, runtime="ruby3.3", handler="app.explode")
    resp, out = invoke_json(lam, name, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Function<ArgumentError>" and out["errorMessage"] == "bad input"
    assert "/app.rb:" in out["stackTrace"][0] and "nested_failure" in out["stackTrace"][0]
    assert any("in `explode'" in line for line in out["stackTrace"])
    assert "Function<ArgumentError>" in base64.b64decode(resp["LogResult"]).decode()


def test_ruby_load_errors_and_missing_methods(lam, make_function):
    resp, out = invoke_json(lam, make_function({"app.rb": "raise 'no config'\n"}, runtime="ruby3.2", handler="app.handler"))
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Init<RuntimeError>" and out["errorMessage"] == "no config"
    _, out = invoke_json(lam, make_function({"app.rb": "def x\nend\n"}, runtime="ruby3.2", handler="missing.handler"))
    assert out["errorType"] == "Init<LoadError>"
    _, out = invoke_json(lam, make_function({"app.rb": "def x\nend\n"}, runtime="ruby3.2", handler="app.nope"))
    assert out["errorType"] == "Function<NoMethodError>" and "nope" in out["errorMessage"]


def test_ruby_timeout(lam, make_function):
    name = make_function({"app.rb": APP, "lib/helper.rb": HELPER}, runtime="ruby3.3", handler="app.sleepy", Timeout=2)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in out["errorMessage"]
