"""TOTP as virtual MFA devices use it (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, via
`pyotp`), and the QR code an authenticator app scans. Pure functions of their inputs.

`find_consecutive` is the check EnableMFADevice and ResyncMFADevice make: two codes the
device showed one after the other, i.e. the codes of steps s and s+1 for some s within
`window` steps of where the device's clock is believed to be (`now_step + drift`)."""

from __future__ import annotations

import base64
import secrets
import struct
import zlib
from urllib.parse import quote

import pyotp
import qrcode

STEP_SECONDS = 30
SEED_BYTES = 40  # a 64-character base32 seed, as AWS's virtual devices have


def new_seed() -> str:
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode()


def step_of(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


def code_at(seed: str, step: int) -> str:
    return pyotp.TOTP(seed, interval=STEP_SECONDS).generate_otp(step)


def find_consecutive(seed: str, code1: str, code2: str, now_step: int, drift: int, window: int) -> int | None:
    """The step s (within `window` of now_step + drift) whose code is code1 and s+1's code2."""
    centre = now_step + drift
    for s in sorted(range(centre - window, centre + window + 1), key=lambda s: abs(s - centre)):
        if secrets.compare_digest(code_at(seed, s), code1) and secrets.compare_digest(code_at(seed, s + 1), code2):
            return s
    return None


def provisioning_uri(seed: str, device: str, account_label: str) -> str:
    """otpauth:// URI of a virtual device, labelled as AWS labels it (Amazon Web Services)."""
    label = quote(f"Amazon Web Services:{device}@{account_label}")
    return f"otpauth://totp/{label}?secret={seed}&issuer=Amazon%20Web%20Services"


def qr_png(data: str, scale: int = 4) -> bytes:
    """A PNG (8-bit greyscale) of the QR code of `data`, `scale` pixels a module."""
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    rows = []
    for row in qr.get_matrix():
        line = b"\x00" + b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        rows.extend([line] * scale)
    size = len(qr.get_matrix()) * scale

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(
        b"IEND", b""
    )
