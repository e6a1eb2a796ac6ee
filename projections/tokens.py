"""The ``tokens`` projection, from the admin log (``TokenUpserted`` / ``TokenDeleted``)."""

from __future__ import annotations

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import EventEnvelope, TokenDeleted, TokenUpserted

handles = Handlers()


@handles(TokenUpserted)
async def on_upserted(cur: Cursor, event: EventEnvelope[TokenUpserted]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO tokens (id_token, type, status, expires_at, group_id, updated_at)
        VALUES (%(tok)s, %(type)s, %(status)s, %(exp)s, %(group)s, %(at)s)
        ON CONFLICT (id_token) DO UPDATE SET type = EXCLUDED.type, status = EXCLUDED.status,
            expires_at = EXCLUDED.expires_at, group_id = EXCLUDED.group_id,
            updated_at = EXCLUDED.updated_at
        """,
        {
            "tok": d.id_token, "type": d.type, "status": d.status, "exp": d.expires_at,
            "group": d.group_id, "at": event.occurred_at,
        },
    )  # fmt: skip


@handles(TokenDeleted)
async def on_deleted(cur: Cursor, event: EventEnvelope[TokenDeleted]) -> None:
    await cur.execute("DELETE FROM tokens WHERE id_token = %s", (event.data.id_token,))


PROJECTION = Projection("tokens", tables=(readmodel.tokens,), handlers=handles)
