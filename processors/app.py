"""Moved to :mod:`processors.runtime`; this name stays only until ``csms/services.py`` imports
``from processors.runtime import ProcessorConfig, create_app``. Delete it then."""

from __future__ import annotations

from processors.runtime import ProcessorConfig, create_app

__all__ = ["ProcessorConfig", "create_app"]
