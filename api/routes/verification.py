"""``GET /api/v1/transactions/{id}/verification``: prove a transaction from the wire
(docs/AUDIT.md, "Re-derivation").

The re-derivation runs the processor's own handlers, and the API never imports the
processor (the services talk through Kafka and the read store only, docs/ARCHITECTURE.md):
so the API runs ``csms audit verify-transaction <id> --json`` in a process of its own, with
this deployment's settings, and returns its report.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from api.models import ErrorBody

router = APIRouter(prefix="/api/v1/transactions", tags=["audit"])

TIMEOUT_S = 300.0
"""A verification reads the station's history: long for a long-lived station."""
VERIFIED, NOT_VERIFIED, UNKNOWN = 0, 1, 2
"""Exit codes of ``csms audit verify-transaction``."""


@router.get("/{transaction_pk}/verification",
            responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}})  # fmt: skip
async def verification(transaction_pk: Annotated[int, Path(ge=1)]) -> dict[str, Any]:
    """The re-derivation report: ``ok``, the frames re-run, the events compared, and every
    event and read-model value that differs (``event_differences``, ``row_differences``)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "csms.cli", "audit", "verify-transaction", str(transaction_pk),
        "--json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise HTTPException(503, f"the verification took over {TIMEOUT_S:g} s") from None
    if process.returncode == UNKNOWN:
        raise HTTPException(404, f"transaction {transaction_pk} is not in the audit index")
    if process.returncode not in (VERIFIED, NOT_VERIFIED):
        raise HTTPException(503, "the verification could not run: "
                            + err.decode(errors="replace")[-500:])  # fmt: skip
    report: dict[str, Any] = json.loads(out)
    return report
