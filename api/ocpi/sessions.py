"""OCPI 2.2.1 Sessions module, CPO sender interface (mod_sessions §"CPO Interface"): the
CSMS's transactions as OCPI Session objects, and the answer to Charging Preferences.

Where each field comes from (read models ``transactions``, ``billing_sessions``,
``billing_tariffs``, ``cdrs`` and the locations' ``location_evses``):

- ``id``: the CSMS transaction id (``transactions.id``) as text, unique in the CSMS.
- ``country_code`` / ``party_id``: the CPO (``CSMS_CPO_COUNTRY_CODE`` / ``CSMS_CPO_PARTY_ID``).
- ``location_id`` / ``evse_uid``: the location EVSE the operator mapped to the transaction's
  EVSE (``location_evses`` on station id and EVSE id; an OCPP 1.6 transaction has no EVSE
  id: its connector id is the EVSE). A transaction on an EVSE no location maps is not
  served: a partner cannot place a session without its location (mod_sessions: location_id
  and evse_uid are required). ``connector_id``: the connector on that EVSE (OCPP 1.6: "1",
  a 1.6 connector being an EVSE with one connector), as billing's CDRs state it.
- ``status``: ACTIVE while the transaction is open, COMPLETED once it ended.
- ``kwh``: the transaction's energy (``energy_wh``), else the energy billing rated so far.
- ``currency``, ``total_cost``, ``charging_periods``: billing's rating: the running cost
  and the periods so far of an open session (``billing.rating.price`` of its meter, the
  same function the station's cost comes from), the CDR's once it ended. A session no
  tariff priced has no cost and no periods; its currency is :data:`UNPRICED_CURRENCY`.
- ``cdr_token``: the id token as ``uid`` and ``contract_id``, issued by the CPO itself
  (a token of the CSMS), its type mapped from the OCPP IdTokenType as the CDRs map it.
- ``auth_method``: billing's (COMMAND for a remote start, WHITELIST for an offline
  authorization, else AUTH_REQUEST). ``authorization_reference`` and ``meter_id``: none.
- ``last_updated``: the later of the transaction's last event and billing's last change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, case, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.ocpi.auth import CallerDep
from api.ocpi.envelope import OcpiError, OcpiResponse, OcpiStatus, ok
from api.ocpi.paging import PagingDep, paged
from billing.rating import Meter, price
from schemas.ocpi.sessions import (
    AuthMethod,
    CdrDimension,
    CdrDimensionType,
    CdrToken,
    ChargingPeriod,
    ChargingPreferences,
    ChargingPreferencesResponse,
    Price,
    Session,
    SessionStatus,
    TokenType,
)
from schemas.readmodel import billing_sessions, billing_tariffs, cdrs, transactions
from schemas.tariffs import Tariff

router = APIRouter(prefix="/ocpi/2.2.1/cpo/sessions", tags=["ocpi"])

UNPRICED_CURRENCY = "EUR"
"""The currency of a session no tariff priced (mod_sessions: currency is required)."""

_VOLUME = Decimal("0.0001")
_KILO = Decimal(1000)
_TOKEN_TYPES = {"ISO14443": TokenType.RFID, "ISO15693": TokenType.RFID,
                "Central": TokenType.APP_USER}  # fmt: skip
_PERIODS = TypeAdapter(tuple[ChargingPeriod, ...])

location_evses = table("location_evses", column("location_id"), column("evse_uid"),
                       column("station_id"), column("evse_id"))  # fmt: skip
"""The locations' EVSE mapping (its columns this module reads)."""


@dataclass(frozen=True, slots=True)
class Party:
    """An OCPI party: ISO 3166-1 alpha-2 country code and ISO 15118 party id."""

    country_code: str
    party_id: str


def party_of(request: Request) -> Party:
    """The CPO this API speaks for."""
    config = request.app.state.config
    return Party(config.cpo_country_code, config.cpo_party_id)


# --- the query ------------------------------------------------------------------------------

t, b, e, bt, c = (transactions.c, billing_sessions.c, location_evses.c, billing_tariffs.c,
                  cdrs.c)  # fmt: skip
