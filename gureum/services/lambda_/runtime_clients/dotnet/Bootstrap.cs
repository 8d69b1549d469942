// gureum's .NET runtime interface client: speaks the Lambda Runtime API (2018-06-01) the way
// AWS's managed .NET runtimes (Amazon.Lambda.RuntimeSupport) do, for class-library handlers
// "Assembly::Namespace.Class::Method".
//
// Written for Mono's C# compiler (mcs, against Mono's class libraries) and run on the .NET
// runtime of the declared version: Mono's mscorlib/System references resolve to .NET's own
// assemblies through their facades. Amazon.Lambda.Core (ILambdaContext, ILambdaLogger,
// LambdaSerializerAttribute) is the function's: it comes in the function's package, so it is
// only reached by reflection here, and the context object is a type emitted at run time that
// implements the function's ILambdaContext.
//
// Handler shapes: ([input], [ILambdaContext]) with input a Stream or any type the function's
// serializer ([assembly: LambdaSerializer(typeof(X))] or on the method) reads; results void,
// Stream, Task, Task<T> or any type the serializer writes. Errors are posted as AWS's .NET
// runtime shapes them: {errorType: the exception's type name, errorMessage, stackTrace: [...],
// cause: {...} for an inner exception}; init errors (a bad handler string, a missing assembly,
// type or method, a throwing constructor) are posted to /init/error.
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Threading;

namespace Gureum.Lambda
{
    public sealed class HandlerException : Exception
    {
        public readonly string ErrorType;
        public HandlerException(string type, string message) : base(message) { ErrorType = type; }
    }

    /// <summary>Values and calls behind the emitted ILambdaContext / ILambdaLogger types.</summary>
    public abstract class Backing
    {
        public abstract object Call(string name, object[] args);
    }

    public sealed class ContextBacking : Backing
    {
        readonly Dictionary<string, object> values;
        public ContextBacking(Dictionary<string, object> values) { this.values = values; }

        public override object Call(string name, object[] args)
        {
            if (name == "get_RemainingTime")
            {
                long deadline = (long)values["deadline"];
                long now = (long)(DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds;
                return TimeSpan.FromMilliseconds(Math.Max(0, deadline - now));
            }
            object v;
            return values.TryGetValue(name.StartsWith("get_") ? name.Substring(4) : name, out v) ? v : null;
        }
    }

