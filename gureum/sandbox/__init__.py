"""Sandboxes shared by Lambda and ECS.

process.py: process trees in their own mount/pid/ipc/uts namespaces with a private read-only
root, cgroup limits (cgroups.py) and an unprivileged uid, started by the small C launcher
(launcher.c, built by launcher.py); plain subprocesses where that is not possible.
Containers: runc.py (OCI bundles and the runc/crun lifecycle), images.py, network.py.
"""
