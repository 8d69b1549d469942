"""SRP-6a as Cognito's clients compute it (sans-IO): the 3072-bit group of RFC 5054 with
g = 2, SHA-256, and AWS's conventions for the hashed values.

The conventions (those of AWS's JavaScript and Python client libraries, which a server must
match byte for byte):
- numbers are hashed as their hex text "padded" (`pad_hex`): an odd length gets one leading
  zero, a leading digit 8-f gets "00" (the two's-complement sign byte of Java's BigInteger);
- k = H(pad(N) || pad(g)); u = H(pad(A) || pad(B));
- x = H(pad(salt) || H(<pool name> || <user id for SRP> || ":" || <password>)), where the
  pool name is the pool id after its "<region>_";
- the session key is HKDF-SHA256(ikm = pad(S), salt = pad(u), info "Caldera Derived Key")
  cut to 16 bytes;
- the client proves it with HMAC-SHA256(key, pool name || user id || secret block || timestamp).

The server keeps only the salt and the verifier v = g^x mod N (never the password), picks a
random b per attempt and sends B = k*v + g^b mod N; S = (A * v^u)^b mod N.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
_INFO = b"Caldera Derived Key\x01"


def pad_hex(value: int | str) -> str:
    """A number (or hex text) as AWS's clients hash it (see the module docstring)."""
    text = value if isinstance(value, str) else f"{value:x}"
    if len(text) % 2 == 1:
        return "0" + text
    if text and text[0] in "89ABCDEFabcdef":
        return "00" + text
    return text


def _h(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hh(hex_text: str) -> int:
    return int(_h(bytes.fromhex(hex_text)), 16)


K = _hh(pad_hex(N) + pad_hex(G))


def pool_name(pool_id: str) -> str:
    """The part of a pool id SRP hashes: what follows "<region>_"."""
    return pool_id.split("_", 1)[1]


def new_salt() -> str:
    """A fresh 128-bit salt as hex text (what the SALT challenge parameter carries)."""
    return secrets.token_hex(16)


def _x(pool_id: str, user_id: str, password: str, salt: str) -> int:
    inner = _h(f"{pool_name(pool_id)}{user_id}:{password}".encode())
    return _hh(pad_hex(salt) + inner)


def verifier(pool_id: str, user_id: str, password: str, salt: str) -> str:
    """v = g^x mod N as hex text, kept for the user instead of the password."""
    return f"{pow(G, _x(pool_id, user_id, password, salt), N):x}"


def server_start(verifier_hex: str) -> tuple[str, str]:
    """(b, B) as hex text for one attempt: b stays with the server."""
    v = int(verifier_hex, 16)
    while True:
        b = secrets.randbits(1024) % N
        big_b = (K * v + pow(G, b, N)) % N
        if big_b:
            return f"{b:x}", f"{big_b:x}"


def valid_a(a_hex: str) -> bool:
    """SRP_A is hex and A mod N is not 0 (the safety check of SRP-6a)."""
    try:
        a = int(a_hex, 16)
    except ValueError:
        return False
    return a % N != 0


def session_key(verifier_hex: str, a_hex: str, b_hex: str, big_b_hex: str) -> bytes | None:
    """The 16-byte key both sides derive; None when u is 0 (the attempt is refused)."""
    a, b, big_b, v = int(a_hex, 16), int(b_hex, 16), int(big_b_hex, 16), int(verifier_hex, 16)
    u = _hh(pad_hex(a) + pad_hex(big_b))
    if u == 0:
        return None
    s = pow(a * pow(v, u, N) % N, b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(f"{u:x}")), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]


def signature(key: bytes, pool_id: str, user_id: str, secret_block_b64: str, timestamp: str) -> str:
    """The PASSWORD_CLAIM_SIGNATURE a client holding the password sends (base64)."""
    msg = pool_name(pool_id).encode() + user_id.encode() + base64.b64decode(secret_block_b64) + timestamp.encode()
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def check_signature(key: bytes, pool_id: str, user_id: str, secret_block_b64: str, timestamp: str, claimed: str) -> bool:
    return hmac.compare_digest(signature(key, pool_id, user_id, secret_block_b64, timestamp).encode(), claimed.encode())
