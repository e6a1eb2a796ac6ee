"""Two versions of the billing projection compared (``csms billing diff``): totals per group
old and new, and every session whose cost changed (docs/BILLING.md, "Backfill").

A session's cost in a version is that of its current CDR (``billing_sessions.cdr_id``); a
session that has no CDR in one of them (still open, or unpriced) counts as 0 there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from psycopg import sql

from projections import LifecycleError
from projections.billing import PROJECTION as BILLING
from projections.runtime import registry
from projections.runtime.projector import connect

GroupBy = Literal["station", "day", "token"]
_KEYS = {
    "station": "station_id",
    "day": "to_char(end_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "token": "coalesce(id_token, '')",
}


@dataclass(frozen=True, slots=True)
class Changed:
    session_id: int
    station_id: str
    id_token: str | None
    currency: str
    old_excl_vat: Decimal
    new_excl_vat: Decimal

    @property
    def delta(self) -> Decimal:
        return self.new_excl_vat - self.old_excl_vat


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    currency: str
    sessions: int
    changed: int
    old_excl_vat: Decimal
    new_excl_vat: Decimal
    old_incl_vat: Decimal
    new_incl_vat: Decimal


@dataclass(frozen=True, slots=True)
class Diff:
    old: int
    new: int
    by: GroupBy
    groups: tuple[Group, ...]
    changed: tuple[Changed, ...]

    def lines(self, limit: int = 50) -> list[str]:
        """Tab-separated tables: the groups, then the changed sessions (up to ``limit``)."""
        out = [f"{self.by}\tcurrency\tsessions\tchanged\tbilling@{self.old} excl. VAT\t"
               f"billing@{self.new} excl. VAT\tdifference\t"
               f"billing@{self.old} incl. VAT\tbilling@{self.new} incl. VAT"]  # fmt: skip
        for g in self.groups:
            out.append("\t".join((g.key, g.currency, str(g.sessions), str(g.changed),
                                  str(g.old_excl_vat), str(g.new_excl_vat),
                                  str(g.new_excl_vat - g.old_excl_vat), str(g.old_incl_vat),
                                  str(g.new_incl_vat))))  # fmt: skip
        out.append("")
        out.append(f"{len(self.changed)} sessions changed"
                   + (f" (first {limit} shown)" if len(self.changed) > limit else ""))
        out.append("session\tstation\ttoken\tcurrency\told excl. VAT\tnew excl. VAT\tdifference")
        for c in self.changed[:limit]:
            out.append("\t".join((str(c.session_id), c.station_id, c.id_token or "", c.currency,
                                  str(c.old_excl_vat), str(c.new_excl_vat), str(c.delta))))
        return out


def _current(schema: str) -> sql.Composed:
    """Each session of a version with its current CDR's totals."""
    return sql.SQL(
        "SELECT s.id, s.station_id, s.id_token, c.currency, c.end_date_time,"
        " c.total_cost_excl_vat AS excl, coalesce(c.total_cost_incl_vat, 0) AS incl"
        " FROM {schema}.billing_sessions s JOIN {schema}.cdrs c ON c.id = s.cdr_id"
    ).format(schema=sql.Identifier(schema))


def _query(old: str, new: str, by: GroupBy) -> sql.Composed:
    key = sql.SQL(_KEYS[by])  # one of ours, not input
    return sql.SQL(
        "WITH o AS ({old}), n AS ({new}), j AS ("
        " SELECT coalesce(n.id, o.id) AS id, coalesce(n.station_id, o.station_id) AS station_id,"
        " coalesce(n.id_token, o.id_token) AS id_token,"
        " coalesce(n.currency, o.currency) AS currency,"
        " coalesce(n.end_date_time, o.end_date_time) AS end_date_time,"
        " coalesce(o.excl, 0) AS old_excl, coalesce(n.excl, 0) AS new_excl,"
        " coalesce(o.incl, 0) AS old_incl, coalesce(n.incl, 0) AS new_incl"
        " FROM o FULL JOIN n ON o.id = n.id)"
        " SELECT {key} AS key, currency, count(*), count(*) FILTER (WHERE old_excl <> new_excl"
        " OR old_incl <> new_incl), sum(old_excl), sum(new_excl), sum(old_incl), sum(new_incl)"
        " FROM j GROUP BY 1, 2 ORDER BY 1, 2"
    ).format(old=_current(old), new=_current(new), key=key)


def _changed(old: str, new: str) -> sql.Composed:
    return sql.SQL(
        "WITH o AS ({old}), n AS ({new})"
        " SELECT coalesce(n.id, o.id), coalesce(n.station_id, o.station_id),"
        " coalesce(n.id_token, o.id_token), coalesce(n.currency, o.currency),"
        " coalesce(o.excl, 0), coalesce(n.excl, 0)"
        " FROM o FULL JOIN n ON o.id = n.id"
        " WHERE o.id IS NULL OR n.id IS NULL OR o.excl <> n.excl OR o.incl <> n.incl"
        " ORDER BY 1"
    ).format(old=_current(old), new=_current(new))


async def diff(database_url: str, old: int, new: int, by: GroupBy = "station") -> Diff:
    async with await connect(database_url) as db:
        known = {v.version for v in await registry.versions(db) if v.projection == BILLING.name}
        for version in (old, new):
            if version not in known:
                raise LifecycleError(f"billing@{version} does not exist")
        async with db.cursor() as cur:
            await cur.execute(_query(BILLING.schema(old), BILLING.schema(new), by))
            rows: list[Any] = await cur.fetchall()
            await cur.execute(_changed(BILLING.schema(old), BILLING.schema(new)))
            changed: list[Any] = await cur.fetchall()
        await db.commit()
    return Diff(old, new, by, tuple(Group(*r) for r in rows), tuple(Changed(*r) for r in changed))
