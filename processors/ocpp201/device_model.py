"""OCPP 2.0.1 device-model messages from the station, recorded verbatim.

- NotifyReport (B07/B08): a part of a report the CSMS asked for (GetBaseReport).
- NotifyEvent (N07): events of components and variables. A NotifyEvent for the
  ``AvailabilityState`` of a ``Connector`` component (G01 allows it instead of
  StatusNotification) also updates the connector status.
"""

from __future__ import annotations

from ocpp import Call, to_payload
from ocpp.v201.requests import NotifyEventRequest, NotifyReportRequest
from ocpp.v201.responses import NotifyEventResponse, NotifyReportResponse
from processors.core.decision import Context, Decision
from processors.core.notifications import acknowledged
from processors.core.state import StationState
from schemas.events import (
    ConnectorStatusChanged,
    DomainEvent,
    EventEnvelope,
    ReportReceived,
    StationEventsNotified,
)


def decide_notify_report(state: StationState, call: Call, ctx: Context) -> Decision:
    p = to_payload(NotifyReportRequest.model_validate(call.payload))
    return acknowledged(call, NotifyReportResponse(), ctx.event(ReportReceived(
        request_id=p["requestId"], generated_at=ctx.station_time(p["generatedAt"]),
        seq_no=p["seqNo"], tbc=bool(p.get("tbc", False)),
        report_data=tuple(p.get("reportData", [])),
    )))  # fmt: skip


def decide_notify_event(state: StationState, call: Call, ctx: Context) -> Decision:
    req = NotifyEventRequest.model_validate(call.payload)
    p = to_payload(req)
    events: list[EventEnvelope[DomainEvent]] = [ctx.event(StationEventsNotified(
        generated_at=ctx.station_time(p["generatedAt"]), seq_no=p["seqNo"],
        tbc=bool(p.get("tbc", False)), event_data=tuple(p["eventData"]),
    ))]  # fmt: skip
    for seq, item in enumerate(req.event_data):
        evse = item.component.evse
        if (item.component.name == "Connector" and item.variable.name == "AvailabilityState"
                and evse is not None and evse.connector_id is not None):  # fmt: skip
            events.append(ctx.event(ConnectorStatusChanged(
                evse_id=evse.id, connector_id=evse.connector_id, status=item.actual_value,
                error_code=None, info=None, vendor_id=None, vendor_error_code=None,
                status_at=ctx.station_time(item.timestamp),
            ), seq=seq))  # fmt: skip
    return acknowledged(call, NotifyEventResponse(), *events)
