"""Projections: the PostgreSQL read models built from the events log, and their versions.

Each read model is a module ``projections/<model>.py`` declaring ``PROJECTION`` (its name,
tables and handlers; docs/ADDING_A_READ_MODEL.md). :mod:`projections.runtime` holds the
machinery: discovery, the projector (exactly once, several processes allowed), the
registry of versions built side by side and the ``csms projections`` commands.

Exception tree::

    ProjectionError
     ├── StoreUnavailable      PostgreSQL refused or dropped the connection
     ├── ProjectionDropped     a version being written was dropped meanwhile
     └── LifecycleError        a build / switch / drop that cannot be done (says why)
"""

from __future__ import annotations


class ProjectionError(Exception):
    """Base of projection failures."""


class StoreUnavailable(ProjectionError):
    """The read store could not be reached or written."""


class ProjectionDropped(ProjectionError):
    """A projection version this projector writes is no longer registered."""


class LifecycleError(ProjectionError):
    """A lifecycle command that cannot be carried out as asked."""
