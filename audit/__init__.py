"""Audit: the pure core of tamper evidence and signed meter values (docs/AUDIT.md).

- :mod:`audit.chain`: the per-station hash chain over the frames log's records;
- :mod:`audit.checkpoints`: chain heads signed with the CSMS's Ed25519 key.
- :mod:`audit.signed_values`: OCMF signed meter values verified against their meters' keys.
"""
