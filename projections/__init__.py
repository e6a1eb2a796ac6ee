"""Projectors: consumers that build the PostgreSQL read models from the events log.

Exception tree::

    ProjectionError
     └── StoreUnavailable   PostgreSQL refused or dropped the connection
"""

from __future__ import annotations


class ProjectionError(Exception):
    """Base of projection failures."""


class StoreUnavailable(ProjectionError):
    """The read store could not be reached or written."""
