"""Mutual TLS truststores of custom domain names: `s3://bucket/key` (and a version) read from
S3 through its port when a domain name is created or updated (as AWS does: a new upload takes
effect only with the next UpdateDomainName), split into its PEM certificates and checked.

A certificate that cannot be read, has expired or is not yet valid, or is no CA certificate
(basicConstraints) becomes a warning (`truststoreWarnings`: mutual TLS stays on, clients
chaining to it fail) and is left out; a URI that is not s3://bucket/key, an object that
cannot be read, or a truststore with no usable certificate is AWS's BadRequestException. The
usable certificates are kept as one PEM bundle on the domain record (`truststorePem`),
which the HTTPS listener (https_domains.py) trusts for client certificates."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gureum.aws.errors import AwsError

if TYPE_CHECKING:
    from gureum.app import App

_URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")
MAX_BYTES = 1024 * 1024  # AWS's truststore limit (1 MB)
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----", re.S)


@dataclass(frozen=True)
class Truststore:
    uri: str
    version: str | None
    pem: str  # the usable certificates
    warnings: list[str]


def check(data: bytes, now: datetime.datetime) -> tuple[str, list[str]]:
    """(the usable certificates as one PEM bundle, the warnings) of a truststore's bytes."""
    from cryptography import x509

    text = data.decode("ascii", errors="replace")
    kept: list[str] = []
    warnings: list[str] = []
    for n, block in enumerate(_PEM.findall(text), start=1):
        try:
            cert = x509.load_pem_x509_certificate(block.encode())
        except ValueError:
            warnings.append(f"Certificate {n} in the truststore could not be parsed")
            continue
        subject = cert.subject.rfc4514_string()
        if cert.not_valid_after_utc < now:
            warnings.append(f"Certificate {n} ({subject}) in the truststore has expired")
            continue
        if cert.not_valid_before_utc > now:
            warnings.append(f"Certificate {n} ({subject}) in the truststore is not yet valid")
            continue
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = cert.issuer == cert.subject  # a v1 self-signed root
        if not is_ca:
            warnings.append(f"Certificate {n} ({subject}) in the truststore is not a CA certificate")
            continue
        kept.append(block)
    return "\n".join(kept), warnings


def _bad(message: str) -> AwsError:
    return AwsError.modeled("apigateway", "BadRequestException", message)


async def load(app: App, account: str, uri: str, version: str | None) -> Truststore:
    """The truststore at `uri` for a domain name of `account` (BadRequestException as above)."""
    from gureum.services.s3 import port as s3  # only when a domain name names a truststore

    m = _URI.fullmatch(uri or "")
    if m is None:
        raise _bad(f"Invalid truststore URI specified: {uri}. It must be of the form s3://bucket-name/key-name")
    try:
        obj = await s3.get(app, account, m["bucket"], m["key"], version or None)
        if obj.size > MAX_BYTES:
            raise _bad(f"The truststore at {uri} is larger than {MAX_BYTES} bytes")
        data = await obj.read()
    except AwsError as e:
        if e.code == "BadRequestException":
            raise
        raise _bad(f"Unable to access the truststore at {uri}: {e.code}") from None
    pem, warnings = check(data, datetime.datetime.now(datetime.timezone.utc))
    if not pem:
        raise _bad(f"The truststore at {uri} contains no valid certificate" + (f": {'; '.join(warnings)}" if warnings else ""))
    return Truststore(uri, version, pem, warnings)
