"""Admin events of the operator's locations (OCPI 2.2.1 mod_locations, the CPO's own data):
a location published or changed, and deleted. Key on the admin log = the location id."""

from __future__ import annotations

from schemas.events.base import DomainEvent
from schemas.ocpi.locations import LocationIn
from schemas.ocpi.sessions import CiString36


class LocationPublished(DomainEvent):
    """Admin: a location as the operator entered it (API PUT /api/v1/locations/{id}); the
    whole location, its EVSEs and their station mapping replace the previous version."""

    location_id: CiString36
    location: LocationIn


class LocationDeleted(DomainEvent):
    """Admin: a location removed (API DELETE /api/v1/locations/{id}); partners see its EVSEs
    as REMOVED (mod_locations §"Status enum")."""

    location_id: CiString36
