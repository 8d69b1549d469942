"""SSM Parameter Store (the `ssm` service's parameter operations; the rest of SSM answers 501)."""
