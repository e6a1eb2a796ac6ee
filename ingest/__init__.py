"""The WebSocket gateway: OCPP-J handshake, frames-log producer, delivery consumer.

Exception tree::

    GatewayError
     └── FramesLogUnavailable   Kafka did not take a frame (the frame is not acted on)
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own failures."""


class FramesLogUnavailable(GatewayError):
    """The frames log (Kafka) could not durably append a record."""
