"""TLS helpers (ingest/tls.py): server context and the client certificate's CN."""

from __future__ import annotations

import ssl
from pathlib import Path

from ingest.tls import client_cert_cn, server_context
from tests.pki import CertificateAuthority


def test_client_cert_cn() -> None:
    subject = ((("countryName", "NL"),), (("commonName", "CP-1"),))
    assert client_cert_cn({"subject": subject}) == "CP-1"
    two = ((("commonName", "CP-1"),), (("commonName", "CP-2"),))
    assert client_cert_cn({"subject": two}) == "CP-1+CP-2"  # never equals one station id
    assert client_cert_cn({"subject": ((("organizationName", "x"),),)}) is None
    assert client_cert_cn({}) is None
    assert client_cert_cn(None) is None


def test_server_context_requires_tls12_and_asks_for_client_certificates(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path, "test")
    server = ca.issue("server", "localhost", server=True)
    context = server_context(server.cert, server.key, ca.cert_file)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_OPTIONAL
    assert server_context(server.cert, server.key, None).verify_mode is ssl.CERT_NONE
