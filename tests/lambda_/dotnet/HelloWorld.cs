// A class-library Lambda function for the dotnet tests: a serializer of its own (what
// Amazon.Lambda.Serialization.* is to a real function), a context-reading handler, an error, an
// async handler and a Stream handler.
using System;
using System.IO;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Amazon.Lambda.Core;
[assembly: LambdaSerializer(typeof(HelloWorld.JsonSerializer))]
namespace HelloWorld
{
    public class JsonSerializer : ILambdaSerializer
    {
        // A flat JSON object of strings and numbers <-> public fields (what these tests need).
        public T Deserialize<T>(Stream s)
        {
            string text = new StreamReader(s).ReadToEnd();
            T value = Activator.CreateInstance<T>();
            foreach (FieldInfo f in typeof(T).GetFields())
            {
                Match m = Regex.Match(text, "\"" + f.Name + "\"\\s*:\\s*\"([^\"]*)\"");
                if (m.Success) f.SetValue(value, m.Groups[1].Value);
            }
            return value;
        }
        public void Serialize<T>(T value, Stream s)
        {
            StringBuilder sb = new StringBuilder("{");
            foreach (FieldInfo f in typeof(T).GetFields())
            {
                object v = f.GetValue(value);
                if (sb.Length > 1) sb.Append(", ");
                sb.Append("\"").Append(f.Name).Append("\": ");
                if (v == null) sb.Append("null");
                else if (v is string) sb.Append("\"").Append(((string)v).Replace("\\", "\\\\").Replace("\"", "\\\"")).Append("\"");
                else sb.Append(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture));
            }
            byte[] bytes = Encoding.UTF8.GetBytes(sb.Append("}").ToString());
            s.Write(bytes, 0, bytes.Length);
        }
    }
    public class Input { public string Name; }
    public class Output
    {
        public string Greeting;
        public string Dotnet;
        public string RequestId;
        public string FunctionName;
        public string FunctionVersion;
        public string Arn;
        public int Memory;
        public string LogGroup;
        public double Remaining;
        public string Env;
        public string Custom;
        public string AppTitle;
        public string NoIdentity;
        public string HostPaths;
    }
    public class Function
    {
        static int count;
        public Output FunctionHandler(Input input, ILambdaContext context)
        {
            count++;
            context.Logger.LogLine("hello from dotnet " + count);
            Output o = new Output();
            o.Greeting = "hello " + input.Name;
            o.Dotnet = Environment.Version.ToString();
            o.RequestId = context.AwsRequestId;
            o.FunctionName = context.FunctionName;
            o.FunctionVersion = context.FunctionVersion;
            o.Arn = context.InvokedFunctionArn;
            o.Memory = context.MemoryLimitInMB;
            o.LogGroup = context.LogGroupName;
            o.Remaining = context.RemainingTime.TotalMilliseconds;
            o.Env = Environment.GetEnvironmentVariable("GREETING");
            IClientContext cc = context.ClientContext;
            o.Custom = cc != null && cc.Custom.ContainsKey("k") ? cc.Custom["k"] : null;
            o.AppTitle = cc != null && cc.Client != null ? cc.Client.AppTitle : null;
            o.NoIdentity = context.Identity == null ? "none" : context.Identity.IdentityId;
            o.HostPaths = "";
            foreach (string p in new string[] { "/root", "/work", "/etc/shadow", "/usr/bin/apt" })
                if (Directory.Exists(p) || File.Exists(p)) o.HostPaths += p + " ";
            return o;
        }
        public Output Fail(Input input, ILambdaContext context) { return Nested(); }
        Output Nested() { throw new InvalidOperationException("bad input"); }
        public async Task<Output> Later(Input input) { await Task.Delay(1); Output o = new Output(); o.Greeting = "later " + input.Name; return o; }
        public Stream Echo(Stream input) { return input; }
    }
}
