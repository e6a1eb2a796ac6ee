"""The charging station identity: which strings may name a station.

OCPP-J 1.6 §3.1.1 and OCPP 2.0.1 Part 4 §3.1.1: the station's identity is the last path
segment of the connection URL (``ws://host/ocpp/<identity>``, percent-encoded there).
OCPP 2.0.1 Part 2 (primitive type ``identifierString``) limits identifiers to
``a-z A-Z 0-9 * - _ = : + | @ .``; the identity is at most 48 characters (the 2.0.1
limit, kept for 1.6 stations too, so one read model serves both versions).

``:`` is left out: the identity is the user of HTTP Basic authentication (security
profiles 1 and 2, OCPP 2.0.1 Part 2 A00; 1.6 Security Whitepaper §2.1), and a Basic-auth
user cannot contain a colon (RFC 7617 §2).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["STATION_ID_MAX_LENGTH", "STATION_ID_PATTERN", "is_station_id"]

STATION_ID_MAX_LENGTH: Final = 48

_CHARACTERS: Final = r"[A-Za-z0-9*\-_=+|@.]"

STATION_ID_PATTERN: Final = rf"^{_CHARACTERS}{{1,{STATION_ID_MAX_LENGTH}}}$"
"""The identity as a JSON-schema / pydantic ``pattern`` (anchored at both ends; in those
dialects ``$`` is the end of the text). Python code uses :func:`is_station_id`: Python's
``$`` also matches before a trailing newline."""

_STATION_ID: Final = re.compile(rf"{_CHARACTERS}{{1,{STATION_ID_MAX_LENGTH}}}")


def is_station_id(text: str) -> bool:
    """True if ``text`` is a valid charging station identity (the whole of it)."""
    return _STATION_ID.fullmatch(text) is not None
