"""The WebSocket gateway: OCPP-J handshake, security profiles, frames-log producer,
delivery consumer. Its choices are written down in docs/GATEWAY.md.

It is built from its own configuration (:class:`ingest.assembly.IngestConfig`), never from
the CLI's settings; the protocol facts it applies (station identity, close codes) come
from :mod:`ocpp`.

Exception tree::

    GatewayError
     ├── FramesLogUnavailable        Kafka did not take a frame (the frame is not acted on)
     ├── DeliveryUnavailable         this gateway's delivery topic could not be read
     └── CredentialStoreUnavailable  the read store could not answer a credential lookup
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own failures."""


class FramesLogUnavailable(GatewayError):
    """The frames log (Kafka) could not durably append a record."""


class DeliveryUnavailable(GatewayError):
    """The gateway's delivery topic (Kafka) could not be read."""


class CredentialStoreUnavailable(GatewayError):
    """The read store did not answer a station credential lookup."""
