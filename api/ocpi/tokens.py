"""OCPI 2.2.1 Tokens module, CPO receiver interface (mod_tokens §"Receiver Interface"):
``{tokens endpoint}/{country_code}/{party_id}/{token_uid}[?type=]`` GET, PUT and PATCH.

A push is written as an ``OcpiTokenUpserted`` admin event (the whole Token; a PATCH is
merged here into the stored one first) keyed by the upper-cased uid, and answered once the
``ocpi_tokens`` read model shows it; the processor keeps it in its ``ocpi-tokens`` table for
OCPP Authorize / StartTransaction / TransactionEvent (docs/OCPI.md, "Tokens").

Refusals, nothing written: a party in the URL the caller did not register, or a body whose
country_code / party_id / uid / type differ from the URL → 2001 (HTTP 400); a malformed body
→ 2001 (HTTP 400, the transport's handler); PATCH without ``last_updated`` → 2001; GET or
PATCH of a token we do not hold → 2004 (HTTP 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, WriterDep
from api.ocpi.auth import Caller, CallerDep
from api.ocpi.envelope import OcpiError, OcpiResponse, OcpiStatus, ok
from schemas.events import OcpiTokenUpserted
from schemas.ocpi.sessions import TokenType
from schemas.ocpi.tokens import Token
from schemas.readmodel import OCPI_TOKENS, ocpi_tokens

router = APIRouter(prefix="/ocpi/2.2.1/cpo/tokens", tags=["ocpi"])

CountryPath = Annotated[str, Path(min_length=2, max_length=2)]
PartyPath = Annotated[str, Path(min_length=3, max_length=3)]
UidPath = Annotated[str, Path(min_length=1, max_length=36)]
# mod_tokens §"Request Parameters": type "Default if omitted: RFID".
TypeQuery = Annotated[TokenType, Query(alias="type")]
IDENTITY = ("country_code", "party_id", "uid", "type")


def _party(caller: Caller, country_code: str, party_id: str) -> tuple[str, str]:
    """The URL's party, upper case; 2001 unless the caller registered it (mod_tokens: the
    country_code / party_id "of the eMSP sending this request")."""
    party = (country_code.upper(), party_id.upper())
    if party not in caller.parties:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS,
                        f"party {party[0]}/{party[1]} is not one of the caller's parties")
    return party


async def load_token(db: AsyncConnection, party: tuple[str, str], uid: str,
                     token_type: TokenType) -> Token | None:  # fmt: skip
    c = ocpi_tokens.c
    query = select(c.token).where(c.country_code == party[0], c.party_id == party[1],
                                  c.uid_key == uid.upper(), c.type == token_type.value)
    body = (await db.execute(query)).scalar_one_or_none()
    return None if body is None else Token.model_validate(body)


def _unknown(uid: str) -> OcpiError:
    return OcpiError(OcpiStatus.UNKNOWN_TOKEN, f"unknown token {uid!r}", 404)


@router.get("/{country_code}/{party_id}/{token_uid}")
async def get_token(country_code: CountryPath, party_id: PartyPath, token_uid: UidPath,
                    caller: CallerDep, db: DbDep,
                    token_type: TypeQuery = TokenType.RFID) -> OcpiResponse[Token]:  # fmt: skip
    """mod_tokens §"GET Method": the Token as we hold it."""
    token = await load_token(db, _party(caller, country_code, party_id), token_uid, token_type)
    if token is None:
        raise _unknown(token_uid)
    return ok(token)


@router.put("/{country_code}/{party_id}/{token_uid}")
async def put_token(country_code: CountryPath, party_id: PartyPath, token_uid: UidPath,
                    body: Token, caller: CallerDep, writer: WriterDep,
                    token_type: TypeQuery = TokenType.RFID) -> OcpiResponse[None]:  # fmt: skip
    """mod_tokens §"PUT Method": a new or changed Token; its country_code / party_id "SHALL
    be the same value as" the URL's."""
    party = _party(caller, country_code, party_id)
    _same_identity(body, party, token_uid, token_type)
    await _write(writer, caller, body)
    return ok(None)


@router.patch("/{country_code}/{party_id}/{token_uid}")
async def patch_token(country_code: CountryPath, party_id: PartyPath, token_uid: UidPath,
                      body: Annotated[dict[str, Any], Body()], caller: CallerDep, db: DbDep,
                      writer: WriterDep,
                      token_type: TypeQuery = TokenType.RFID) -> OcpiResponse[None]:  # fmt: skip
    """mod_tokens §"PATCH Method": only the fields given change; "Any request to the PATCH
    method SHALL contain the last_updated field"."""
    if "last_updated" not in body:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "a PATCH must carry last_updated")
    party = _party(caller, country_code, party_id)
    stored = await load_token(db, party, token_uid, token_type)
    if stored is None:
        raise _unknown(token_uid)
    await db.rollback()  # end the read transaction; the write is waited for below
    try:
        merged = Token.model_validate({**stored.model_dump(mode="json"), **body})
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{field}: {first['msg']}") from e
    _same_identity(merged, party, token_uid, token_type)
    await _write(writer, caller, merged)
    return ok(None)


def _same_identity(token: Token, party: tuple[str, str], uid: str,
                   token_type: TokenType) -> None:  # fmt: skip
    given = (token.country_code, token.party_id, token.uid.upper(), token.type)
    if given != (*party, uid.upper(), token_type):
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS,
                        "the token's country_code, party_id, uid and type must be the URL's")


async def _write(writer: WriterDep, caller: Caller, token: Token) -> None:
    event = OcpiTokenUpserted(partner_id=caller.partner_id, token=token)
    await writer.write(event, token.uid.upper(), None, shown_by=OCPI_TOKENS)