    /// <summary>context.Logger: the text as it is, or with AWS_LAMBDA_LOG_FORMAT=JSON one JSON
    /// object a line {timestamp, level, requestId, traceId, message} as AWS's .NET runtime
    /// writes them (Log/LogLine at level "Information"; Log(level, message) at `level`).</summary>
    public sealed class LoggerBacking : Backing
    {
        static readonly bool json = string.Equals(Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_FORMAT"), "JSON", StringComparison.OrdinalIgnoreCase);
        readonly string requestId;
        readonly string traceId;
        public LoggerBacking(string requestId, string traceId) { this.requestId = requestId; this.traceId = traceId; }

        public override object Call(string name, object[] args)
        {
            if (args.Length == 0) return null;
            string message = args[args.Length - 1] == null ? "" : args[args.Length - 1].ToString();
            string level = "Information";
            if (name == "Log" && args.Length >= 2 && args[0] != null)
            {
                level = args[0].ToString();
                message = args[1] == null ? "" : args[1].ToString();
            }
            if (json)
            {
                Console.WriteLine("{\"timestamp\": " + Json.Quote(DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"))
                    + ", \"level\": " + Json.Quote(level) + ", \"requestId\": " + Json.Quote(requestId)
                    + (traceId != null ? ", \"traceId\": " + Json.Quote(traceId) : "") + ", \"message\": " + Json.Quote(message) + "}");
            }
            else if (name == "Log" && args.Length == 1) Console.Write(message);
            else Console.WriteLine(message);
            return null;
        }
    }

    /// <summary>Types implementing the function's interfaces, every call sent to a Backing.</summary>
    public static class Emitter
    {
        static readonly ModuleBuilder module = AssemblyBuilder.DefineDynamicAssembly(
            new AssemblyName("Gureum.Lambda.Emitted"), AssemblyBuilderAccess.Run).DefineDynamicModule("Emitted");
        static readonly Dictionary<Type, Type> built = new Dictionary<Type, Type>();

        public static object Implement(Type iface, Backing backing)
        {
            Type t;
            if (!built.TryGetValue(iface, out t))
            {
                t = Build(iface);
                built[iface] = t;
            }
            return Activator.CreateInstance(t, new object[] { backing });
        }

        static Type Build(Type iface)
        {
            TypeBuilder tb = module.DefineType("Impl" + built.Count + "_" + iface.Name, TypeAttributes.Public | TypeAttributes.Sealed);
            tb.AddInterfaceImplementation(iface);
            FieldBuilder field = tb.DefineField("backing", typeof(Backing), FieldAttributes.Private);
            ConstructorBuilder ctor = tb.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, new Type[] { typeof(Backing) });
            ILGenerator cil = ctor.GetILGenerator();
            cil.Emit(OpCodes.Ldarg_0);
            cil.Emit(OpCodes.Call, typeof(object).GetConstructor(Type.EmptyTypes));
            cil.Emit(OpCodes.Ldarg_0);
            cil.Emit(OpCodes.Ldarg_1);
            cil.Emit(OpCodes.Stfld, field);
            cil.Emit(OpCodes.Ret);
            MethodInfo call = typeof(Backing).GetMethod("Call");
            List<Type> all = new List<Type>(iface.GetInterfaces());
            all.Add(iface);
            foreach (Type it in all)
            {
                foreach (MethodInfo m in it.GetMethods())
                {
                    if (!m.IsAbstract || m.IsGenericMethodDefinition) continue; // default interface methods stay the interface's
                    ParameterInfo[] ps = m.GetParameters();
                    Type[] types = new Type[ps.Length];
                    for (int i = 0; i < ps.Length; i++) types[i] = ps[i].ParameterType;
                    MethodBuilder mb = tb.DefineMethod(it.Name + "." + m.Name,
                        MethodAttributes.Private | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
                        m.ReturnType, types);
                    ILGenerator g = mb.GetILGenerator();
                    g.Emit(OpCodes.Ldarg_0);
                    g.Emit(OpCodes.Ldfld, field);
                    g.Emit(OpCodes.Ldstr, m.Name);
                    g.Emit(OpCodes.Ldc_I4, ps.Length);
                    g.Emit(OpCodes.Newarr, typeof(object));
                    for (int i = 0; i < ps.Length; i++)
                    {
                        g.Emit(OpCodes.Dup);
                        g.Emit(OpCodes.Ldc_I4, i);
                        g.Emit(OpCodes.Ldarg, i + 1);
                        if (types[i].IsValueType) g.Emit(OpCodes.Box, types[i]);
                        g.Emit(OpCodes.Stelem_Ref);
                    }
                    g.Emit(OpCodes.Callvirt, call);
                    if (m.ReturnType == typeof(void)) g.Emit(OpCodes.Pop);
                    else if (m.ReturnType.IsValueType)
                    {
                        // null (an unknown value) becomes the type's default
                        LocalBuilder tmp = g.DeclareLocal(typeof(object));
                        Label some = g.DefineLabel();
                        g.Emit(OpCodes.Stloc, tmp);
                        g.Emit(OpCodes.Ldloc, tmp);
                        g.Emit(OpCodes.Brtrue_S, some);
                        LocalBuilder def = g.DeclareLocal(m.ReturnType);
                        g.Emit(OpCodes.Ldloca, def);
                        g.Emit(OpCodes.Initobj, m.ReturnType);
                        g.Emit(OpCodes.Ldloc, def);
                        g.Emit(OpCodes.Ret);
                        g.MarkLabel(some);
                        g.Emit(OpCodes.Ldloc, tmp);
                        g.Emit(OpCodes.Unbox_Any, m.ReturnType);
                    }
                    else g.Emit(OpCodes.Castclass, m.ReturnType);
                    g.Emit(OpCodes.Ret);
                    tb.DefineMethodOverride(mb, m);
                }
            }
            return tb.CreateType();
        }
    }

