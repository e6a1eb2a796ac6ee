"""The ``tokens`` read model, from the admin log (``TokenUpserted`` / ``TokenDeleted``)."""

from __future__ import annotations

from psycopg import AsyncCursor

from schemas.envelopes import EventEnvelope

TABLES = ("tokens",)


async def on_upserted(cur: AsyncCursor[object], event: EventEnvelope) -> None:
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
            "tok": d["id_token"], "type": d["type"], "status": d["status"],
            "exp": d.get("expires_at"), "group": d.get("group_id"), "at": event.occurred_at,
        },
    )  # fmt: skip


async def on_deleted(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    await cur.execute("DELETE FROM tokens WHERE id_token = %s", (event.data["id_token"],))
