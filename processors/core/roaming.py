"""Authorization of roaming drivers: tokens an OCPI partner (eMSP) pushed to us (OCPI 2.2.1
mod_tokens), found by the id a station presents (docs/OCPI.md, "Tokens").

- Lookup: by ``uid``, case-insensitive (a CiString). An OCPP 2.0.1 idToken type matches
  these OCPI TokenTypes (OCPI 2.2.1 defines no mapping; ours): ISO14443 / ISO15693 → RFID;
  Central / eMAID → APP_USER, AD_HOC_USER, OTHER; KeyCode / Local / MacAddress → OTHER.
  A 1.6 idTag (no type) matches any. Several matches (two eMSPs with one uid): RFID first,
  then APP_USER, AD_HOC_USER, OTHER, then by country and party.
- Verdict (mod_tokens §WhitelistType): ALWAYS and ALLOWED are decided here from ``valid``
  (ALLOWED: "the CPO may choose"; we whitelist, no eMSP round trip at the station): valid →
  Accepted, not valid → Invalid. ALLOWED_OFFLINE and NEVER ask for real-time authorization;
  without an answer from the eMSP the fallback applies: ALLOWED_OFFLINE → from ``valid``
  (mod_tokens: "when the CPO cannot get a response ... shall allow"; we still refuse a token
  the eMSP itself marked not valid), NEVER → Invalid ("Whitelisting is forbidden").
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.core.reference import OcpiTokenRef

ACCEPTED = "Accepted"
INVALID = "Invalid"

ANY_TYPE = ("RFID", "APP_USER", "AD_HOC_USER", "OTHER")
"""OCPI TokenTypes in the order a match is preferred (and what a 1.6 idTag matches)."""
OCPI_TYPES: dict[str, tuple[str, ...]] = {
    "ISO14443": ("RFID",),
    "ISO15693": ("RFID",),
    "Central": ("APP_USER", "AD_HOC_USER", "OTHER"),
    "eMAID": ("APP_USER", "AD_HOC_USER", "OTHER"),
    "KeyCode": ("OTHER",),
    "Local": ("OTHER",),
    "MacAddress": ("OTHER",),
}
"""OCPP 2.0.1 IdTokenEnumType → the OCPI TokenTypes a presented token of it may be."""

LOCAL = frozenset({"ALWAYS", "ALLOWED"})
"""Whitelist types decided from the pushed token alone."""
REALTIME = frozenset({"ALLOWED_OFFLINE", "NEVER"})
"""Whitelist types that ask the eMSP (mod_tokens §"Real-time authorization")."""


def matching(tokens: Sequence[OcpiTokenRef], id_token_type: str | None) -> OcpiTokenRef | None:
    """The partner token a presented token is (``id_token_type`` None: OCPP 1.6)."""
    types = ANY_TYPE if id_token_type is None else OCPI_TYPES.get(id_token_type, ())
    candidates = [t for t in tokens if t.type in types]
    if not candidates:
        return None
    return min(candidates, key=lambda t: (types.index(t.type), t.country_code, t.party_id))


def local_status(token: OcpiTokenRef) -> str:
    """The OCPP status of a token decided without the eMSP: ALWAYS / ALLOWED (and the
    ALLOWED_OFFLINE fallback) from ``valid``; NEVER is never whitelisted."""
    if token.whitelist == "NEVER":
        return INVALID
    return ACCEPTED if token.valid else INVALID


# -- real-time verdicts (mod_tokens §"Real-time authorization") ------------------------------

REALTIME_STATUS_201: dict[str, str] = {
    "ALLOWED": ACCEPTED, "BLOCKED": "Blocked", "EXPIRED": "Expired", "NO_CREDIT": "NoCredit",
    "NOT_ALLOWED": "NotAtThisLocation",
}  # fmt: skip
"""OCPI Allowed → OCPP 2.0.1 AuthorizationStatusEnumType."""
REALTIME_STATUS_16: dict[str, str] = {
    "ALLOWED": ACCEPTED, "BLOCKED": "Blocked", "EXPIRED": "Expired", "NO_CREDIT": INVALID,
    "NOT_ALLOWED": INVALID,
}  # fmt: skip
"""OCPI Allowed → OCPP 1.6 AuthorizationStatus (which has no NoCredit / location status)."""


def realtime_status(allowed: str | None, *, v201: bool) -> str:
    """The OCPP status of the eMSP's real-time answer: its AuthorizationInfo.allowed, or
    None when it does not know the token (HTTP 404 / OCPI 2004: Unknown, 1.6 Invalid)."""
    if allowed is None:
        return "Unknown" if v201 else INVALID
    return (REALTIME_STATUS_201 if v201 else REALTIME_STATUS_16).get(allowed, INVALID)
