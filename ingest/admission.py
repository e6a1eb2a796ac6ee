"""Who may open a connection: OCPP security profiles 1–3, decided without sockets.

OCPP 2.0.1 Part 2 §A00 (Security) / OCPP 1.6 Security Whitepaper §2:

- profile 1: ``ws://`` + HTTP Basic auth (user = station id, password set by the CSMS);
- profile 2: ``wss://`` (TLS, server certificate) + HTTP Basic auth;
- profile 3: ``wss://`` with a client certificate; A00.FR.405/505-style rule: the
  certificate's subject CN must equal the station id (MaEVe and CitrineOS skip this).

The strength a connection *proves* is computed from what it offered; a station registered
with profile N is admitted only when that strength is >= N (never downgraded), and a
stronger connection than registered is allowed (a profile-1 station may use TLS).

Outcomes (HTTP status of the refused handshake):

- 404: no ``stations`` row for the id (an unknown station);
- 403: the station has no security profile configured, or its connection is weaker than
  its profile (e.g. a profile-2 station on ``ws://``);
- 401: missing or wrong credentials (no/wrong Basic auth, no client certificate, a
  certificate naming another station);
- ``open_mode`` admits stations with no row or no profile (for development and tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from http import HTTPStatus


class SecurityProfile(IntEnum):
    NONE = 0  # no authentication (open mode only)
    BASIC = 1  # ws:// + Basic auth
    TLS_BASIC = 2  # wss:// + Basic auth
    TLS_CLIENT_CERT = 3  # wss:// + client certificate


@dataclass(frozen=True, slots=True)
class StationCredentials:
    """What the read store says about a station (table ``stations``)."""

    station_id: str
    security_profile: int | None
    password_hash: str | None
    registration_status: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """What a connection attempt presented.

    ``client_cert_cn`` is only set for a client certificate the TLS layer already verified
    (chain to the configured CA, validity dates); an unverifiable one never gets here.
    """

    station_id: str
    tls: bool
    basic_auth: tuple[str, str] | None = None
    client_cert_cn: str | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    accepted: bool
    status: HTTPStatus
    reason: str
    profile: SecurityProfile | None = None

    @classmethod
    def accept(cls, profile: SecurityProfile, reason: str) -> Admission:
        return cls(True, HTTPStatus.SWITCHING_PROTOCOLS, reason, profile)

    @classmethod
    def refuse(cls, status: HTTPStatus, reason: str) -> Admission:
        return cls(False, status, reason)


PasswordCheck = Callable[[str, str], bool]
"""``(password, stored_hash) -> bool``: schemas.credentials.verify_password (slow KDF,
constant-time compare)."""


def decide(
    offer: Offer, creds: StationCredentials | None, *, open_mode: bool, verify: PasswordCheck
) -> Admission:
    """The admission of one connection attempt. ``verify`` runs the slow KDF: call this
    function off the event loop (``asyncio.to_thread``)."""
    if offer.client_cert_cn is not None and offer.client_cert_cn != offer.station_id:
        return Admission.refuse(
            HTTPStatus.UNAUTHORIZED,
            (f"client certificate CN {offer.client_cert_cn!r} is not the station id"),
        )
    if creds is None or creds.security_profile is None:
        return _unconfigured(creds, open_mode=open_mode)
    required = SecurityProfile(creds.security_profile)
    if offer.client_cert_cn is not None:
        return Admission.accept(SecurityProfile.TLS_CLIENT_CERT, "client certificate")
    transport = SecurityProfile.TLS_BASIC if offer.tls else SecurityProfile.BASIC
    if required is SecurityProfile.TLS_CLIENT_CERT:
        if not offer.tls:
            return _too_weak(required, transport)
        return Admission.refuse(HTTPStatus.UNAUTHORIZED, "profile 3 needs a client certificate")
    if transport < required:
        return _too_weak(required, transport)
    return _check_password(offer, creds, transport, verify)


def _unconfigured(creds: StationCredentials | None, *, open_mode: bool) -> Admission:
    what = "unknown station" if creds is None else "no security profile configured"
    if open_mode:
        return Admission.accept(SecurityProfile.NONE, f"{what}; admitted in open mode")
    status = HTTPStatus.NOT_FOUND if creds is None else HTTPStatus.FORBIDDEN
    return Admission.refuse(status, what)


def _too_weak(required: SecurityProfile, offered: SecurityProfile) -> Admission:
    return Admission.refuse(
        HTTPStatus.FORBIDDEN,
        (
            f"station requires security profile {required.value}; "
            f"connection offers at most {offered.value}"
        ),
    )


def _check_password(
    offer: Offer, creds: StationCredentials, transport: SecurityProfile, verify: PasswordCheck
) -> Admission:
    if offer.basic_auth is None:
        return Admission.refuse(HTTPStatus.UNAUTHORIZED, "missing Basic auth credentials")
    user, password = offer.basic_auth
    if user != offer.station_id:
        return Admission.refuse(HTTPStatus.UNAUTHORIZED, "Basic auth user is not the station id")
    if creds.password_hash is None:
        return Admission.refuse(HTTPStatus.UNAUTHORIZED, "no password set for the station")
    if not verify(password, creds.password_hash):
        return Admission.refuse(HTTPStatus.UNAUTHORIZED, "wrong password")
    return Admission.accept(transport, "Basic auth" + (" over TLS" if offer.tls else ""))