last_updated = func.greatest(t.updated_at, b.updated_at)
"""A session's last_updated: its transaction's last event or billing's last change."""


def _joined(*columns: Any) -> Select[Any]:
    evse = func.coalesce(t.evse_id, t.connector_id)  # OCPP 1.6: the connector is the EVSE
    return (select(*columns).select_from(transactions)
            .join(location_evses, (e.station_id == t.station_id) & (e.evse_id == evse))
            .outerjoin(billing_sessions, b.id == t.id))  # fmt: skip


def _window(date_from: datetime | None, date_to: datetime | None) -> list[ColumnElement[bool]]:
    # OCPI 2.2.1 mod_sessions §"Request Parameters": last_updated >= date_from, < date_to.
    conditions: list[ColumnElement[bool]] = []
    if date_from is not None:
        conditions.append(last_updated >= date_from)
    if date_to is not None:
        conditions.append(last_updated < date_to)
    return conditions


_AUTH_METHOD = func.coalesce(b.auth_method, case(
    (t.remote_start_id.is_not(None), "COMMAND"), (t.offline, "WHITELIST"),
    else_="AUTH_REQUEST"))  # fmt: skip
_COLUMNS = (
    t.id, t.started_at, t.stopped_at, t.energy_wh, t.status, t.id_token, t.id_token_type,
    t.evse_id, t.connector_id, e.location_id, e.evse_uid, _AUTH_METHOD.label("auth_method"),
    b.currency, b.cost_excl_vat, b.cost_incl_vat, b.energy_kwh, b.meter,
    bt.body.label("tariff"), c.body["charging_periods"].label("cdr_periods"),
    last_updated.label("last_updated"),
)  # fmt: skip


