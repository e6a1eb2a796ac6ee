"""Pagination of OCPI list GETs (OCPI 2.2.1 transport_and_format §Pagination): the request's
``offset`` / ``limit`` / ``date_from`` / ``date_to`` and the response's ``X-Total-Count``,
``X-Limit`` and ``Link: <...>; rel="next"`` headers.

A route takes ``paging: PagingDep``, runs its query (``last_updated >= date_from`` and
``< date_to``, ordered by last_updated then id, ``OFFSET`` / ``LIMIT``, plus a count of the
matching rows) and returns ``paged(request, response, items, total, paging)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response

from api.ocpi.envelope import OcpiResponse, ok

T = TypeVar("T")

MAX_LIMIT = 100
"""The most objects one page holds (X-Limit). A larger ``limit`` is lowered to it: §"Paginated
Request" lets the server return fewer objects than asked, the X-Limit header telling how
many it will."""


@dataclass(frozen=True, slots=True)
class Paging:
    """One page's parameters: objects to skip, objects at most, the last_updated window
    (``date_from`` inclusive, ``date_to`` exclusive; both aware UTC)."""

    offset: int = 0
    limit: int = MAX_LIMIT
    date_from: datetime | None = None
    date_to: datetime | None = None


def _utc(value: datetime | None) -> datetime | None:
    # OCPI 2.2.1 types §DateTime: UTC; a time without an offset is read as UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def paging(
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1)] = MAX_LIMIT,
    date_from: Annotated[datetime | None, Query()] = None,
    date_to: Annotated[datetime | None, Query()] = None,
) -> Paging:
    """The request's page (an invalid parameter is a 2001 naming it)."""
    return Paging(offset, min(limit, MAX_LIMIT), _utc(date_from), _utc(date_to))


PagingDep = Annotated[Paging, Depends(paging)]


def next_link(base_url: str, path: str, query: Sequence[tuple[str, str]], offset: int,
              limit: int) -> str:  # fmt: skip
    """The ``Link`` header naming the next page: the request's URL on our public base, its
    filters kept, ``offset`` and ``limit`` set (§"Pagination Examples")."""
    kept = [(k, v) for k, v in query if k not in ("offset", "limit")]
    params = urlencode([("offset", str(offset)), ("limit", str(limit)), *kept])
    return f'<{base_url.rstrip("/")}{path}?{params}>; rel="next"'


def paged(request: Request, response: Response, items: list[T], total: int,
          paging: Paging) -> OcpiResponse[list[T]]:  # fmt: skip
    """The page's envelope, with X-Total-Count, X-Limit and (unless it is the last) Link."""
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Limit"] = str(paging.limit)
    following = paging.offset + len(items)
    if items and following < total:
        base_url: str = request.app.state.config.ocpi_base_url
        response.headers["Link"] = next_link(base_url, request.url.path,
                                             request.query_params.multi_items(), following,
                                             paging.limit)  # fmt: skip
    return ok(items)
