"""Who is calling: the OCPI credentials token of a request (OCPI 2.2.1 transport_and_format
§"Authorization header") looked up in the partner registry (read model ``ocpi_partners``).

- :data:`CallerDep`: a registered partner (credentials exchanged); every functional module
  route (locations, sessions, cdrs, tariffs, tokens, commands) depends on it. It also checks
  the request's routing headers (:mod:`api.ocpi.headers`).
- :data:`AnyCallerDep`: a registered partner or one holding its registration token A; only
  the configuration modules (versions, credentials) accept A (§"Authorization header": "a
  valid CREDENTIALS_TOKEN_A on another module ... SHALL respond with 401").

The token is sent base64-encoded (``Authorization: Token <base64(token)>``, OCPI 2.2.1); a
token sent as is (OCPI 2.1.1 style, still common) is looked up too. Tokens are compared by
their SHA-256: the registry never holds a token a partner presents to us.

Also here: credentials tokens we issue (:func:`new_token`) and the sealing of the tokens we
present to partners (:class:`TokenSealer`, Fernet), so that neither the admin log nor the
read store holds one in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.ocpi.envelope import OcpiError, OcpiStatus
from api.ocpi.headers import check_routing
from schemas.readmodel import ocpi_partner_roles, ocpi_partners

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown credentials token (OCPI envelope)"}}


@dataclass(frozen=True, slots=True)
class Caller:
    """The partner platform behind a request: its main party (the first role it registered)
    and every (country_code, party_id) it registered, upper case."""

    partner_id: str
    country_code: str
    party_id: str
    parties: tuple[tuple[str, str], ...]
    registered: bool
    token: str = field(default="", repr=False)
    """The credentials token the request presented (GET credentials returns it)."""


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a credentials token: how the registry knows it."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh credentials token: 43 URL-safe characters (256 random bits), within
    CiString(64) (credentials §"Credentials object")."""
    return secrets.token_urlsafe(32)


def encode_token(token: str) -> str:
    """The Authorization header's value for ``token`` (OCPI 2.2.1: base64 of the token)."""
    return "Token " + base64.b64encode(token.encode()).decode()


def presented_tokens(header: str | None) -> tuple[str, ...]:
    """The candidate tokens of an ``Authorization: Token ...`` header: its base64 decoding
    (OCPI 2.2.1) when it is valid base64 of printable ASCII, and the value as sent; empty
    when the header is missing or not of the Token scheme."""
    if header is None:
        return ()
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value or any(c.isspace() for c in value):
        return ()
    decoded = _b64_text(value)
    return (value,) if decoded is None or decoded == value else (decoded, value)


def _b64_text(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text and all("\x21" <= c <= "\x7e" for c in text) else None


class TokenSealer:
    """Encrypts the credentials tokens we present to partners (Fernet: AES-128-CBC with an
    HMAC-SHA256), with the key of ``CSMS_OCPI_TOKEN_KEY``."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str) -> str:
        """The token; raises ValueError when ``sealed`` was not made with this key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as e:
            raise ValueError("sealed with another key") from e


def _unauthorized(message: str) -> OcpiError:
    # OCPI 2.2.1 transport_and_format §"Authorization header": missing or unknown → 401.
    return OcpiError(OcpiStatus.CLIENT_ERROR, message, 401,
                     headers={"WWW-Authenticate": "Token"})  # fmt: skip


async def find_caller(db: AsyncConnection, tokens: tuple[str, ...]) -> Caller | None:
    """The partner one of ``tokens`` belongs to, or None."""
    by_hash = {token_hash(t): t for t in tokens}
    if not by_hash:
        return None
    query = select(ocpi_partners.c.partner_id, ocpi_partners.c.status,
                   ocpi_partners.c.token_hash).where(
        ocpi_partners.c.token_hash.in_(list(by_hash)))  # fmt: skip
    row = (await db.execute(query)).first()
    if row is None:
        return None
    parties = await _parties(db, row.partner_id)
    main = parties[0] if parties else ("", "")
    return Caller(row.partner_id, main[0], main[1], parties,
                  registered=row.status == "registered", token=by_hash[row.token_hash])  # fmt: skip


async def _parties(db: AsyncConnection, partner_id: str) -> tuple[tuple[str, str], ...]:
    r = ocpi_partner_roles.c
    query = (select(r.country_code, r.party_id).where(r.partner_id == partner_id)
             .order_by(r.role, r.country_code, r.party_id))  # fmt: skip
    seen: dict[tuple[str, str], None] = {}
    for row in (await db.execute(query)).all():
        seen[(row.country_code, row.party_id)] = None
    return tuple(seen)


async def any_caller(request: Request, db: DbDep) -> Caller:
    """The caller, registered or holding its registration token A; else 401."""
    tokens = presented_tokens(request.headers.get("authorization"))
    if not tokens:
        raise _unauthorized("missing Authorization: Token header")
    caller = await find_caller(db, tokens)
    await db.rollback()  # end the read transaction: a route may wait for a write next
    if caller is None:
        raise _unauthorized("unknown credentials token")
    return caller


async def registered_caller(request: Request,
                            caller: Annotated[Caller, Depends(any_caller)]) -> Caller:  # fmt: skip
    """A registered partner (401 for a registration token A or an unknown token), whose
    routing headers name one of its parties and us (:func:`api.ocpi.headers.check_routing`)."""
    if not caller.registered:
        raise _unauthorized("a registration token only opens versions and credentials")
    config = request.app.state.config
    check_routing(request, caller.parties, (config.cpo_country_code, config.cpo_party_id))
    return caller


AnyCallerDep = Annotated[Caller, Depends(any_caller)]
CallerDep = Annotated[Caller, Depends(registered_caller)]
