"""ruby3.2 / ruby3.3 / ruby3.4 through gureum's own Ruby runtime client, each on a Ruby of its
declared line where one can be had (3.3 and 3.4 are built once from Debian's sources by
`Runtime.install()`, in a session fixture; no registry here serves 3.2, which runs on the
nearest installed Ruby and says so in its log): `file.method` and `file.Module::Class.method`
handlers called with event: and context:, AWS's context object, errors as Function<Class> /
Init<Class>, environment variables, AWS_LAMBDA_LOG_FORMAT=JSON logger lines, timeouts."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import textwrap
from typing import Any

import pytest
from lambda_helpers import invoke_json
from waiting import wait_for

from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain

pytestmark = pytest.mark.skipif(shutil.which("ruby") is None, reason="no Ruby (apt-get install ruby)")

RUBIES = ["ruby3.2", "ruby3.3", "ruby3.4"]

APP = textwrap.dedent(
    """
    require 'json'
    require 'logger'
    require_relative 'lib/helper'

    $count = 0

    def handler(event:, context:)
      $count += 1
      puts "hello from ruby"
      {
        'event' => event,
        'count' => $count,
        'ruby_version' => RUBY_VERSION,
        'request_id' => context.aws_request_id,
        'arn' => context.invoked_function_arn,
        'name' => context.function_name,
        'version' => context.function_version,
        'memory' => context.memory_limit_in_mb,
        'log_group' => context.log_group_name,
        'log_stream' => context.log_stream_name,
        'remaining' => context.get_remaining_time_in_millis,
        'deadline' => context.deadline_ms,
        'identity' => context.identity,
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

    class OutOfStock < StandardError; end

    def custom_error(event:, context:)
      raise OutOfStock, 'no more'
    end

    def logs(event:, context:)
      logger = Logger.new($stdout)
      logger.debug('quiet')
      logger.info('stock checked')
      logger.warn('running low')
      'ok'
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
FILES = {"app.rb": APP, "lib/helper.rb": HELPER}


@pytest.fixture(scope="session")
def rubies() -> dict[str, Toolchain]:
    """Every ruby runtime installed once (3.3 and 3.4 are fetched and built the first time:
    minutes; later sessions find them in the cache)."""
    return {name: RUNTIMES[name].install() for name in ("ruby3.3", "ruby3.4", "ruby3.2")}  # 3.2's nearest: 3.3, once built


def _logged(logs: Any, group: str, *texts: str, deadline_s: float = 20.0) -> bool:
    """Whether one line holding every `texts` reaches the log group before the deadline."""

    def found() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        return any(all(t in e["message"] for t in texts) for e in events)

    try:
        wait_for(f"the line in {group}", found, timeout=deadline_s)
    except AssertionError:
        return False
    return True


def _log(resp: dict[str, Any]) -> str:
    return base64.b64decode(resp["LogResult"]).decode()


def test_each_declared_line_runs_where_a_registry_serves_it(rubies):
    for name in ("ruby3.3", "ruby3.4"):
        tc = rubies[name]
        assert tc.installed and tc.exact, tc
        assert tc.version.startswith(name.removeprefix("ruby") + "."), tc
        assert "built here" in tc.source
    tc = rubies["ruby3.2"]  # no registry here serves Ruby 3.2: the nearest installed, said so
    assert tc.installed and not tc.exact and "3.2 requested: nearest installed" in tc.source
    assert tc.version.startswith("3.3."), tc  # the nearest newer line, as java does


@pytest.mark.parametrize("runtime", RUBIES)
def test_ruby_hello_world_with_context_environment_and_version(gureum, lam, make_function, rubies, runtime):
    name = make_function(FILES, runtime=runtime, handler="app.handler", Timeout=9, Environment={"Variables": {"GREETING": "hi"}})
    ctx = base64.b64encode(b'{"custom": {"k": "v"}}').decode()
    resp, out = invoke_json(lam, name, {"a": [1, 2]}, LogType="Tail", ClientContext=ctx)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["event"] == {"a": [1, 2]} and out["count"] == 1
    assert out["ruby_version"] == rubies[runtime].version
    if runtime != "ruby3.2":
        assert out["ruby_version"].startswith(runtime.removeprefix("ruby") + ".")
    else:
        note = f"gureum: {runtime} runs on Ruby {out['ruby_version']}"  # logged at init, before START
        assert _logged(gureum.client("logs"), f"/aws/lambda/{name}", note, "3.2 requested, nearest installed")
    assert out["request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    assert out["name"] == name and out["version"] == "$LATEST" and out["memory"] == "128"
    assert out["log_group"] == f"/aws/lambda/{name}" and out["log_stream"]
    assert 0 < out["remaining"] <= 9000 and out["deadline"] > 1_700_000_000_000
    assert out["identity"] is None
    assert out["greeting"] == "hi" and out["helper"] == "X!"
    assert out["custom"] == {"k": "v"}
    assert "hello from ruby" in _log(resp)
    assert invoke_json(lam, name)[1]["count"] == 2  # warm


@pytest.mark.parametrize("runtime", RUBIES)
def test_ruby_exception_has_aws_error_shape_with_stack_trace(lam, make_function, rubies, runtime):
    name = make_function(FILES, runtime=runtime, handler="app.explode")
    resp, out = invoke_json(lam, name, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Function<ArgumentError>" and out["errorMessage"] == "bad input"
    assert "/app.rb:" in out["stackTrace"][0] and "nested_failure" in out["stackTrace"][0]
    assert any("explode" in line for line in out["stackTrace"])
    assert not any("bootstrap.rb" in line for line in out["stackTrace"])  # the runtime's own frames are cut
    log = _log(resp)
    assert "Error raised from handler method" in log and '"errorType": "Function<ArgumentError>"' in log
    _, out = invoke_json(lam, make_function(FILES, runtime=runtime, handler="app.custom_error"))
    assert out["errorType"] == "Function<OutOfStock>" and out["errorMessage"] == "no more"


def test_ruby_class_method_handler(lam, make_function, rubies):
    name = make_function(FILES, runtime="ruby3.4", handler="app.Shop::Orders.total")
    assert invoke_json(lam, name, {"items": [{"price": 2, "qty": 3}, {"price": 1, "qty": 4}]})[1] == 10


def test_ruby_load_errors_and_missing_methods(lam, make_function, rubies):
    resp, out = invoke_json(lam, make_function({"app.rb": "raise 'no config'\n"}, runtime="ruby3.3", handler="app.handler"))
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Init<RuntimeError>" and out["errorMessage"] == "no config"
    _, out = invoke_json(lam, make_function({"app.rb": "def x\nend\n"}, runtime="ruby3.3", handler="missing.handler"))
    assert out["errorType"] == "Init<LoadError>"
    _, out = invoke_json(lam, make_function({"app.rb": "def x\nend\n"}, runtime="ruby3.3", handler="app.a.b.c"))
    assert out["errorType"] == "Init<ArgumentError>" and "FILENAME.METHOD or FILENAME.CLASS.METHOD" in out["errorMessage"]
    name = make_function({"app.rb": "def x\nend\n"}, runtime="ruby3.4", handler="app.nope")
    _, out = invoke_json(lam, name)
    assert out["errorType"] == "Function<NoMethodError>" and "nope" in out["errorMessage"]
    _, out = invoke_json(lam, name)  # the same answer from the warm environment
    assert out["errorType"] == "Function<NoMethodError>"


@pytest.mark.parametrize("fmt", ["Text", "JSON"])
def test_ruby_logger_lines_as_aws_writes_them(lam, make_function, rubies, fmt):
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"} if fmt == "JSON" else {}
    name = make_function(FILES, runtime="ruby3.4", handler="app.logs", Environment={"Variables": env})
    resp, out = invoke_json(lam, name, LogType="Tail")
    assert out == "ok"
    rid = resp["ResponseMetadata"]["RequestId"]
    lines = _log(resp).splitlines()
    if fmt == "Text":
        info = next(line for line in lines if line.endswith("stock checked"))
        assert info.startswith("I, [") and f" INFO {rid} -- : stock checked" in info
        assert any(line.startswith("D, [") and line.endswith("quiet") for line in lines)
        return
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert [e["message"] for e in entries] == ["stock checked", "running low"]  # DEBUG filtered out at INFO
    assert [e["level"] for e in entries] == ["INFO", "WARN"]
    assert all(e["requestId"] == rid and e["timestamp"].endswith("Z") for e in entries)


def test_ruby_timeout(lam, make_function, rubies):
    name = make_function(FILES, runtime="ruby3.3", handler="app.sleepy", Timeout=2)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in out["errorMessage"]


def test_a_line_not_built_here_answers_the_nearest_installed_ruby(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no built Rubies: only the host's
    host = subprocess.run(["ruby", "-e", "print RUBY_VERSION"], capture_output=True, text=True, check=True).stdout
    for name in RUBIES:
        tc = RUNTIMES[name].toolchain()
        assert tc.installed and tc.version == host and tc.path == shutil.which("ruby"), tc
        line = name.removeprefix("ruby")
        assert tc.exact == host.startswith(line + ".")
        assert tc.exact or f"({line} requested: nearest installed)" in tc.source
