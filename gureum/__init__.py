"""gureum (구름): a self-hosted cloud that speaks the AWS APIs and does what they do."""

__version__ = "0.1.0"
