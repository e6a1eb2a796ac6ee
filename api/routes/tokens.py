"""Id tokens: read from the ``tokens`` read model; written as ``TokenUpserted`` /
``TokenDeleted`` admin events keyed by the id token (read-your-writes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, WriterDep
from api.models import NOT_FOUND, ErrorBody, Page, TokenIn, TokenPublic
from schemas.events import TokenDeleted, TokenUpserted
from schemas.readmodel import TOKENS, tokens

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

IdTokenPath = Annotated[str, Path(min_length=1, max_length=36)]


async def load_token(db: AsyncConnection, id_token: str) -> TokenPublic | None:
    row = (await db.execute(select(tokens).where(tokens.c.id_token == id_token))).first()
    return None if row is None else TokenPublic.model_validate(row._mapping)


@router.put("/{id_token}", responses={504: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def put_token(id_token: IdTokenPath, body: TokenIn, db: DbDep,
                    writer: WriterDep) -> TokenPublic:  # fmt: skip
    """Issue or change a token; returns it once the read model shows the change."""
    event = TokenUpserted(id_token=id_token, **body.model_dump())
    await writer.write(event, id_token, None, shown_by=TOKENS)
    token = await load_token(db, id_token)
    assert token is not None
    return token


@router.get("/{id_token}", responses=NOT_FOUND)
async def get_token(id_token: IdTokenPath, db: DbDep) -> TokenPublic:
    token = await load_token(db, id_token)
    if token is None:
        raise HTTPException(status_code=404, detail=f"token {id_token!r} not found")
    return token


@router.delete("/{id_token}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_token(id_token: IdTokenPath, db: DbDep, writer: WriterDep) -> Response:
    if await load_token(db, id_token) is None:
        raise HTTPException(status_code=404, detail=f"token {id_token!r} not found")
    await db.rollback()  # end the read transaction; the write is waited for below
    await writer.write(TokenDeleted(id_token=id_token), id_token, None, shown_by=TOKENS)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("")
async def list_tokens(
    db: DbDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[TokenPublic]:
    total = (await db.execute(select(func.count()).select_from(tokens))).scalar_one()
    query = select(tokens).order_by(tokens.c.id_token).offset(offset).limit(limit)
    items = [TokenPublic.model_validate(r._mapping) for r in (await db.execute(query)).all()]
    return Page[TokenPublic](items=items, total=total, offset=offset, limit=limit)
