"""Action -> pydantic model lookup over the generated ``ocpp.v16`` / ``ocpp.v201`` packages.

The generated packages are imported on first use, so ``import ocpp`` stays cheap.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Final

from ocpp.models import OcppModel
from ocpp.versions import OcppVersion

__all__ = ["actions", "model_for", "to_model"]

_PACKAGES: Final[dict[OcppVersion, str]] = {
    OcppVersion.V16: "ocpp.v16",
    OcppVersion.V201: "ocpp.v201",
}


@functools.cache
def actions(version: OcppVersion) -> dict[str, tuple[type[OcppModel], type[OcppModel]]]:
    """The ``ACTIONS`` registry of ``version``: action -> (request model, response model)."""
    registry: dict[str, tuple[type[OcppModel], type[OcppModel]]] = importlib.import_module(
        _PACKAGES[version]
    ).ACTIONS
    return registry


def model_for(version: OcppVersion, action: str, *, response: bool) -> type[OcppModel]:
    """The request (or response) model of ``action``. Raises KeyError for an unknown action."""
    try:
        request_model, response_model = actions(version)[action]
    except KeyError:
        raise KeyError(f"unknown OCPP {version.value} action {action!r}") from None
    return response_model if response else request_model


def to_model(
    version: OcppVersion, action: str, payload: dict[str, Any], *, response: bool
) -> OcppModel:
    """Build the typed model of a payload that already passed schema validation.

    Raises KeyError for an unknown action and pydantic.ValidationError for a payload
    that does not fit the model (only possible if it skipped validation).
    """
    return model_for(version, action, response=response).model_validate(payload)
