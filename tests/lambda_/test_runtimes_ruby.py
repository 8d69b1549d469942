"""ruby3.2 / ruby3.3 / ruby3.4 through gureum's own Ruby runtime client, each on a Ruby of its
declared line where one can be had (3.3 and 3.4 are built once from Debian's sources by
`Runtime.install()`, in a session fixture; no registry here serves 3.2, which runs on the
nearest installed Ruby and says so in its log): `file.method` and `file.Module::Class.method`
handlers called with event: and context:, AWS's context object, errors as Function<Class> /
Init<Class>, environment variables, AWS_LAMBDA_LOG_FORMAT=JSON logger lines, timeouts."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, invoke_json, zip_of
from waiting import wait_for

from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain

pytestmark = pytest.mark.skipif(shutil.which("ruby") is None, reason="no Ruby (apt-get install ruby)")

RUBIES = ["ruby3.2", "ruby3.3", "ruby3.4"]
ROOT = Path(__file__).resolve().parents[2]

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


def test_first_use_builds_the_declared_ruby_in_the_background(tmp_path):
    """ruby3.3 on a cache without a built 3.3: the first invoke runs at once on the nearest
    Ruby (saying so) and starts the 3.3 install in gureum's background worker, which waits on the
    line's install lock while another build holds it (`gureum runtimes` says "building"); once
    that build's Ruby is in place and the lock released, the background install finds it (a
    quick no-op), "building" clears, and the next environment runs 3.3 with INIT_START and
    RuntimeVersionArn naming it."""
    from gureum.services.lambda_.runtimes import ruby

    built = sorted(p for p in ruby.rubies_dir().glob("ruby-3.3.*") if (p / "bin" / "ruby").exists())
    if not built:
        pytest.skip("no Ruby 3.3 built in this user's cache (make runtimes)")
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    base = cache / "gureum" / "runtimes" / "ruby"
    base.mkdir(parents=True)
    lock = open(base / ".install-3.3.lock", "w")  # another build of the 3.3 line is under way
    fcntl.flock(lock, fcntl.LOCK_EX)

    def listed() -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "--json", "ruby3.3"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300, env={**os.environ, **env})
        assert out.returncode == 0, out.stderr
        row: dict[str, Any] = json.loads(out.stdout)
        return row

    g = GureumProcess(tmp_path / "data", env=env)
    g.start()
    try:
        lam = g.client("lambda")
        role = g.client("iam").create_role(RoleName="rb", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        name = "rb-first-use"
        lam.create_function(FunctionName=name, Runtime="ruby3.3", Role=role, Handler="app.handler", Code={"ZipFile": zip_of(FILES)})
        wait_for("the function", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", timeout=30)
        resp, out = invoke_json(lam, name)
        assert "FunctionError" not in resp, out
        host = subprocess.run(["ruby", "-e", "print RUBY_VERSION"], capture_output=True, text=True, check=True).stdout
        assert out["ruby_version"] == host  # the nearest, at once
        logs = g.client("logs")
        group = f"/aws/lambda/{name}"
        assert _logged(logs, group, "INIT_START", "(3.3 requested: nearest installed)")
        assert _logged(logs, group, "building its declared version in the background")
        wait_for("gureum runtimes saying building", lambda: listed()["building"] is True, timeout=60)
        assert listed()["exact"] is False
        # the other build finishes: its Ruby appears whole, then the lock is released
        stage = base / ".stage"
        shutil.copytree(built[-1], stage, symlinks=True)
        os.rename(stage, base / built[-1].name)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        wait_for("the background install to end", lambda: listed()["building"] is False, timeout=60)
        row = listed()
        assert row["exact"] is True and row["installed"] is True and row["version"] == built[-1].name.removeprefix("ruby-")
        # a new environment (new configuration) runs the declared line
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"GREETING": "after"}})
        wait_for("the update", lambda: lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful",
                 timeout=30)
        resp, out = invoke_json(lam, name)
        assert "FunctionError" not in resp, out
        assert out["ruby_version"] == row["version"] and out["greeting"] == "after"
        build = row["version"].split(".")[-1]
        arn = lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"]["RuntimeVersionArn"]
        assert _logged(logs, group, f"INIT_START Runtime Version: ruby:3.3.v{build}", arn)
    finally:
        g.stop()


def test_a_build_step_ends_with_the_process_that_started_it(tmp_path):
    """A fetch/build step run by a background install (a daemon thread) is killed when its
    process exits, instead of building on for minutes after gureum stopped."""
    fifo = tmp_path / "pid"
    os.mkfifo(fifo)
    script = textwrap.dedent(
        f"""
        import sys, threading
        from gureum.services.lambda_.runtimes import ruby
        threading.Thread(target=ruby._run, args=(["sh", "-c", "echo $$ > {fifo}; exec sleep 300"],), daemon=True).start()
        with open("{fifo}") as f:  # the step is running once it has written its pid
            sys.stdout.write(f.read())
        """
    )
    started = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60, capture_output=True, text=True)
    pid = int(started.stdout)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

    wait_for("the build step to end", gone, timeout=30)
