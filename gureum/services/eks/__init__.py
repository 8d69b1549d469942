"""EKS: the API around clusters (clusters.py: CreateCluster, DescribeCluster, ListClusters,
DeleteCluster, tags; access.py: access entries and access policies) and the token
authenticator their API servers are to call (authn.py: `aws eks get-token` tokens verified by
SigV4 and mapped to access entries). The control plane (the `gureum-kube` binary of issue 23)
is not built yet, so a cluster never becomes ACTIVE: the `eks-control-plane` component moves
each new cluster from CREATING to FAILED with a health issue saying why (control.py)."""
