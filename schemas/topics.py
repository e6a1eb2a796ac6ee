"""Kafka topics: names, keys, retention (see docs/ARCHITECTURE.md).

Every topic carrying station traffic is keyed by station id (DESIGN decision 2), so one
station's frames and events stay in order in one partition.
"""

from __future__ import annotations

from dataclasses import dataclass

FOREVER = -1


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names for one deployment (``prefix`` separates deployments and test runs)."""

    prefix: str = "csms"

    @property
    def frames(self) -> str:
        """Every OCPP frame, both directions, plus connection records; key = station id."""
        return f"{self.prefix}.frames"

    @property
    def events(self) -> str:
        """Versioned domain events; key = station id (or the admin entity's id)."""
        return f"{self.prefix}.events"

    @property
    def admin(self) -> str:
        """Admin events written by the API (stations registered, tokens issued, ...)."""
        return f"{self.prefix}.admin"

    @property
    def commands(self) -> str:
        """Commands for the processor (calls to send, cancels, Pipe clock ticks); key =
        station id, co-partitioned with the frames log (schemas.commands)."""
        return f"{self.prefix}.commands"

    def delivery(self, gateway_id: str) -> str:
        """Frames to send, for the one gateway that holds the station's connection."""
        return f"{self.prefix}.deliver.{gateway_id}"

    def forever(self) -> tuple[str, ...]:
        """The logs kept forever (retention -1): replaying them rebuilds the processors'
        state (the commands log holds what operators asked stations to do)."""
        return (self.frames, self.events, self.admin, self.commands)
