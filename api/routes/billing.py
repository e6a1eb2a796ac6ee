"""Billing: CDRs (OCPI 2.2.1 mod_cdrs shape), sessions as rated, and totals, read from the
``billing`` projection.

Every route reads the live billing version, or the one named by ``?projection_version=N``
(a version being compared with the live one after a backfill, or the one that was live
before a switch; docs/BILLING.md). Amounts are exact decimals, written as JSON strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import ColumnElement, MetaData, Select, Table, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, WriterDep
from api.models import ErrorBody, Page
from ocpp import STATION_ID_MAX_LENGTH
from schemas.events import CdrCorrectionRequested
from schemas.readmodel import (
    BILLING,
    billing_sessions,
    cdrs,
    projection_versions,
    tariff_versions,
    tariffs,
)
from schemas.tariffs import Tariff

router = APIRouter(prefix="/api/v1", tags=["billing"])

def _version_number(text: str | None) -> int | None:
    """``v2`` or ``2`` → 2 (the billing projection version to read)."""
    return None if text is None else int(text.removeprefix("v"))


VersionQuery = Annotated[
    int | None,
    BeforeValidator(lambda v: _version_number(v) if isinstance(v, str) else v),
    Query(ge=1, description="the billing projection version to read, e.g. v1 or 1 (default: "
          "the live one)"),
]
_READABLE = ("ready", "live")


@cache
def _in_version(table: Table, version: int) -> Table:
    return table.to_metadata(MetaData(), schema=f"{BILLING}_v{version}")


async def _table(db: AsyncConnection, table: Table, version: int | None) -> Table:
    """``table`` of the live version (the view in ``public``) or of ``version`` (404 unless
    it is built: ready or live)."""
    if version is None:
        return table
    v = projection_versions.c
    status = (await db.execute(select(v.status).where(
        v.projection == BILLING, v.version == version))).scalar_one_or_none()  # fmt: skip
    if status not in _READABLE:
        why = "does not exist" if status is None else f"is {status}"
        raise HTTPException(404, f"billing projection version {version} {why}")
    return _in_version(table, version)


class CdrSummary(BaseModel):
    """A CDR's row: what lists, filters and CSV exports show (the whole OCPI object is
    ``GET /api/v1/cdrs/{id}``)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    transaction_pk: int
    station_id: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    auth_method: str
    start_date_time: datetime
    end_date_time: datetime
    currency: str
    tariff_id: str | None
    tariff_version: int | None
    total_cost_excl_vat: Decimal
    total_cost_incl_vat: Decimal | None
    total_energy_kwh: Decimal
    total_time_hours: Decimal
    total_parking_hours: Decimal
    credit: bool
    credit_reference_id: str | None
    issued_at: datetime


_SUMMARY_COLUMNS = tuple(CdrSummary.model_fields)


def _cdr_filters(
    table: Table, since: datetime | None, until: datetime | None, station_id: str | None,
    token: str | None,
) -> list[ColumnElement[bool]]:
    c = table.c
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(c.end_date_time >= since)
    if until is not None:
        conditions.append(c.end_date_time < until)
    if station_id is not None:
        conditions.append(c.station_id == station_id)
    if token is not None:
        conditions.append(c.id_token == token)
    return conditions


Since = Annotated[datetime | None, Query(description="ended at or after")]
Until = Annotated[datetime | None, Query(description="ended before")]
StationFilter = Annotated[str | None, Query(max_length=STATION_ID_MAX_LENGTH)]
TokenFilter = Annotated[str | None, Query(max_length=36, description="the id token")]


