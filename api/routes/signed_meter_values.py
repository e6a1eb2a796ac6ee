"""Signed meter values (docs/AUDIT.md, "Signed meter values"): the meter keys registered per
station, written as ``MeterKeyRegistered`` / ``MeterKeyRemoved`` admin events keyed by the
station id (read-your-writes on the ``signed_meter_values`` read model), and each signed
sample's verdict per transaction.

A key is checked before it is written: one that is not an elliptic-curve DER
SubjectPublicKeyInfo (hex, base64 or PEM) is refused with 422 naming ``public_key``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, LimitQuery, OffsetQuery, WriterDep
from api.models import (
    NOT_FOUND,
    WRITE_ERRORS,
    MeterKeyIn,
    MeterKeyPublic,
    Page,
    SignedMeterValuePublic,
    SignedMeterValuesSummary,
)
from audit.signed_values import KeyFormatError, PublicKey, parse_public_key
from ocpp import STATION_ID_MAX_LENGTH
from schemas.events import MeterKeyRegistered, MeterKeyRemoved
from schemas.readmodel import (
    SIGNED_METER_VALUES,
    meter_keys,
    signed_meter_value_summaries,
    signed_meter_values,
    transactions,
)

keys = APIRouter(prefix="/api/v1/stations", tags=["meter keys"])
values = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])

StationPath = Annotated[str, Path(min_length=1, max_length=STATION_ID_MAX_LENGTH)]
KeyIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


def parsed_key(text: str) -> PublicKey:
    """The key of a PUT's body, or 422 in FastAPI's own shape naming ``public_key``."""
    try:
        return parse_public_key(text)
    except KeyFormatError as e:
        raise RequestValidationError([{"loc": ("body", "public_key"), "type": "value_error",
                                       "msg": f"not a meter public key: {e}"}]) from e


async def load_key(db: AsyncConnection, station_id: str, key_id: str) -> MeterKeyPublic | None:
    k = meter_keys.c
    row = (await db.execute(select(meter_keys).where(k.station_id == station_id,
                                                     k.key_id == key_id))).first()  # fmt: skip
    return None if row is None else MeterKeyPublic.model_validate(row._mapping)


@keys.put("/{station_id}/meter-keys/{key_id}", responses={
    201: {"model": MeterKeyPublic, "description": "A key of a new name."}, **WRITE_ERRORS,
})  # fmt: skip
async def put_meter_key(
    station_id: StationPath, key_id: KeyIdPath, body: MeterKeyIn, response: Response, db: DbDep,
    writer: WriterDep,
) -> MeterKeyPublic:
    """Register (or replace) a meter's public key; the station's signed meter values are
    verified against it, those already stored included."""
    key = parsed_key(body.public_key)
    existed = await load_key(db, station_id, key_id) is not None
    await db.rollback()  # end the read transaction; the write is waited for below
    event = MeterKeyRegistered(station_id=station_id, key_id=key_id, public_key=key.hex,
                               evse_id=body.evse_id, meter_serial=body.meter_serial)  # fmt: skip
    await writer.write(event, station_id, station_id, shown_by=SIGNED_METER_VALUES)
    stored = await load_key(db, station_id, key_id)
    if stored is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "removed by another write meanwhile")
    if not existed:
        response.status_code = status.HTTP_201_CREATED
    return stored


@keys.get("/{station_id}/meter-keys/{key_id}", responses=NOT_FOUND)
async def get_meter_key(station_id: StationPath, key_id: KeyIdPath, db: DbDep) -> MeterKeyPublic:
    found = await load_key(db, station_id, key_id)
    if found is None:
        raise not_found(f"meter key {key_id!r} of station {station_id!r}")
    return found


@keys.get("/{station_id}/meter-keys")
async def list_meter_keys(station_id: StationPath, db: DbDep, offset: OffsetQuery = 0,
                          limit: LimitQuery = 50) -> Page[MeterKeyPublic]:  # fmt: skip
    """The station's registered meter keys, by name."""
    where = meter_keys.c.station_id == station_id
    total = (await db.execute(select(func.count()).select_from(meter_keys)
                              .where(where))).scalar_one()  # fmt: skip
    query = select(meter_keys).where(where).order_by(meter_keys.c.key_id)
    rows = (await db.execute(query.offset(offset).limit(limit))).all()
    items = [MeterKeyPublic.model_validate(r._mapping) for r in rows]
    return Page[MeterKeyPublic](items=items, total=total, offset=offset, limit=limit)


@keys.delete("/{station_id}/meter-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
             responses={**NOT_FOUND, **WRITE_ERRORS})  # fmt: skip
async def delete_meter_key(station_id: StationPath, key_id: KeyIdPath, db: DbDep,
                           writer: WriterDep) -> Response:  # fmt: skip
    """Withdraw a key; the values it verified are verified again without it."""
    if await load_key(db, station_id, key_id) is None:
        raise not_found(f"meter key {key_id!r} of station {station_id!r}")
    await db.rollback()
    await writer.write(MeterKeyRemoved(station_id=station_id, key_id=key_id), station_id,
                       station_id, shown_by=SIGNED_METER_VALUES)  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def signed_summary(db: AsyncConnection, transaction_pk: int) -> SignedMeterValuesSummary:
    """The transaction's summary; ``unsigned`` when it has no signed value."""
    s = signed_meter_value_summaries.c
    row = (await db.execute(select(s.status, s.verified, s.invalid, s.unverifiable)
                            .where(s.transaction_pk == transaction_pk))).first()  # fmt: skip
    if row is None:
        return SignedMeterValuesSummary(status="unsigned", verified=0, invalid=0, unverifiable=0)
    return SignedMeterValuesSummary.model_validate(row._mapping)


@values.get("/{id}/signed-meter-values", responses=NOT_FOUND)
async def list_signed_meter_values(
    id: Annotated[int, Path(ge=1)], db: DbDep, offset: OffsetQuery = 0,  # noqa: A002
    limit: LimitQuery = 50,
) -> Page[SignedMeterValuePublic]:
    """The transaction's signed samples in time order, each with its verdict and reason."""
    known = (await db.execute(select(transactions.c.id).where(transactions.c.id == id))).first()
    if known is None:
        raise not_found(f"transaction {id}")
    v = signed_meter_values.c
    where = v.transaction_pk == id
    total = (await db.execute(select(func.count()).select_from(signed_meter_values)
                              .where(where))).scalar_one()  # fmt: skip
    query = (select(signed_meter_values).where(where).order_by(v.sampled_at, v.event_id, v.seq)
             .offset(offset).limit(limit))  # fmt: skip
    items = [SignedMeterValuePublic.model_validate(r._mapping)
             for r in (await db.execute(query)).all()]  # fmt: skip
    return Page[SignedMeterValuePublic](items=items, total=total, offset=offset, limit=limit)
