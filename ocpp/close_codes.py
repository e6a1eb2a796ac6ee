"""The WebSocket close codes the CSMS sends or reports (RFC 6455 §7.4.1), and why.

OCPP-J fixes only a few of them: a station that offers no subprotocol the CSMS speaks gets
a completed handshake and an immediate close (OCPP-J 1.6 / 2.0.1 §3.1.2; 1002, the
subprotocol could not be agreed); OCPP-J frames are text (§4), so a binary frame is data the
CSMS cannot accept (1003). The rest are this CSMS's choices, documented in docs/GATEWAY.md.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CloseCode"]


class CloseCode(IntEnum):
    """RFC 6455 §7.4.1 status codes, each with the CSMS's use of it."""

    GOING_AWAY = 1001
    """The gateway is shutting down: the station reconnects (to another gateway)."""

    PROTOCOL_ERROR = 1002
    """No common OCPP subprotocol (OCPP-J §3.1.2)."""

    UNSUPPORTED_DATA = 1003
    """A binary frame: OCPP-J frames are text (OCPP-J §4)."""

    NO_CLOSE_FRAME = 1006
    """Reserved (RFC 6455 §7.4.1): never sent; reported when a connection ended without a
    close frame."""

    INVALID_PAYLOAD = 1007
    """A text frame that is not valid UTF-8 (RFC 6455 §8.1; the WebSocket layer closes)."""

    POLICY_VIOLATION = 1008
    """Superseded by a newer connection of the same station (on this or another gateway),
    or over the message rate limit."""

    MESSAGE_TOO_BIG = 1009
    """A frame over the gateway's size limit (the WebSocket layer closes)."""

    INTERNAL_ERROR = 1011
    """Keep-alive timeout: no pong and no frame (the code websockets uses for it)."""