def sessions_query(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The sessions matching ``conditions``, with what their objects are made of."""
    return (_joined(*_COLUMNS)
            .outerjoin(billing_tariffs, (bt.tariff_id == b.tariff_id)
                       & (bt.version == b.tariff_version))
            .outerjoin(cdrs, c.id == b.cdr_id)
            .where(*conditions).order_by(last_updated, t.id))  # fmt: skip


async def sessions_page(db: AsyncConnection, *, date_from: datetime | None,
                        date_to: datetime | None, offset: int, limit: int,
                        party: Party) -> tuple[list[Session], int]:  # fmt: skip
    """The sessions last updated in [date_from, date_to), by last_updated then id,
    ``offset``/``limit``, and how many match; ``party`` is the CPO."""
    conditions = _window(date_from, date_to)
    total = (await db.execute(_joined(func.count()).where(*conditions))).scalar_one()
    rows = await db.execute(sessions_query(conditions).offset(offset).limit(limit))
    return [session_of(r._mapping, party) for r in rows], total


async def session_by_id(db: AsyncConnection, session_id: str, party: Party) -> Session | None:
    """The session ``session_id`` (None: no such session served over OCPI)."""
    if not session_id.isdigit():
        return None
    row = (await db.execute(sessions_query([t.id == int(session_id)]))).first()
    return None if row is None else session_of(row._mapping, party)


# --- the object -----------------------------------------------------------------------------


def session_of(row: Any, party: Party) -> Session:
    """The Session object of one row of :func:`sessions_query`."""
    completed = row["status"] == "completed"
    return Session(
        country_code=party.country_code, party_id=party.party_id, id=str(row["id"]),
        start_date_time=row["started_at"] or row["last_updated"],
        end_date_time=row["stopped_at"] if completed else None, kwh=_kwh(row),
        cdr_token=token_of(row["id_token"], row["id_token_type"], party),
        auth_method=AuthMethod(row["auth_method"]), location_id=row["location_id"],
        evse_uid=row["evse_uid"], connector_id=_connector(row["evse_id"], row["connector_id"]),
        currency=row["currency"] or UNPRICED_CURRENCY, charging_periods=_periods(row),
        total_cost=_cost(row["cost_excl_vat"], row["cost_incl_vat"]),
        status=SessionStatus.COMPLETED if completed else SessionStatus.ACTIVE,
        last_updated=row["last_updated"],
    )  # fmt: skip


def token_of(id_token: str | None, id_token_type: str | None, party: Party) -> CdrToken:
    """mod_cdrs CdrToken of an OCPP id token of the CSMS (issued by the CPO itself): ISO14443,
    ISO15693 and an untyped 1.6 idTag are RFID, Central APP_USER, anything else OTHER."""
    uid = id_token or "UNKNOWN"
    if id_token_type is None:
        kind = TokenType.RFID if id_token else TokenType.OTHER
    else:
        kind = _TOKEN_TYPES.get(id_token_type, TokenType.OTHER)
    return CdrToken(country_code=party.country_code, party_id=party.party_id, uid=uid,
                    type=kind, contract_id=uid)  # fmt: skip


def _connector(evse_id: int | None, connector_id: int | None) -> str:
    if evse_id is None:  # OCPP 1.6: an EVSE with one connector
        return "1"
    return str(connector_id or 1)


def _kwh(row: Any) -> Decimal:
    if row["energy_wh"] is not None:
        kwh = Decimal(str(row["energy_wh"])) / _KILO
    else:
        kwh = row["energy_kwh"] or Decimal(0)
    return max(kwh, Decimal(0)).quantize(_VOLUME, rounding=ROUND_HALF_UP)


def _cost(excl: Decimal | None, incl: Decimal | None) -> Price | None:
    return None if excl is None else Price(excl_vat=excl, incl_vat=incl)


def _periods(row: Any) -> tuple[ChargingPeriod, ...]:
    """The CDR's periods once it was issued, else those rated so far."""
    if row["cdr_periods"] is not None:
        return _PERIODS.validate_python(row["cdr_periods"])
    if row["meter"] is None or row["tariff"] is None:
        return ()
    meter = row["meter"]
    rated = (Meter.model_validate_json(meter) if isinstance(meter, str)
             else Meter.model_validate(meter))  # fmt: skip
    cost = price(rated, Tariff.model_validate(row["tariff"]))
    return tuple(
        ChargingPeriod(start_date_time=p.start_date_time, tariff_id=p.tariff_id, dimensions=tuple(
            CdrDimension(type=CdrDimensionType(d.type),
                         volume=d.volume.quantize(_VOLUME, rounding=ROUND_HALF_UP))
            for d in p.dimensions))
        for p in cost.periods if p.dimensions
    )  # fmt: skip


# --- routes ---------------------------------------------------------------------------------


@router.get("")
async def get_sessions(request: Request, response: Response, caller: CallerDep, db: DbDep,
                       paging: PagingDep) -> OcpiResponse[list[Session]]:  # fmt: skip
    """mod_sessions §"CPO Interface" GET: one page of the sessions (date_from required)."""
    if paging.date_from is None:
        # OCPI 2.2.1 mod_sessions §"Request Parameters": date_from is required.
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "date_from is required")
    items, total = await sessions_page(db, date_from=paging.date_from, date_to=paging.date_to,
                                       offset=paging.offset, limit=paging.limit,
                                       party=party_of(request))  # fmt: skip
    return paged(request, response, items, total, paging)


SessionId = Annotated[str, Path(min_length=1, max_length=36)]


@router.put("/{session_id}/charging_preferences")
async def put_charging_preferences(
    request: Request, session_id: SessionId, caller: CallerDep, db: DbDep,
    preferences: Annotated[ChargingPreferences, Body()],
) -> OcpiResponse[ChargingPreferencesResponse]:
    """mod_sessions §"CPO Interface" PUT: the CSMS does no preference-based smart charging,
    so an ongoing session's preferences are NOT_POSSIBLE; an unknown or ended session is
    404 (§ChargingPreferencesResponse: "Use HTTP 404 instead")."""
    session = await session_by_id(db, session_id, party_of(request))
    if session is None or session.status is not SessionStatus.ACTIVE:
        raise OcpiError(OcpiStatus.CLIENT_ERROR, f"no ongoing session {session_id}", 404)
    return ok(ChargingPreferencesResponse.NOT_POSSIBLE)
