"""A second OCPI 2.2.1 party for the tests: a minimal eMSP written from the specification
alone, sharing no code with the product, so that a misreading on our side shows up as a
violation it records (``EmspPeer.violations``)."""

from __future__ import annotations

from tests.ocpi_peer.peer import EmspPeer, Page, Pulled, Received, Reply

__all__ = ["EmspPeer", "Page", "Pulled", "Received", "Reply"]
