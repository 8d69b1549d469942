"""Amazon ECR: a real OCI Distribution v1.1 registry (served under /v2/ on the main port)
with the ECR API, tag immutability, lifecycle policies, replication and online garbage
collection. See docs in each module; nothing is imported here.
"""
