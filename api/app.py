"""The admin API application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from api.routes import stations


def create_app(database_url: str) -> FastAPI:
    """Build the API over the read store at ``database_url`` (an SQLAlchemy psycopg URL)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_async_engine(database_url, pool_size=10, pool_pre_ping=True)
        yield
        await app.state.engine.dispose()

    app = FastAPI(title="CSMS admin API", version="1", lifespan=lifespan)
    app.include_router(stations.router)
    return app
