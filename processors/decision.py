"""Moved to :mod:`processors.core.decision`; this name stays only until ``csms/services.py``
imports ``from processors.runtime import HandlerConfig``. Delete it then."""

from __future__ import annotations

from processors.core.decision import HandlerConfig

__all__ = ["HandlerConfig"]
