"""Pure rules of the OCPP-J WebSocket handshake (no sockets here).

OCPP-J 1.6 §3.1.1 / OCPP-J 2.0.1 §3.1.1: the connection URL ends with the station's
identity, ``ws://host:port/ocpp/<station_id>`` (which identities are valid:
:mod:`ocpp.identifiers`); §3.1.2: the client offers ``ocpp1.6`` / ``ocpp2.0.1`` as WebSocket
subprotocol and the server picks one it supports.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from ocpp import OcppVersion, is_station_id

PATH_PREFIX = "/ocpp/"

# Preference when a station offers several versions: the newest we support.
SUPPORTED = (OcppVersion.V201, OcppVersion.V16)


def station_id_from_path(path: str) -> str | None:
    """The station id of a request path ``/ocpp/<id>``, or None if the path is not one."""
    target = urlsplit(path).path
    if not target.startswith(PATH_PREFIX):
        return None
    station_id = unquote(target[len(PATH_PREFIX) :])
    return station_id if is_station_id(station_id) else None


def choose_version(offered: Sequence[str]) -> OcppVersion | None:
    """The OCPP version to speak, given the subprotocols a station offered (None: none fit)."""
    for version in SUPPORTED:
        if version.value in offered:
            return version
    return None


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic ...`` header (RFC 7617), or None.

    OCPP 2.0.1 A00 / 1.6 Security Whitepaper §2.1: the user is the station id and the
    password the station's configured BasicAuthPassword; both are UTF-8 here.
    """
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")  # RFC 7617 §2: the user has no ':'
    return (user, password) if sep else None
