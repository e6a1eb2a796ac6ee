"""The Pipe of CSMS-initiated calls (OCPP-J 1.6 / 2.0.1 §4.1.1: one call in flight per direction;
docs/CALLS.md)."""

from __future__ import annotations

from typing import Any

from schemas.events.base import DomainEvent, Instant, OcppVersionName


class CallQueued(DomainEvent):
    """A CSMS-initiated call was accepted into the station's Pipe queue."""

    call_id: str
    action: str
    payload: dict[str, Any]
    created_at: Instant
    expires_at: Instant
    ocpp_version: OcppVersionName | None = None


class CallSent(DomainEvent):
    """The call left the Pipe: routed to the gateway holding the station (OCPP-J §4.1.1: one in
    flight).
    """

    call_id: str
    action: str
    connection_id: str | None
    sent_at: Instant


class CallAnswered(DomainEvent):
    """The station answered the call with a CallResult (late = after it timed out)."""

    call_id: str
    action: str
    response: dict[str, Any]
    late: bool
    response_error: str | None = None
    """Why the response failed its schema (no result handler ran)."""


class CallRejected(DomainEvent):
    """The station answered the call with a CallError."""

    call_id: str
    action: str
    late: bool
    error_code: str
    error_description: str
    error_details: dict[str, Any]


class CallTimedOut(DomainEvent):
    """No answer within the response timeout, or the connection closed first."""

    call_id: str
    action: str
    reason: str


class CallExpired(DomainEvent):
    """A queued call reached its expiry before it could be sent."""

    call_id: str
    action: str


class CallCancelled(DomainEvent):
    """A queued call was cancelled before it was sent."""

    call_id: str


class CallCancelRefused(DomainEvent):
    """A cancel arrived for a call that was not queued."""

    call_id: str
    reason: str


class UnmatchedCallAnswer(DomainEvent):
    """A CallResult/CallError whose message id matches no call of the station."""

    message_id: str
    response: dict[str, Any] | None = None
    error_code: str | None = None
    error_description: str | None = None
