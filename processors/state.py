"""Per-station state kept in the processor's Faust table (keyed by station id)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.envelopes import EventEnvelope


class StationState(BaseModel):
    """What the handlers need to know about one station, rebuilt from its events."""

    model_config = ConfigDict(frozen=True)

    ocpp_version: str | None = None
    connected: bool = False
    gateway_id: str | None = None
    connection_id: str | None = None
    boot_status: str | None = None


def evolve(state: StationState, event: EventEnvelope) -> StationState:
    """Apply one of the station's events to its state."""
    d = event.data
    match event.type:
        case "StationConnected":
            return state.model_copy(update={
                "connected": True, "ocpp_version": d["ocpp_version"],
                "gateway_id": d["gateway_id"], "connection_id": d["connection_id"],
            })  # fmt: skip
        case "StationDisconnected" if d["connection_id"] == state.connection_id:
            return state.model_copy(update={"connected": False})
        case "StationBooted":
            return state.model_copy(
                update={"boot_status": d["status"], "ocpp_version": d["ocpp_version"]}
            )
    return state


def evolve_all(state: StationState, events: tuple[EventEnvelope, ...]) -> StationState:
    for event in events:
        state = evolve(state, event)
    return state
