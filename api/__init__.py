"""FastAPI apps: the admin API (and later OCPI and billing) over the read models."""
