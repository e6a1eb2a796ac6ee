"""Stream processors (Faust): OCPP handlers, per-station state, domain events.

Handlers are pure: ``decide(state, call, ctx) -> Decision`` and ``evolve(state, event) ->
state``; the Faust agent only decodes, loads state, calls them and appends what they return.

Layout::

    processors/
      dispatch.py      a frames-log record → its handler; HANDLERS names the module that
                       handles each (OCPP version, action)
      ocpp16/          handlers of 1.6 Calls: boot (BootNotification, Heartbeat), status,
                       authorization, meter_values, transactions (StartTransaction,
                       StopTransaction), notifications (DiagnosticsStatusNotification,
                       DataTransfer)
      ocpp201/         handlers of 2.0.1 Calls: boot, status, authorization, meter_values,
                       transactions (TransactionEvent), device_model (NotifyReport,
                       NotifyEvent), notifications (ReportChargingProfiles,
                       ReservationStatusUpdate, DataTransfer)
      core/            what both versions share: decision (Context, Decision), state
                       (StationState, evolve), the Pipe of CSMS-initiated calls (pipe, calls,
                       results), registration, triggers, authorization, meter_values,
                       transactions, notifications both versions send alike, reference
                       data (tokens)
      runtime/         the Faust shell: app (the agent), config, clock (Pipe ticks), progress
                       (frames processed, for the clock), tables, kafka_clients

A service starts a processor with ``processors.runtime.create_app(ProcessorConfig(...))``.

Exception tree::

    ProcessorError
     └── InvalidCommand (also ValueError)   a command record the Pipe cannot act on (a call
                                            without call_id, action or expires_at): the
                                            agent logs it and goes on

Errors from outside the package are met where they enter: a Call whose payload a handler
cannot use (``ValueError``, ``KeyError``, ``TypeError``, pydantic's ``ValidationError``)
is answered with CallError InternalError (:func:`processors.dispatch.decide_call`); a
malformed admin event (``schemas.events.EventError``) or command (``ValidationError``) is
logged and skipped; Kafka errors of the Pipe clock are logged and retried.
"""

from __future__ import annotations


class ProcessorError(Exception):
    """Base of processor failures."""


class InvalidCommand(ProcessorError, ValueError):
    """A command record lacks what its kind needs."""