@router.get("/cdrs", responses={404: {"model": ErrorBody}})
async def list_cdrs(
    db: DbDep, since: Since = None, until: Until = None, station_id: StationFilter = None,
    token: TokenFilter = None, projection_version: VersionQuery = None,
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[CdrSummary]:  # fmt: skip
    """CDRs in the order they ended (OCPI 2.2.1 mod_cdrs: credit CDRs are listed as CDRs of
    their own, with negative totals)."""
    table = await _table(db, cdrs, projection_version)
    conditions = _cdr_filters(table, since, until, station_id, token)
    total = (await db.execute(select(func.count()).select_from(table)
                              .where(*conditions))).scalar_one()  # fmt: skip
    query = (select(*(table.c[n] for n in _SUMMARY_COLUMNS)).where(*conditions)
             .order_by(table.c.end_date_time, table.c.id).offset(offset).limit(limit))  # fmt: skip
    items = [CdrSummary.model_validate(r._mapping) for r in (await db.execute(query)).all()]
    return Page[CdrSummary](items=items, total=total, offset=offset, limit=limit)


@router.get("/cdrs.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}, 404: {"model": ErrorBody}})  # fmt: skip
async def cdrs_csv(
    db: DbDep, since: Since = None, until: Until = None, station_id: StationFilter = None,
    token: TokenFilter = None, projection_version: VersionQuery = None,
) -> StreamingResponse:  # fmt: skip
    """Every CDR matching the filters as CSV, streamed from the read store as it is read (a
    month of a large network does not sit in memory)."""
    table = await _table(db, cdrs, projection_version)
    conditions = _cdr_filters(table, since, until, station_id, token)
    query = (select(*(table.c[n] for n in _SUMMARY_COLUMNS)).where(*conditions)
             .order_by(table.c.end_date_time, table.c.id))  # fmt: skip
    return StreamingResponse(_csv_rows(db, query), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="cdrs.csv"'})


async def _csv_rows(db: AsyncConnection, query: Select[Any]) -> AsyncIterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_SUMMARY_COLUMNS)
    result = await db.stream(query.execution_options(yield_per=1000))
    async for rows in result.partitions(1000):
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue()


def _cell(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


class CorrectionIn(BaseModel):
    """What a corrected CDR is rated by: a version of a tariff (default: the newest version of
    the tariff that priced the CDR)."""

    model_config = ConfigDict(extra="forbid")

    tariff_id: Annotated[str | None, Field(min_length=1, max_length=36)] = None
    tariff_version: Annotated[int | None, Field(ge=1)] = None
    reason: Annotated[str, Field(min_length=1, max_length=255)]


class Correction(BaseModel):
    credit: CdrSummary
    """The credit CDR cancelling the corrected one (negative totals)."""
    cdr: CdrSummary
    """The session's new CDR."""


@router.post("/cdrs/{cdr_id}/corrections", status_code=201,
             responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})  # fmt: skip
async def correct_cdr(cdr_id: Annotated[str, Path(max_length=39)], body: CorrectionIn,
                      db: DbDep, writer: WriterDep) -> Correction:  # fmt: skip
    """Re-rate an ended session whose CDR is wrong: a credit CDR for it and a new CDR (OCPI
    2.2.1 mod_cdrs "Credit CDRs"; a CDR is never changed). Returns both once billing shows
    them."""
    c, s = cdrs.c, billing_sessions.c
    found = (await db.execute(select(c.transaction_pk, c.station_id, c.tariff_id, c.credit,
                                     s.cdr_id).join(billing_sessions, s.id == c.transaction_pk)
                              .where(c.id == cdr_id))).first()  # fmt: skip
    if found is None:
        raise HTTPException(404, f"CDR {cdr_id} not found")
    if found.credit or found.cdr_id != cdr_id:
        raise HTTPException(409, f"CDR {cdr_id} is not its session's current CDR "
                            f"({found.cdr_id}): correct that one")  # fmt: skip
    tariff_id = body.tariff_id or found.tariff_id
    version, tariff = await _tariff_version(db, tariff_id, body.tariff_version)
    await db.rollback()
    request = CdrCorrectionRequested(transaction_pk=found.transaction_pk, cdr_id=cdr_id,
                                     tariff_version=version, tariff=tariff, reason=body.reason)
    await writer.write(request, found.station_id, found.station_id, shown_by=BILLING)
    current = (await db.execute(select(s.cdr_id, s.corrections).where(
        s.id == found.transaction_pk))).first()  # fmt: skip
    if current is None or current.cdr_id == cdr_id:
        raise HTTPException(409, f"CDR {cdr_id} was corrected by another request meanwhile")
    credit_id = f"{found.transaction_pk}-C{current.corrections}"
    rows = {r.id: CdrSummary.model_validate(r._mapping) for r in (await db.execute(
        select(*(c[n] for n in _SUMMARY_COLUMNS)).where(
            c.id.in_([credit_id, current.cdr_id])))).all()}  # fmt: skip
    return Correction(credit=rows[credit_id], cdr=rows[current.cdr_id])


async def _tariff_version(db: AsyncConnection, tariff_id: str | None,
                          version: int | None) -> tuple[int, Tariff]:  # fmt: skip
    """The tariff version a correction rates by (422 naming the field when there is none)."""
    if tariff_id is None:
        raise _unprocessable("tariff_id", "the CDR was priced by no tariff: name one")
    t, v = tariffs.c, tariff_versions.c
    if version is None:
        version = (await db.execute(select(t.version).where(t.tariff_id == tariff_id))
                   ).scalar_one_or_none()  # fmt: skip
        if version is None:
            raise _unprocessable("tariff_id", f"there is no tariff {tariff_id!r}")
    body = (await db.execute(select(v.body).where(v.tariff_id == tariff_id,
                                                  v.version == version))).scalar()  # fmt: skip
    if body is None:
        raise _unprocessable("tariff_version", f"tariff {tariff_id!r} has no version {version}")
    return version, Tariff.model_validate(body)


def _unprocessable(field: str, msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", field], "msg": msg, "type": "value_error"}])


@router.get("/cdrs/{cdr_id}", responses={404: {"model": ErrorBody}})
async def get_cdr(cdr_id: Annotated[str, Path(max_length=39)], db: DbDep,
                  projection_version: VersionQuery = None) -> dict[str, Any]:  # fmt: skip
    """The OCPI 2.2.1 CDR object, as issued."""
    table = await _table(db, cdrs, projection_version)
    body = (await db.execute(select(table.c.body).where(table.c.id == cdr_id))).scalar()
    if body is None:
        raise HTTPException(404, f"CDR {cdr_id} not found")
    result: dict[str, Any] = body
    return result


class BillingSession(BaseModel):
    """A session as billing rated it: the running cost while it is open, the final one once
    it ended (and its CDR)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    station_id: str
    transaction_id: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    auth_method: str
    started_at: datetime
    stopped_at: datetime | None
    status: str
    tariff_id: str | None
    tariff_version: int | None
    assigned_by: str | None
    time_zone: str
    currency: str | None
    cost_excl_vat: Decimal | None
    cost_incl_vat: Decimal | None
    energy_kwh: Decimal
    charging_hours: Decimal
    parking_hours: Decimal
    cdr_id: str | None
    rerated: bool
    updated_at: datetime


@router.get("/billing/sessions/{transaction_pk}", responses={404: {"model": ErrorBody}})
async def get_billing_session(
    transaction_pk: Annotated[int, Path(ge=1)], db: DbDep, projection_version: VersionQuery = None,
) -> BillingSession:
    table = await _table(db, billing_sessions, projection_version)
    columns = [table.c[n] for n in BillingSession.model_fields]
    row = (await db.execute(select(*columns).where(table.c.id == transaction_pk))).first()
    if row is None:
        raise HTTPException(404, f"no billing session for transaction {transaction_pk}")
    return BillingSession.model_validate(row._mapping)


class SummaryRow(BaseModel):
    key: str
    """The day (YYYY-MM-DD, UTC), the station id or the id token."""
    currency: str
    cdrs: int
    """CDRs counted, credit CDRs included."""
    credits: int
    energy_kwh: Decimal
    excl_vat: Decimal
    """Net of credits."""
    incl_vat: Decimal | None
    """None when some CDR of the group states no incl. VAT total."""


class Summary(BaseModel):
    group_by: Literal["day", "station", "token"]
    projection_version: int | None
    rows: list[SummaryRow]


@router.get("/billing/summary", responses={404: {"model": ErrorBody}})
async def billing_summary(
    db: DbDep, group_by: Literal["day", "station", "token"] = "day", since: Since = None,
    until: Until = None, projection_version: VersionQuery = None,
) -> Summary:  # fmt: skip
    """Totals of the CDRs that ended in [since, until), per day, station or token and
    currency; a credit CDR subtracts what it credits."""
    table = await _table(db, cdrs, projection_version)
    c = table.c
    key = {
        "day": func.to_char(func.timezone("UTC", c.end_date_time), "YYYY-MM-DD"),
        "station": c.station_id,
        "token": func.coalesce(c.id_token, literal("")),
    }[group_by].label("key")
    complete = func.bool_and(c.total_cost_incl_vat.is_not(None))
    query = (
        select(key, c.currency, func.count().label("cdrs"),
               func.count().filter(c.credit).label("credits"),
               func.sum(c.total_energy_kwh).label("energy_kwh"),
               func.sum(c.total_cost_excl_vat).label("excl_vat"),
               func.sum(c.total_cost_incl_vat).label("incl_vat"), complete.label("complete"))
        .where(*_cdr_filters(table, since, until, None, None))
        .group_by(key, c.currency).order_by(key, c.currency)
    )  # fmt: skip
    rows = [
        SummaryRow(key=r.key, currency=r.currency, cdrs=r.cdrs, credits=r.credits,
                   energy_kwh=r.energy_kwh, excl_vat=r.excl_vat,
                   incl_vat=r.incl_vat if r.complete else None)
        for r in (await db.execute(query)).all()
    ]  # fmt: skip
    return Summary(group_by=group_by, projection_version=projection_version, rows=rows)
