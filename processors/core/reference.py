"""Reference data the handlers need, delivered as admin events on Kafka (DESIGN decision 8).

The API appends these to the admin topic; the processor keeps them in Faust tables:

- ``StationConfigured`` (key = station id) → the station's row of the per-station state
  table (the admin topic is co-partitioned with the frames log: same key, same partition
  count), read by the registration gate and BootNotification;
- ``TokenUpserted`` / ``TokenDeleted`` (key = id token) → the ``tokens`` global table,
  read by the authorization rules;
- ``OcpiTokenUpserted`` (key = the token's uid, upper case) → the ``ocpi-tokens`` global
  table (uid → every partner token of that uid, :class:`OcpiTokenRef` by
  :func:`ocpi_token_key`), read by the authorization rules for roaming drivers;
- ``TariffPublished`` / ``TariffDeleted`` (key = tariff id) → the ``tariffs`` global table
  (``<id>`` → :class:`TariffHead`, ``<id>@<version>`` → every version's OCPI Tariff);
  ``TariffAssigned`` / ``TariffUnassigned`` → the ``tariff-assignments`` global table
  (target key → tariff id), read by :class:`TariffBook` when a session starts.

Processors never read the read store, so replaying the logs gives the same decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.events import (
    OcpiTokenUpserted,
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffTarget,
    TariffUnassigned,
    TokenUpserted,
)
from schemas.tariffs import Tariff

log = logging.getLogger(__name__)


class Token(BaseModel):
    """An id token as the operator issued it (``TokenUpserted`` data)."""

    model_config = ConfigDict(frozen=True)

    type: str
    status: str
    expires_at: datetime | None = None
    group_id: str | None = None

    @classmethod
    def issued(cls, event: TokenUpserted) -> Token:
        return cls(type=event.type, status=event.status, expires_at=event.expires_at,
                   group_id=event.group_id)  # fmt: skip

    @classmethod
    def from_table(cls, value: dict[str, Any] | None) -> Token | None:
        return None if value is None else cls.model_validate(value)


# -- OCPI tokens (roaming) ------------------------------------------------------------------


class OcpiTokenRef(BaseModel):
    """What the authorization rules need of a token an OCPI partner pushed
    (``OcpiTokenUpserted``; OCPI 2.2.1 mod_tokens Token)."""

    model_config = ConfigDict(frozen=True)

    partner_id: str
    country_code: str
    party_id: str
    uid: str
    type: str
    """OCPI TokenType: RFID, APP_USER, AD_HOC_USER, OTHER."""
    contract_id: str
    valid: bool
    whitelist: str
    """OCPI WhitelistType: ALWAYS, ALLOWED, ALLOWED_OFFLINE, NEVER."""
    group_id: str | None = None

    @classmethod
    def pushed(cls, event: OcpiTokenUpserted) -> OcpiTokenRef:
        t = event.token
        return cls(partner_id=event.partner_id, country_code=t.country_code,
                   party_id=t.party_id, uid=t.uid, type=t.type.value,
                   contract_id=t.contract_id, valid=t.valid, whitelist=t.whitelist.value,
                   group_id=t.group_id)  # fmt: skip


def ocpi_token_key(token: OcpiTokenRef) -> str:
    """A partner token's key within its uid's row: ``<country>*<party>*<type>``."""
    return f"{token.country_code}*{token.party_id}*{token.type}"


def apply_ocpi_token(table: MutableMapping[str, Any], event: OcpiTokenUpserted) -> None:
    """A pushed token into the ``ocpi-tokens`` table (key = uid upper-cased; value = its
    tokens by :func:`ocpi_token_key`, JSON)."""
    ref = OcpiTokenRef.pushed(event)
    uid = ref.uid.upper()
    row = dict(table.get(uid) or {})
    row[ocpi_token_key(ref)] = ref.model_dump(mode="json")
    table[uid] = row


def ocpi_tokens_of(row: Mapping[str, Any] | None) -> tuple[OcpiTokenRef, ...]:
    """The tokens of one ``ocpi-tokens`` row, in key order (deterministic)."""
    if not row:
        return ()
    return tuple(OcpiTokenRef.model_validate(row[k]) for k in sorted(row))


# -- tariffs ---------------------------------------------------------------------------------

DEFAULT_TARGET = "default"


def group_key(group_id: str) -> str:
    return f"group:{group_id}"


def evse_key(station_id: str, evse_id: int) -> str:
    return f"evse:{station_id}:{evse_id}"


def station_key(station_id: str) -> str:
    return f"station:{station_id}"


def target_key(facts: TariffAssigned | TariffUnassigned) -> str | None:
    """The assignments table key of an assignment's target, or None when the event's fields
    do not fit its target kind (the read model's ``tariff_assignments`` does the same)."""
    s, e, g = facts.station_id, facts.evse_id, facts.group_id
    match facts.target:
        case "evse" if s is not None and e is not None and g is None:
            return evse_key(s, e)
        case "station" if s is not None and e is None and g is None:
            return station_key(s)
        case "token_group" if g is not None and s is None and e is None:
            return group_key(g)
        case "default" if s is None and e is None and g is None:
            return DEFAULT_TARGET
    return None


class TariffHead(BaseModel):
    """A tariff's newest version, and whether the operator withdrew it (``tariffs`` table,
    key = the tariff id; each version under ``<id>@<version>``)."""

    model_config = ConfigDict(frozen=True)

    version: int
    deleted: bool = False


def version_key(tariff_id: str, version: int) -> str:
    return f"{tariff_id}@{version}"


@dataclass(frozen=True, slots=True)
class AppliedTariff:
    """The tariff that prices a new session, and what it is assigned to."""

    tariff: Tariff
    version: int
    assigned_by: TariffTarget


TARIFF_CACHE = 1024
"""Parsed tariff versions kept by a :class:`TariffBook` (versions never change)."""


class TariffBook:
    """Read access to the ``tariffs`` and ``tariff-assignments`` tables (JSON values).

    Tariff versions are immutable once published, so a parsed version is cached (and the
    meter of a session can be advanced with the version that priced it at any time)."""

    def __init__(self, tariffs: Mapping[str, Any] | None = None,
                 assignments: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        self._tariffs: Mapping[str, Any] = {} if tariffs is None else tariffs
        self._assignments: Mapping[str, Any] = {} if assignments is None else assignments
        self._parsed: dict[str, Tariff] = {}

    def head(self, tariff_id: str) -> TariffHead | None:
        stored = self._tariffs.get(tariff_id)
        return None if stored is None else TariffHead.model_validate(stored)

    def version(self, tariff_id: str, version: int) -> Tariff | None:
        key = version_key(tariff_id, version)
        tariff = self._parsed.get(key)
        if tariff is None:
            stored = self._tariffs.get(key)
            if stored is None:
                return None
            if len(self._parsed) >= TARIFF_CACHE:
                self._parsed.clear()
            tariff = self._parsed[key] = Tariff.model_validate(stored)
        return tariff

    def assigned(self, target: str) -> AppliedTariff | None:
        """The newest version of the tariff assigned to ``target`` (a table key), unless
        nothing is assigned or the tariff was withdrawn."""
        tariff_id = self._assignments.get(target)
        head = None if tariff_id is None else self.head(str(tariff_id))
        if tariff_id is None or head is None or head.deleted:
            return None
        tariff = self.version(str(tariff_id), head.version)
        if tariff is None:
            return None
        kind: TariffTarget = "default" if target == DEFAULT_TARGET else _KINDS[target.split(":")[0]]
        return AppliedTariff(tariff, head.version, kind)


_KINDS: dict[str, TariffTarget] = {"group": "token_group", "evse": "evse", "station": "station"}


TariffEvent = TariffPublished | TariffDeleted | TariffAssigned | TariffUnassigned


def apply_tariff_event(tariffs: MutableMapping[str, Any], assignments: MutableMapping[str, Any],
                       event: TariffEvent) -> None:  # fmt: skip
    """An admin tariff event into the tables (JSON values).

    ``TariffPublished`` is applied only when its version is the one after the tariff's
    newest (optimistic concurrency: a write that lost a race is ignored by every reader), and
    undeletes the tariff; ``TariffDeleted`` keeps the versions (sessions priced by them are
    still rated by them)."""
    match event:
        case TariffPublished(version=version, tariff=tariff):
            head = tariffs.get(tariff.id)
            current = 0 if head is None else TariffHead.model_validate(head).version
            if version != current + 1:
                log.info("tariff %r version %d is not the next one (%d): ignored", tariff.id,
                         version, current + 1)  # fmt: skip
                return
            tariffs[version_key(tariff.id, version)] = tariff.model_dump(mode="json")
            tariffs[tariff.id] = TariffHead(version=version).model_dump(mode="json")
        case TariffDeleted(tariff_id=tariff_id) if tariff_id in tariffs:
            head = TariffHead.model_validate(tariffs[tariff_id])
            tariffs[tariff_id] = head.model_copy(update={"deleted": True}).model_dump(mode="json")
        case TariffAssigned() | TariffUnassigned():
            _assignment(assignments, event)


def _assignment(assignments: MutableMapping[str, Any],
                event: TariffAssigned | TariffUnassigned) -> None:  # fmt: skip
    key = target_key(event)
    if key is None:
        log.warning("tariff assignment to %r with fields of another target: ignored",
                    event.target)  # fmt: skip
    elif isinstance(event, TariffAssigned):
        assignments[key] = event.tariff_id
    elif key in assignments:
        del assignments[key]
