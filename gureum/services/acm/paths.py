"""The paths ACM answers under /_gureum/ (edge.py), apart from what answers them, so that the
edge route every /_gureum/ request passes (health checks included) imports nothing heavy —
no cryptography — and the approval mails (email_validation.py) build their links on the
same path."""

from __future__ import annotations

CA_PATH = "/_gureum/ca.pem"  # the root of gureum's certificate authority (ca.py)
APPROVE_PATH = "/_gureum/acm/approve"  # an EMAIL validation's approval link
