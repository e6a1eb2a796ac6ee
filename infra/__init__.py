"""Local provisioning: Kafka broker, PostgreSQL, topics and migrations.

Each module is told what it needs by its own configuration type (:mod:`infra.config`),
never by the CLI's settings; the CLI turns an :class:`InfraError` into a one-line exit.

Exception tree::

    InfraError
     ├── ProvisioningFailed   a tool (mvn, apt-get, initdb) failed or is missing
     └── ServiceNotReady      a service did not answer within its start-up budget
"""

from __future__ import annotations


class InfraError(Exception):
    """Base of every infra failure."""


class ProvisioningFailed(InfraError):
    """A provisioning step failed."""


class ServiceNotReady(InfraError):
    """A service did not become ready in time."""
