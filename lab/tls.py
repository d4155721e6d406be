"""A throw-away CA and a loopback server certificate, so clients of either lab keep TLS
verification on."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class ServerFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def issue(ca_file: Path, workdir: Path, organization: str) -> ServerFiles:
    """Write the CA bundle to `ca_file` and the leaf (127.0.0.1, localhost) chain and private
    key into `workdir`; `organization` names the lab in the CA's subject."""
    ca = trustme.CA(organization_name=organization)
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    ca_file.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a client never reads a half-written bundle.
    with tempfile.NamedTemporaryFile("wb", dir=ca_file.parent, delete=False) as tmp:
        tmp.write(ca.cert_pem.bytes())
    os.replace(tmp.name, ca_file)
    cert_file, key_file = workdir / "server-chain.pem", workdir / "server-key.pem"
    with open(cert_file, "wb") as out:
        for blob in leaf.cert_chain_pems:
            out.write(blob.bytes())
    key_file.touch(mode=0o600)  # private before the key is in it
    leaf.private_key_pem.write_to_path(str(key_file))
    return ServerFiles(ca_file, cert_file, key_file)
