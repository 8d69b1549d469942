// The interfaces of AWS's Amazon.Lambda.Core (NuGet, not reachable here) that the test
// functions compile against, with AWS's names. A real function's package carries AWS's own
// Amazon.Lambda.Core.dll the same way: the runtime reaches these types only by reflection.
using System;
using System.Collections.Generic;
using System.IO;
namespace Amazon.Lambda.Core
{
    public interface ILambdaLogger { void Log(string message); void LogLine(string message); }
    public interface IClientApplication
    {
        string AppPackageName { get; }
        string AppTitle { get; }
        string AppVersionCode { get; }
        string AppVersionName { get; }
        string InstallationId { get; }
    }
    public interface IClientContext
    {
        IDictionary<string, string> Environment { get; }
        IClientApplication Client { get; }
        IDictionary<string, string> Custom { get; }
    }
    public interface ICognitoIdentity { string IdentityId { get; } string IdentityPoolId { get; } }
    public interface ILambdaContext
    {
        string AwsRequestId { get; }
        IClientContext ClientContext { get; }
        string FunctionName { get; }
        string FunctionVersion { get; }
        ICognitoIdentity Identity { get; }
        string InvokedFunctionArn { get; }
        ILambdaLogger Logger { get; }
        string LogGroupName { get; }
        string LogStreamName { get; }
        int MemoryLimitInMB { get; }
        TimeSpan RemainingTime { get; }
    }
    public interface ILambdaSerializer { T Deserialize<T>(Stream requestStream); void Serialize<T>(T response, Stream responseStream); }
    [AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Method)]
    public sealed class LambdaSerializerAttribute : Attribute
    {
        public Type SerializerType { get; set; }
        public LambdaSerializerAttribute(Type serializerType) { SerializerType = serializerType; }
    }
}
