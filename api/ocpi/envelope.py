"""The OCPI 2.2.1 response envelope (transport_and_format §"Response format") and the status
codes it carries (status_codes).

Every OCPI route returns an :class:`OcpiResponse` (``ok(data)``) or raises :class:`OcpiError`;
the handlers installed by :func:`api.ocpi.install` render an error as the envelope with
``data: null`` and the error's HTTP status. Exception tree::

    OcpiError (Exception)   an OCPI status code, its message and the HTTP status to send
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import IntEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from schemas.tariffs import UtcTime

T = TypeVar("T")


class OcpiStatus(IntEnum):
    """OCPI 2.2.1 status_codes: 1xxx success, 2xxx client errors, 3xxx server errors."""

    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003


class OcpiResponse(BaseModel, Generic[T]):
    """OCPI 2.2.1 transport_and_format §"Response format"."""

    model_config = ConfigDict(frozen=True)

    data: T | None = None
    status_code: int
    status_message: str | None = None
    timestamp: UtcTime


def ok(data: T, message: str | None = None) -> OcpiResponse[T]:
    """The success envelope (1000) around ``data``, stamped now."""
    return OcpiResponse[T](data=data, status_code=OcpiStatus.SUCCESS, status_message=message,
                           timestamp=datetime.now(UTC))  # fmt: skip


class OcpiError(Exception):
    """An OCPI request refused: rendered as the envelope with ``data: null``, ``status`` and
    ``message``, sent with ``http_status`` (and ``headers``, e.g. WWW-Authenticate)."""

    def __init__(self, status: OcpiStatus, message: str, http_status: int = 400, *,
                 headers: Mapping[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status
        self.headers = dict(headers or {})


def error_body(status: OcpiStatus, message: str, now: datetime) -> dict[str, object]:
    """The JSON of a refusal: the envelope with ``data: null`` (status_codes: "the data field
    is unspecified and MAY be omitted, set to null")."""
    envelope = OcpiResponse[None](status_code=status, status_message=message, timestamp=now)
    return envelope.model_dump(mode="json")
