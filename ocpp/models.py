"""Base classes and field types shared by the generated models in ``ocpp.v16`` / ``ocpp.v201``.

Choices that keep text -> model -> text lossless (``to_payload``):

- date-times stay ``str`` (:data:`DateTime`): re-rendering a parsed datetime changes its
  text ("+00:00" vs "Z", fraction digits) and naive 1.6 timestamps have no zone. Use
  :func:`ocpp.timestamps.parse_datetime` to read one.
- JSON numbers are ``int | float`` (:data:`Number`), so ``16`` stays ``16`` and ``16.5``
  stays ``16.5``.
- objects whose schema allows extra properties (2.0.1 ``CustomDataType``) keep them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DateTime", "Number", "OcppModel", "OpenOcppModel", "to_payload"]

DateTime = str
"""An RFC 3339 / ISO 8601 date-time as sent on the wire."""

Number = int | float
"""A JSON number, kept as the int or float it was sent as."""


class OcppModel(BaseModel):
    """A frozen OCPP payload or datatype; Python names are snake_case, wire names camelCase."""

    model_config = ConfigDict(
        frozen=True,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=False,
        use_attribute_docstrings=True,
    )

    action: ClassVar[str] = ""
    """The OCPP action, on request and response models; "" on datatypes."""


class OpenOcppModel(OcppModel):
    """An object whose schema allows additional properties; they are kept."""

    model_config = ConfigDict(extra="allow")


def to_payload(model: BaseModel) -> dict[str, Any]:
    """The wire payload of a model: camelCase keys, no None values, JSON types."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")
