"""The WebSocket gateway: OCPP-J handshake, security profiles, frames-log producer,
delivery consumer. Its choices are written down in docs/GATEWAY.md.

Exception tree::

    GatewayError
     ├── FramesLogUnavailable        Kafka did not take a frame (the frame is not acted on)
     └── CredentialStoreUnavailable  the read store could not answer a credential lookup
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own failures."""


class FramesLogUnavailable(GatewayError):
    """The frames log (Kafka) could not durably append a record."""


class CredentialStoreUnavailable(GatewayError):
    """The read store did not answer a station credential lookup."""
