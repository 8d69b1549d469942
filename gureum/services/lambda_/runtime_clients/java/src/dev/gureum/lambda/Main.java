package dev.gureum.lambda;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.LambdaRuntimeInternal;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * gureum's Java runtime interface client: loads the handler named by _HANDLER
 * ("pkg.Class::method" or "pkg.Class") from LAMBDA_TASK_ROOT (classes, lib/*.jar, *.jar)
 * and /opt/java/lib, then serves invocations through the Lambda Runtime API (2018-06-01)
 * over one keep-alive HTTP/1.1 connection.
 */
public final class Main {
    private static final String BASE = "/2018-06-01/runtime";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--warmup")) {
            warmup();  // run once at build time to record a class-data-sharing archive
            return;
        }
        if (args.length > 0 && args[0].equals("--spare")) {
            takeHandover();  // a spare: blocks until a function's environment arrives
        }
        Api api = new Api(System.getenv("AWS_LAMBDA_RUNTIME_API"));
        Handler handler;
        try {
            handler = Handler.load(System.getenv("_HANDLER"), classLoader());
        } catch (Fault f) {
            System.out.println(f.logLine());
            System.out.flush();
            api.post(BASE + "/init/error", f.payload(), f.errorType);
            System.exit(1);
            return;
        }
        while (true) {
            Api.Response next = api.request("GET", BASE + "/invocation/next", null, null);
            String requestId = next.headers.get("lambda-runtime-aws-request-id");
            String trace = next.headers.get("lambda-runtime-trace-id");
            if (trace != null && !trace.isEmpty()) System.setProperty("com.amazonaws.xray.traceHeader", trace);
            Ctx ctx = new Ctx(requestId, next.headers);
            LambdaRuntimeInternal.setRequestId(requestId);
            byte[] out;
            try {
                out = handler.invoke(next.body, ctx);
            } catch (Throwable t) {
                Fault f = Fault.of(t);
                System.out.println(f.logLine());
                System.out.flush();
                api.post(BASE + "/invocation/" + requestId + "/error", f.payload(), f.errorType);
                continue;
            }
            api.post(BASE + "/invocation/" + requestId + "/response", out, null);
        }
    }

    /**
     * A spare (gureum's lambda_/spares.py): the JVM started before any function needed it,
     * with no function's variables. The hand-over is one JSON document on stdin,
     * {"env": {...}, "cwd": ..., "args": [...]}: the process environment (what System.getenv
     * and ProcessBuilder read) becomes exactly "env" before anything of the function is loaded.
     * EOF or anything but an object (the spare is being destroyed): exit quietly.
     */
    static void takeHandover() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        for (int n; (n = System.in.read(chunk)) > 0; ) buf.write(chunk, 0, n);
        String text = new String(buf.toByteArray(), StandardCharsets.UTF_8).trim();
        Object handover = text.isEmpty() ? null : Json.parse(text);
        if (!(handover instanceof Map) || !(((Map<?, ?>) handover).get("env") instanceof Map)) {
            System.exit(0);
        }
        replaceEnvironment((Map<?, ?>) ((Map<?, ?>) handover).get("env"));
    }

    private static native int clearenv0();
    private static native int setenv0(byte[] name, byte[] value);

    /**
     * Both copies of the environment: the C one (libgureumenv.so beside the client's jar: what
     * children inherit) and the JDK's (ProcessEnvironment's map behind an unmodifiable view:
     * what System.getenv reads, filled once at class initialisation).
     */
    @SuppressWarnings("unchecked")
    static void replaceEnvironment(Map<?, ?> values) throws Exception {
        File jar = new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        System.load(new File(jar.getParentFile(), "libgureumenv.so").getAbsolutePath());
        if (clearenv0() != 0) throw new IllegalStateException("clearenv failed");
        for (Map.Entry<?, ?> e : values.entrySet()) {
            if (setenv0(String.valueOf(e.getKey()).getBytes(StandardCharsets.UTF_8),
                        String.valueOf(e.getValue()).getBytes(StandardCharsets.UTF_8)) != 0) {
                throw new IllegalStateException("setenv failed: " + e.getKey());
            }
        }
        java.lang.reflect.Field view = Class.forName("java.lang.ProcessEnvironment").getDeclaredField("theUnmodifiableEnvironment");
        view.setAccessible(true);
        java.lang.reflect.Field inner = Class.forName("java.util.Collections$UnmodifiableMap").getDeclaredField("m");
        inner.setAccessible(true);
        Map<String, String> live = (Map<String, String>) inner.get(view.get(null));
        for (String name : new ArrayList<String>(live.keySet())) live.remove(name);
        for (Map.Entry<?, ?> e : values.entrySet()) live.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
    }

    /** Touches what an invocation uses, so a CDS archive recorded at exit holds those classes. */
    static void warmup() throws Exception {
        Map<String, String> h = new HashMap<>();
        h.put("lambda-runtime-deadline-ms", "0");
        h.put("lambda-runtime-client-context", "{\"custom\":{\"a\":\"b\"},\"client\":{}}");
        h.put("lambda-runtime-cognito-identity", "{\"cognitoIdentityId\":\"x\"}");
        Ctx ctx = new Ctx("warmup", h);
        ctx.getRemainingTimeInMillis();
        Object parsed = Json.parse("{\"a\":[1,2.5,\"x\",true,null,{\"b\":{}}]}");
        Json.write(parsed);
        Json.convert(parsed, Map.class);
        Fault.of(new RuntimeException("warmup", new IllegalStateException())).payload();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Api api = new Api("127.0.0.1:" + server.getLocalPort());
            api.socket = new Socket("127.0.0.1", server.getLocalPort());
            api.close();
        }
        ClassLoader cl = new URLClassLoader(new URL[] {new File(".").toURI().toURL()}, Main.class.getClassLoader());
        try {
            Handler.load("warmup.Missing::handleRequest", cl);
        } catch (Fault expected) {
            expected.logLine();
        }
        Handler.class.getDeclaredMethods();
        readFully(new ByteArrayInputStream(new byte[0]), 0);
        Arrays.asList(RequestHandler.class, RequestStreamHandler.class, LambdaRuntime.getLogger().getClass());
    }

    /** Up to `n` bytes of `in` (fewer at its end): InputStream.readNBytes, which Java 8 lacks. */
    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] buf = new byte[n];
        int got = 0;
        while (got < n) {
            int k = in.read(buf, got, n - got);
            if (k < 0) break;
            got += k;
        }
        return got == n ? buf : Arrays.copyOf(buf, got);
    }

    static ClassLoader classLoader() throws IOException {
        List<URL> urls = new ArrayList<>();
        String root = System.getenv().getOrDefault("LAMBDA_TASK_ROOT", "/var/task");
        urls.add(new File(root).toURI().toURL());
        for (String dir : new String[] {root + "/lib", root, "/opt/java/lib", "/opt/java"}) {
            File[] jars = new File(dir).listFiles((d, n) -> n.endsWith(".jar"));
            if (jars == null) continue;
            Arrays.sort(jars);
            for (File j : jars) urls.add(j.toURI().toURL());
        }
        ClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), Main.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(cl);
        return cl;
    }

    // ---- the handler ----------------------------------------------------------------
    static final class Handler {
        final Object target;  // null for static methods
        final Method method;
        final Type input;  // for POJO handlers
        final boolean stream;
        final boolean wantsContext;
        final int params;

        Handler(Object target, Method method, Type input, boolean stream, boolean wantsContext, int params) {
            this.target = target;
            this.method = method;
            this.input = input;
            this.stream = stream;
            this.wantsContext = wantsContext;
            this.params = params;
            method.setAccessible(true);
        }

        static Handler load(String spec, ClassLoader cl) throws Fault {
            if (spec == null || spec.isEmpty()) throw new Fault("Runtime.MalformedHandlerName", "Handler not set", null);
            String className = spec;
            String methodName = null;
            int cc = spec.indexOf("::");
            if (cc >= 0) {
                className = spec.substring(0, cc);
                methodName = spec.substring(cc + 2);
            }
            Class<?> cls;
            try {
                cls = Class.forName(className, true, cl);
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                throw new Fault(e.getClass().getName(), "Class not found: " + className, Fault.trace(e));
            } catch (ExceptionInInitializerError e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                throw new Fault(c.getClass().getName(), "Error loading class " + className + (c.getMessage() == null ? "" : ": " + c.getMessage()), Fault.trace(c));
            } catch (Throwable e) {
                throw new Fault(e.getClass().getName(), "Error loading class " + className + (e.getMessage() == null ? "" : ": " + e.getMessage()), Fault.trace(e));
            }
            boolean standard = methodName == null || methodName.equals("handleRequest");
            if (standard && RequestStreamHandler.class.isAssignableFrom(cls)) {
                Method m = find(cls, "handleRequest", InputStream.class, OutputStream.class, Context.class);
                return new Handler(instance(cls, className), m, null, true, true, 3);
            }
            if (standard && RequestHandler.class.isAssignableFrom(cls)) {
                for (Method m : cls.getMethods()) {
                    if (m.getName().equals("handleRequest") && !m.isBridge() && m.getParameterCount() == 2 && m.getParameterTypes()[1] == Context.class) {
                        return new Handler(instance(cls, className), m, m.getGenericParameterTypes()[0], false, true, 2);
                    }
                }
            }
            if (methodName == null) {
                throw new Fault("Runtime.HandlerNotFound", "Class " + className + " does not implement RequestHandler or RequestStreamHandler, and no method was named in the handler", null);
            }
            // A named method: the public one with that name taking the most parameters
            // among the forms AWS accepts.
            Method best = null;
            int bestScore = -1;
            for (Method m : cls.getMethods()) {
                if (!m.getName().equals(methodName) || m.isBridge()) continue;
                Class<?>[] p = m.getParameterTypes();
                int score = -1;
                if (p.length == 3 && p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == Context.class) score = 5;
                else if (p.length == 2 && p[0] == InputStream.class && p[1] == OutputStream.class) score = 4;
                else if (p.length == 2 && p[1] == Context.class) score = 3;
                else if (p.length == 1 && p[0] != Context.class) score = 2;
                else if (p.length == 1) score = 1;
                else if (p.length == 0) score = 0;
                if (score > bestScore) {
                    best = m;
                    bestScore = score;
                }
            }
            if (best == null) {
                throw new Fault("Runtime.HandlerNotFound",
                    "No public method named " + methodName + " with appropriate method signature found on class " + className, null);
            }
            Object target = Modifier.isStatic(best.getModifiers()) ? null : instance(cls, className);
            Class<?>[] p = best.getParameterTypes();
            boolean stream = bestScore >= 4;
            boolean ctx = bestScore == 5 || bestScore == 3 || bestScore == 1;
            Type input = (bestScore == 3 || bestScore == 2) ? best.getGenericParameterTypes()[0] : null;
            return new Handler(target, best, input, stream, ctx, p.length);
        }

        static Method find(Class<?> cls, String name, Class<?>... types) throws Fault {
            try {
                return cls.getMethod(name, types);
            } catch (NoSuchMethodException e) {
                throw new Fault("Runtime.HandlerNotFound", "No public method named " + name + " with appropriate method signature found on class " + cls.getName(), null);
            }
        }

        static Object instance(Class<?> cls, String className) throws Fault {
            try {
                java.lang.reflect.Constructor<?> ctor = cls.getDeclaredConstructor();
                ctor.setAccessible(true);
                return ctor.newInstance();
            } catch (InvocationTargetException e) {
                Throwable c = e.getCause();
                throw new Fault(c.getClass().getName(), "Error loading class " + className + (c.getMessage() == null ? "" : ": " + c.getMessage()), Fault.trace(c));
            } catch (ReflectiveOperationException e) {
                throw new Fault("Runtime.HandlerNotFound", "Class " + className + " has no public zero-argument constructor", null);
            }
        }

        byte[] invoke(byte[] body, Ctx ctx) throws Throwable {
            Object[] args = new Object[params];
            ByteArrayOutputStream out = null;
            if (stream) {
                out = new ByteArrayOutputStream();
                args[0] = new ByteArrayInputStream(body);
                args[1] = out;
                if (params == 3) args[2] = ctx;
            } else if (params == 2) {
                args[0] = event(body);
                args[1] = ctx;
            } else if (params == 1) {
                args[0] = wantsContext ? ctx : event(body);
            }
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (stream) return out.toByteArray();
            if (method.getReturnType() == void.class) return "null".getBytes(StandardCharsets.UTF_8);
            return Json.write(result).getBytes(StandardCharsets.UTF_8);
        }

        Object event(byte[] body) throws Exception {
            String text = new String(body, StandardCharsets.UTF_8);
            if (input == InputStream.class) return new ByteArrayInputStream(body);
            if (input == byte[].class) return body;
            Object parsed;
            try {
                parsed = text.trim().isEmpty() ? null : Json.parse(text);
            } catch (IllegalArgumentException e) {
                if (input == String.class) return text;
                throw e;
            }
            return Json.convert(parsed, input);
        }
    }

    // ---- errors in AWS's shape ------------------------------------------------------
    static final class Fault extends Exception {
        final String errorType;
        final String errorMessage;
        final List<String> stackTrace;
        final Fault cause;

        Fault(String errorType, String errorMessage, List<String> stackTrace) {
            this(errorType, errorMessage, stackTrace, null);
        }

        Fault(String errorType, String errorMessage, List<String> stackTrace, Fault cause) {
            super(errorMessage, null, false, false);
            this.errorType = errorType;
            this.errorMessage = errorMessage;
            this.stackTrace = stackTrace;
            this.cause = cause;
        }

        static Fault of(Throwable t) {
            Fault cause = t.getCause() != null && t.getCause() != t ? of(t.getCause()) : null;
            return new Fault(t.getClass().getName(), t.getMessage(), trace(t), cause);
        }

        /** The throwable's frames above this client's own (and the reflection that called the handler). */
        static List<String> trace(Throwable t) {
            StackTraceElement[] all = t.getStackTrace();
            int end = all.length;
            for (int k = 0; k < all.length; k++) {
                if (all[k].getClassName().startsWith("dev.gureum.lambda.")) {
                    end = k;
                    break;
                }
            }
            while (end > 0 && (all[end - 1].getClassName().startsWith("jdk.internal.reflect.") || all[end - 1].getClassName().startsWith("java.lang.reflect."))) {
                end--;
            }
            List<String> out = new ArrayList<>();
            for (int k = 0; k < end; k++) out.add(all[k].toString());
            return out;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("errorMessage", errorMessage);
            m.put("errorType", errorType);
            if (stackTrace != null) m.put("stackTrace", stackTrace);
            if (cause != null) m.put("cause", cause.toMap());
            return m;
        }

        byte[] payload() {
            return Json.write(toMap()).getBytes(StandardCharsets.UTF_8);
        }

        String logLine() {
            StringBuilder b = new StringBuilder();
            b.append(errorType);
            if (errorMessage != null) b.append(": ").append(errorMessage);
            if (stackTrace != null) for (String s : stackTrace) b.append("\n\tat ").append(s);
            return b.toString();
        }
    }

    // ---- the context ----------------------------------------------------------------
    static final class Ctx implements Context {
        final String requestId;
        final String arn;
        final long deadline;
        final ClientContext clientContext;
        final CognitoIdentity identity;

        Ctx(String requestId, Map<String, String> h) {
            this.requestId = requestId;
            this.arn = h.get("lambda-runtime-invoked-function-arn");
            long d;
            try {
                d = Long.parseLong(h.getOrDefault("lambda-runtime-deadline-ms", "0"));
            } catch (NumberFormatException e) {
                d = 0;
            }
            this.deadline = d;
            this.clientContext = clientContext(h.get("lambda-runtime-client-context"));
            this.identity = identity(h.get("lambda-runtime-cognito-identity"));
        }

        public String getAwsRequestId() { return requestId; }
        public String getLogGroupName() { return System.getenv("AWS_LAMBDA_LOG_GROUP_NAME"); }
        public String getLogStreamName() { return System.getenv("AWS_LAMBDA_LOG_STREAM_NAME"); }
        public String getFunctionName() { return System.getenv("AWS_LAMBDA_FUNCTION_NAME"); }
        public String getFunctionVersion() { return System.getenv("AWS_LAMBDA_FUNCTION_VERSION"); }
        public String getInvokedFunctionArn() { return arn; }
        public CognitoIdentity getIdentity() { return identity; }
        public ClientContext getClientContext() { return clientContext; }
        public int getRemainingTimeInMillis() { return (int) Math.max(0, deadline - System.currentTimeMillis()); }
        public LambdaLogger getLogger() { return LambdaRuntime.getLogger(); }

        public int getMemoryLimitInMB() {
            try {
                return Integer.parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
            } catch (NumberFormatException e) {
                return 128;
            }
        }

        @SuppressWarnings("unchecked")
        static ClientContext clientContext(String text) {
            if (text == null || text.isEmpty()) return null;
            Object parsed;
            try {
                parsed = Json.parse(text);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (!(parsed instanceof Map)) return null;
            Map<String, Object> m = (Map<String, Object>) parsed;
            Map<String, Object> c = m.get("client") instanceof Map ? (Map<String, Object>) m.get("client") : Collections.emptyMap();
            Map<String, String> custom = strings(m.get("custom"));
            Map<String, String> env = strings(m.get("env"));
            Client client = new Client() {
                public String getInstallationId() { return str(c.get("installation_id")); }
                public String getAppTitle() { return str(c.get("app_title")); }
                public String getAppVersionName() { return str(c.get("app_version_name")); }
                public String getAppVersionCode() { return str(c.get("app_version_code")); }
                public String getAppPackageName() { return str(c.get("app_package_name")); }
            };
            return new ClientContext() {
                public Client getClient() { return client; }
                public Map<String, String> getCustom() { return custom; }
                public Map<String, String> getEnvironment() { return env; }
            };
        }

        @SuppressWarnings("unchecked")
        static CognitoIdentity identity(String text) {
            if (text == null || text.isEmpty()) return null;
            Map<String, Object> m;
            try {
                Object parsed = Json.parse(text);
                m = parsed instanceof Map ? (Map<String, Object>) parsed : Collections.emptyMap();
            } catch (IllegalArgumentException e) {
                m = Collections.emptyMap();
            }
            String id = str(m.get("cognitoIdentityId"));
            String pool = str(m.get("cognitoIdentityPoolId"));
            return new CognitoIdentity() {
                public String getIdentityId() { return id; }
                public String getIdentityPoolId() { return pool; }
            };
        }

        static Map<String, String> strings(Object v) {
            Map<String, String> out = new LinkedHashMap<>();
            if (v instanceof Map) for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(String.valueOf(e.getKey()), str(e.getValue()));
            return out;
        }

        static String str(Object v) {
            return v == null ? null : v instanceof String ? (String) v : Json.write(v);
        }
    }

    // ---- a tiny HTTP/1.1 client for the Runtime API ---------------------------------
    static final class Api {
        final String host;
        final int port;
        Socket socket;
        InputStream in;
        OutputStream out;

        Api(String address) {
            int colon = address.lastIndexOf(':');
            host = address.substring(0, colon);
            port = Integer.parseInt(address.substring(colon + 1));
        }

        static final class Response {
            int status;
            final Map<String, String> headers = new HashMap<>();
            byte[] body;
        }

        void post(String path, byte[] body, String errorType) throws IOException {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "application/json");
            if (errorType != null) h.put("Lambda-Runtime-Function-Error-Type", errorType);
            request("POST", path, body, h);
        }

        Response request(String method, String path, byte[] body, Map<String, String> headers) throws IOException {
            for (int attempt = 0; ; attempt++) {
                try {
                    return exchange(method, path, body, headers);
                } catch (IOException e) {
                    close();
                    if (attempt >= 1) throw e;
                }
            }
        }

        void close() {
            try {
                if (socket != null) socket.close();
            } catch (IOException ignored) {
            }
            socket = null;
        }

        Response exchange(String method, String path, byte[] body, Map<String, String> headers) throws IOException {
            if (socket == null) {
                socket = new Socket(host, port);
                socket.setTcpNoDelay(true);
                in = new BufferedInputStream(socket.getInputStream(), 65536);
                out = socket.getOutputStream();
            }
            StringBuilder b = new StringBuilder();
            b.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
            if (headers != null) for (Map.Entry<String, String> e : headers.entrySet()) b.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
            if (body != null) b.append("Content-Length: ").append(body.length).append("\r\n");
            b.append("\r\n");
            byte[] head = b.toString().getBytes(StandardCharsets.UTF_8);
            byte[] all = new byte[head.length + (body == null ? 0 : body.length)];
            System.arraycopy(head, 0, all, 0, head.length);
            if (body != null) System.arraycopy(body, 0, all, head.length, body.length);
            out.write(all);
            out.flush();
            Response r = new Response();
            String status = line();
            if (status == null) throw new IOException("connection closed");
            String[] parts = status.split(" ", 3);
            r.status = Integer.parseInt(parts[1]);
            String l;
            while ((l = line()) != null && !l.isEmpty()) {
                int c = l.indexOf(':');
                if (c > 0) r.headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
            }
            int n = Integer.parseInt(r.headers.getOrDefault("content-length", "0"));
            r.body = readFully(in, n);
            if (r.body.length < n) throw new IOException("short body");
            if ("close".equalsIgnoreCase(r.headers.get("connection"))) close();
            return r;
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(128);
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    byte[] a = b.toByteArray();
                    int len = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                    return new String(a, 0, len, StandardCharsets.ISO_8859_1);
                }
                b.write(c);
            }
            return b.size() == 0 ? null : new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
        }
    }
}