    public sealed class Invocation
    {
        public string RequestId;
        public byte[] Body;
        public WebHeaderCollection Headers;
    }

    /// <summary>The Runtime API over HTTP/1.1.</summary>
    public sealed class Api
    {
        readonly string baseUrl;
        public Api(string address) { baseUrl = "http://" + address + "/2018-06-01/runtime"; }

        public Invocation Next()
        {
            HttpWebRequest req = (HttpWebRequest)WebRequest.Create(baseUrl + "/invocation/next");
            req.Timeout = Timeout.Infinite;
            req.ReadWriteTimeout = Timeout.Infinite;
            using (HttpWebResponse resp = (HttpWebResponse)req.GetResponse())
            using (MemoryStream buf = new MemoryStream())
            {
                resp.GetResponseStream().CopyTo(buf);
                Invocation inv = new Invocation();
                inv.Headers = resp.Headers;
                inv.RequestId = resp.Headers["Lambda-Runtime-Aws-Request-Id"];
                inv.Body = buf.ToArray();
                return inv;
            }
        }

        public void Post(string path, byte[] body, string contentType, string errorType)
        {
            HttpWebRequest req = (HttpWebRequest)WebRequest.Create(baseUrl + path);
            req.Method = "POST";
            req.ContentType = contentType;
            if (errorType != null) req.Headers["Lambda-Runtime-Function-Error-Type"] = errorType;
            req.ContentLength = body.Length;
            using (Stream s = req.GetRequestStream()) s.Write(body, 0, body.Length);
            using (HttpWebResponse resp = (HttpWebResponse)req.GetResponse()) resp.GetResponseStream().CopyTo(Stream.Null);
        }
    }

    public static class Json
    {
        /// <summary>A JSON object's members: strings, nested objects (dictionaries), other
        /// scalars as their text; arrays are skipped. Null when `text` is not an object.</summary>
        public static Dictionary<string, object> ReadObject(string text)
        {
            if (string.IsNullOrEmpty(text)) return null;
            int i = 0;
            try { return ReadValue(text, ref i) as Dictionary<string, object>; }
            catch (FormatException) { return null; }
            catch (IndexOutOfRangeException) { return null; }
        }

        static void Space(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

        static object ReadValue(string s, ref int i)
        {
            Space(s, ref i);
            char c = s[i];
            if (c == '{')
            {
                Dictionary<string, object> d = new Dictionary<string, object>();
                i++;
                Space(s, ref i);
                if (s[i] == '}') { i++; return d; }
                while (true)
                {
                    Space(s, ref i);
                    string key = ReadString(s, ref i);
                    Space(s, ref i);
                    if (s[i++] != ':') throw new FormatException();
                    d[key] = ReadValue(s, ref i);
                    Space(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i++] == '}') return d;
                    throw new FormatException();
                }
            }
            if (c == '[')
            {
                i++;
                Space(s, ref i);
                if (s[i] == ']') { i++; return null; }
                while (true)
                {
                    ReadValue(s, ref i);
                    Space(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i++] == ']') return null;
                    throw new FormatException();
                }
            }
            if (c == '"') return ReadString(s, ref i);
            int start = i;
            while (i < s.Length && ",}] \t\r\n".IndexOf(s[i]) < 0) i++;
            string word = s.Substring(start, i - start);
            return word == "null" ? null : word;
        }

