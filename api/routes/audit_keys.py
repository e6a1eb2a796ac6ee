"""The public key that verifies the audit chain's checkpoints (docs/AUDIT.md, "Tamper
evidence"), served from the read store's ``chain_keys`` (the projector writes it beside the
checkpoints it signs; the API never reads the private key's file)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from api.deps import DbDep
from api.models import NOT_FOUND
from schemas.readmodel import chain_checkpoints, chain_keys

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

PEM = "application/x-pem-file"


@router.get("/public-key", response_class=Response, responses={
    **NOT_FOUND, 200: {"content": {PEM: {}}, "description": "SubjectPublicKeyInfo PEM"}})
async def get_public_key(db: DbDep) -> Response:
    """The Ed25519 public key (PEM) of the key that signed the latest checkpoint; 404 while
    no checkpoint has been signed."""
    latest = (select(chain_keys.c.public_key)
              .join(chain_checkpoints, chain_checkpoints.c.key_id == chain_keys.c.key_id)
              .order_by(chain_checkpoints.c.at.desc()).limit(1))  # fmt: skip
    pem = (await db.execute(latest)).scalar()
    if pem is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no checkpoint has been signed yet")
    return Response(pem, media_type=PEM)
