"""The OCPI 2.2.1 modules we serve, with their interface roles: the registry the version
details endpoint lists (:mod:`api.ocpi.versions`) and :func:`api.ocpi.install` mounts.

Each module's router carries its full path as prefix (e.g. ``/ocpi/2.2.1/cpo/locations``);
that prefix, on ``CSMS_OCPI_BASE_URL``, is the endpoint URL partners are given. A module adds
itself with one line in :data:`MODULES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from api.ocpi import cdrs, credentials, locations, sessions, tariffs, tokens


@dataclass(frozen=True)
class Module:
    """One endpoint of the version details: OCPI ModuleID, InterfaceRole and its routes."""

    identifier: str
    """OCPI 2.2.1 version_information_endpoint §ModuleID: "locations", "sessions", ..."""
    role: str
    """OCPI 2.2.1 §InterfaceRole: "SENDER" or "RECEIVER"."""
    router: APIRouter


MODULES: tuple[Module, ...] = (
    # credentials §"Interfaces": both platforms implement the same credentials endpoint; we
    # act in either role of the registration (a partner registers with us, or we with it).
    Module("credentials", "SENDER", credentials.router),
    Module("credentials", "RECEIVER", credentials.router),
    Module("locations", "SENDER", locations.router),
    Module("sessions", "SENDER", sessions.router),
    Module("cdrs", "SENDER", cdrs.router),
    Module("tariffs", "SENDER", tariffs.router),
    Module("tokens", "RECEIVER", tokens.router),
)