        static string ReadString(string s, ref int i)
        {
            if (s[i++] != '"') throw new FormatException();
            StringBuilder sb = new StringBuilder();
            while (s[i] != '"')
            {
                char c = s[i++];
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16)); i += 4; break;
                    default: sb.Append(e); break;
                }
            }
            i++;
            return sb.ToString();
        }

        public static string Quote(string s)
        {
            if (s == null) return "null";
            StringBuilder sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"') sb.Append("\\\"");
                else if (c == '\\') sb.Append("\\\\");
                else if (c < ' ') sb.AppendFormat("\\u{0:x4}", (int)c);
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        public static string Error(Exception e)
        {
            while ((e is TargetInvocationException || e is AggregateException) && e.InnerException != null) e = e.InnerException;
            HandlerException he = e as HandlerException;
            StringBuilder sb = new StringBuilder("{\"errorType\": ");
            sb.Append(Quote(he != null ? he.ErrorType : e.GetType().Name));
            sb.Append(", \"errorMessage\": ").Append(Quote(e.Message));
            List<string> lines = new List<string>();
            foreach (string line in (e.StackTrace ?? "").Split('\n'))
            {
                string t = line.Trim();
                if (t.Length == 0 || t.Contains("Gureum.Lambda.") || t.Contains("System.Reflection.") || t.Contains("System.RuntimeMethodHandle.")) continue;
                lines.Add(Quote(t));
            }
            sb.Append(", \"stackTrace\": [").Append(string.Join(", ", lines.ToArray())).Append("]");
            if (he == null && e.InnerException != null) sb.Append(", \"cause\": ").Append(Error(e.InnerException));
            return sb.Append("}").ToString();
        }
    }

    public sealed class Handler
    {
        readonly MethodInfo method;
        readonly object target;
        readonly object serializer;
        readonly Type contextType;
        readonly Type loggerType;

        public Handler(string spec, string taskRoot)
        {
            string[] parts = (spec ?? "").Split(new string[] { "::" }, StringSplitOptions.None);
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || parts[2].Length == 0)
                throw new HandlerException("LambdaValidationException",
                    "Invalid handler '" + spec + "': the handler must be of the form ASSEMBLY::TYPE::METHOD");
            string path = Path.Combine(taskRoot, parts[0] + ".dll");
            if (!File.Exists(path))
                throw new HandlerException("LambdaValidationException", "Could not find the specified handler assembly with the file name '" + parts[0] + "'. The assembly should be located in the root of your uploaded .zip file.");
            Assembly asm = Assembly.LoadFrom(path);
            Type type = asm.GetType(parts[1], false);
            if (type == null)
                throw new HandlerException("LambdaValidationException", "Unable to load type '" + parts[1] + "' from assembly '" + parts[0] + "'.");
            foreach (MethodInfo m in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static))
            {
                if (m.Name == parts[2]) { method = m; break; }
            }
            if (method == null)
                throw new HandlerException("LambdaValidationException", "Unable to find method '" + parts[2] + "' in type '" + parts[1] + "' from assembly '" + parts[0] + "': Found no methods matching method name '" + parts[2] + "'.");
            if (!method.IsStatic) target = Activator.CreateInstance(type);
            Type core = null;
            foreach (Assembly a in AppDomain.CurrentDomain.GetAssemblies())
                if (a.GetName().Name == "Amazon.Lambda.Core") core = a.GetType("Amazon.Lambda.Core.ILambdaContext", false) != null ? a.GetType("Amazon.Lambda.Core.ILambdaContext") : core;
            foreach (ParameterInfo p in method.GetParameters())
                if (p.ParameterType.FullName == "Amazon.Lambda.Core.ILambdaContext") core = p.ParameterType;
            contextType = core;
            if (core != null) loggerType = core.Assembly.GetType("Amazon.Lambda.Core.ILambdaLogger", false);
            object attr = FindSerializerAttribute(method.GetCustomAttributes(false)) ?? FindSerializerAttribute(asm.GetCustomAttributes(false));
            if (attr != null)
            {
                Type st = (Type)attr.GetType().GetProperty("SerializerType").GetValue(attr, null);
                serializer = Activator.CreateInstance(st);
            }
        }

        static object FindSerializerAttribute(object[] attrs)
        {
            foreach (object a in attrs)
                if (a.GetType().FullName == "Amazon.Lambda.Core.LambdaSerializerAttribute") return a;
            return null;
        }

        object Deserialize(Type t, byte[] body)
        {
            if (t == typeof(Stream) || t == typeof(MemoryStream)) return new MemoryStream(body, false);
            if (serializer == null)
                throw new HandlerException("LambdaSerializationException", "No serializer is defined for the handler's input type " + t.FullName + " (add an Amazon.Lambda.Core.LambdaSerializerAttribute)");
            MethodInfo de = FindGeneric(serializer.GetType(), "Deserialize", 1).MakeGenericMethod(t);
            return de.Invoke(serializer, new object[] { new MemoryStream(body, false) });
        }

        byte[] Serialize(Type t, object value)
        {
            Stream s = value as Stream;
            if (s != null)
            {
                MemoryStream copy = new MemoryStream();
                s.CopyTo(copy);
                return copy.ToArray();
            }
            if (serializer == null)
                throw new HandlerException("LambdaSerializationException", "No serializer is defined for the handler's return type " + t.FullName + " (add an Amazon.Lambda.Core.LambdaSerializerAttribute)");
            MemoryStream outs = new MemoryStream();
            FindGeneric(serializer.GetType(), "Serialize", 2).MakeGenericMethod(t).Invoke(serializer, new object[] { value, outs });
            return outs.ToArray();
        }

        static MethodInfo FindGeneric(Type t, string name, int arity)
        {
            foreach (Type it in t.GetInterfaces())
                foreach (MethodInfo m in it.GetMethods())
                    if (m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == arity) return m;
            foreach (MethodInfo m in t.GetMethods())
                if (m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == arity) return m;
            throw new HandlerException("LambdaSerializationException", "The serializer " + t.FullName + " has no " + name + "<T> method");
        }

        public byte[] Invoke(Invocation inv)
        {
            ParameterInfo[] ps = method.GetParameters();
            object[] args = new object[ps.Length];
            for (int i = 0; i < ps.Length; i++)
            {
                Type pt = ps[i].ParameterType;
                args[i] = contextType != null && pt == contextType ? Context(inv) : Deserialize(pt, inv.Body);
            }
            object result = method.Invoke(target, args);
            Type rt = method.ReturnType;
            if (result is System.Threading.Tasks.Task)
            {
                ((System.Threading.Tasks.Task)result).GetAwaiter().GetResult();
                if (rt.IsGenericType)
                {
                    PropertyInfo value = result.GetType().GetProperty("Result");
                    rt = rt.GetGenericArguments()[0];
                    result = value.GetValue(result, null);
                }
                else return new byte[0];
            }
            if (rt == typeof(void)) return new byte[0];
            return Serialize(rt, result);
        }

        object Context(Invocation inv)
        {
            Dictionary<string, object> v = new Dictionary<string, object>();
            v["AwsRequestId"] = inv.RequestId;
            v["FunctionName"] = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME");
            v["FunctionVersion"] = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION");
            v["InvokedFunctionArn"] = inv.Headers["Lambda-Runtime-Invoked-Function-Arn"];
            v["LogGroupName"] = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_GROUP_NAME");
            v["LogStreamName"] = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_STREAM_NAME");
            int memory;
            v["MemoryLimitInMB"] = int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), out memory) ? memory : 0;
            long deadline;
            v["deadline"] = long.TryParse(inv.Headers["Lambda-Runtime-Deadline-Ms"], out deadline) ? deadline : 0L;
            v["TraceId"] = inv.Headers["Lambda-Runtime-Trace-Id"];
            v["TenantId"] = inv.Headers["Lambda-Runtime-Aws-Tenant-Id"];
            if (loggerType != null) v["Logger"] = Emitter.Implement(loggerType, new LoggerBacking(inv.RequestId, inv.Headers["Lambda-Runtime-Trace-Id"]));
            Assembly core = contextType.Assembly;
            Dictionary<string, object> identity = Json.ReadObject(inv.Headers["Lambda-Runtime-Cognito-Identity"]);
            Type identityType = core.GetType("Amazon.Lambda.Core.ICognitoIdentity", false);
            if (identity != null && identityType != null)
            {
                Dictionary<string, object> iv = new Dictionary<string, object>();
                iv["IdentityId"] = Text(identity, "cognitoIdentityId") ?? Text(identity, "cognito_identity_id");
                iv["IdentityPoolId"] = Text(identity, "cognitoIdentityPoolId") ?? Text(identity, "cognito_identity_pool_id");
                v["Identity"] = Emitter.Implement(identityType, new ContextBacking(iv));
            }
            Dictionary<string, object> client = Json.ReadObject(inv.Headers["Lambda-Runtime-Client-Context"]);
            Type clientType = core.GetType("Amazon.Lambda.Core.IClientContext", false);
            if (client != null && clientType != null)
            {
                Dictionary<string, object> cv = new Dictionary<string, object>();
                cv["Custom"] = Strings(client, "custom");
                cv["Environment"] = Strings(client, "env");
                Dictionary<string, object> app = client.ContainsKey("client") ? client["client"] as Dictionary<string, object> : null;
                Type appType = core.GetType("Amazon.Lambda.Core.IClientApplication", false);
                if (app != null && appType != null)
                {
                    Dictionary<string, object> av = new Dictionary<string, object>();
                    av["AppPackageName"] = Text(app, "app_package_name");
                    av["AppTitle"] = Text(app, "app_title");
                    av["AppVersionCode"] = Text(app, "app_version_code");
                    av["AppVersionName"] = Text(app, "app_version_name");
                    av["InstallationId"] = Text(app, "installation_id");
                    cv["Client"] = Emitter.Implement(appType, new ContextBacking(av));
                }
                v["ClientContext"] = Emitter.Implement(clientType, new ContextBacking(cv));
            }
            return Emitter.Implement(contextType, new ContextBacking(v));
        }

        static string Text(Dictionary<string, object> d, string key)
        {
            object o;
            return d.TryGetValue(key, out o) ? o as string : null;
        }

        static Dictionary<string, string> Strings(Dictionary<string, object> d, string key)
        {
            Dictionary<string, string> outs = new Dictionary<string, string>();
            object o;
            Dictionary<string, object> inner = d.TryGetValue(key, out o) ? o as Dictionary<string, object> : null;
            if (inner != null)
                foreach (KeyValuePair<string, object> kv in inner) outs[kv.Key] = kv.Value as string;
            return outs;
        }
    }

    public static class Program
    {
        public static int Main(string[] argv)
        {
            Api api = new Api(Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API"));
            string taskRoot = Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT") ?? "/var/task";
            string spec = Environment.GetEnvironmentVariable("_HANDLER");
            Handler handler;
            try
            {
                handler = new Handler(spec, taskRoot);
            }
            catch (Exception e)
            {
                string body = Json.Error(e);
                Console.WriteLine("Init error when loading handler " + spec + ": " + body);
                api.Post("/init/error", Encoding.UTF8.GetBytes(body), "application/json", "Runtime.Unknown");
                return 1;
            }
            while (true)
            {
                Invocation inv = api.Next();
                Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", inv.Headers["Lambda-Runtime-Trace-Id"]);
                byte[] result;
                try
                {
                    result = handler.Invoke(inv);
                }
                catch (Exception e)
                {
                    string body = Json.Error(e);
                    Console.WriteLine(body);
                    api.Post("/invocation/" + inv.RequestId + "/error", Encoding.UTF8.GetBytes(body), "application/json", "Function<" + ErrorTypeOf(e) + ">");
                    continue;
                }
                api.Post("/invocation/" + inv.RequestId + "/response", result, "application/json", null);
            }
        }

        static string ErrorTypeOf(Exception e)
        {
            while ((e is TargetInvocationException || e is AggregateException) && e.InnerException != null) e = e.InnerException;
            HandlerException he = e as HandlerException;
            return he != null ? he.ErrorType : e.GetType().Name;
        }
    }
}
