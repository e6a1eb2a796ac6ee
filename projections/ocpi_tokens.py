"""The ``ocpi_tokens`` projection: tokens OCPI partners pushed (``OcpiTokenUpserted``, the
full Token object), one row per (country_code, party_id, uid, type) (OCPI 2.2.1 mod_tokens:
"The combination of uid and type should be unique for every token within the eMSP's
system")."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import EventEnvelope, OcpiTokenUpserted

handles = Handlers()


@handles(OcpiTokenUpserted)
async def on_upserted(cur: Cursor, event: EventEnvelope[OcpiTokenUpserted]) -> None:
    t = event.data.token
    await cur.execute(
        """
        INSERT INTO ocpi_tokens (country_code, party_id, uid_key, type, partner_id, token,
            last_updated)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (country_code, party_id, uid_key, type) DO UPDATE SET
            partner_id = EXCLUDED.partner_id, token = EXCLUDED.token,
            last_updated = EXCLUDED.last_updated
        """,
        (t.country_code, t.party_id, t.uid.upper(), t.type.value, event.data.partner_id,
         Jsonb(t.model_dump(mode="json", exclude_none=True)), t.last_updated),
    )  # fmt: skip


PROJECTION = Projection(readmodel.OCPI_TOKENS, tables=(readmodel.ocpi_tokens,),
                        handlers=handles)  # fmt: skip
