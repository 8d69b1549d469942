"""Elastic Load Balancing v2: Application and Network Load Balancers, their listeners, rules,
target groups and targets (control plane in the store, data plane in `dataplane.py`)."""
