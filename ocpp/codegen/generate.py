"""Generate the pydantic models of ``ocpp.v16`` and ``ocpp.v201`` from the OCA JSON schemas.

Run ``python -m ocpp.codegen.generate`` from the repository root. For each version it
writes ``enums.py``, ``datatypes.py``, ``requests.py``, ``responses.py`` and
``__init__.py`` (with ``ACTIONS``), then formats them with ``ruff format``.

Naming:

- 2.0.1 (and the 1.6 Security Whitepaper messages) name their types in ``definitions``;
  those names are kept as the spec spells them (``BootReasonEnumType``,
  ``ChargingStationType``), and one class is emitted per name across all messages.
- 1.6 core messages define enums and objects inline; :data:`V16_NAMES` gives them the
  names of the OCPP 1.6 specification §7 (``IdTagInfo``, ``ChargePointStatus`` ...).
  Identical inline types with the same name are emitted once; an inline type without a
  name in the table stops the generator, so new schemas force a naming decision.
- Same-named 1.6 objects that differ only in a constraint (``sampledValue`` has
  ``minItems: 1`` in MeterValues, none in StopTransaction) get the looser constraint.
- The 1.6 ``UnitOfMeasure`` lists differ between MeterValues (with "Hertz") and
  StopTransaction (without); the model enum is their union (the schema stays authoritative).
"""

from __future__ import annotations

import argparse
import html
import json
import keyword
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["main"]

REPO: Final = Path(__file__).resolve().parents[2]

V16_NAMES: Final[dict[str, str]] = {
    # Key: "<schema file>:<path>" or ":<property>" for any schema.
    ":idTagInfo": "IdTagInfo",
    ":idTagInfo.status": "AuthorizationStatus",
    ":chargingProfilePurpose": "ChargingProfilePurposeType",
    ":chargingProfileKind": "ChargingProfileKindType",
    ":recurrencyKind": "RecurrencyKindType",
    ":chargingRateUnit": "ChargingRateUnitType",
    ":chargingSchedule": "ChargingSchedule",
    ":chargingSchedulePeriod[]": "ChargingSchedulePeriod",
    ":chargingProfile": "ChargingProfile",
    ":csChargingProfiles": "ChargingProfile",
    ":meterValue[]": "MeterValue",
    ":transactionData[]": "MeterValue",
    ":sampledValue[]": "SampledValue",
    ":context": "ReadingContext",
    ":format": "ValueFormat",
    ":measurand": "Measurand",
    ":phase": "Phase",
    ":location": "Location",
    ":unit": "UnitOfMeasure",
    ":configurationKey[]": "KeyValue",
    ":localAuthorizationList[]": "AuthorizationData",
    "BootNotificationResponse:status": "RegistrationStatus",
    "CancelReservationResponse:status": "CancelReservationStatus",
    "ChangeAvailability:type": "AvailabilityType",
    "ChangeAvailabilityResponse:status": "AvailabilityStatus",
    "ChangeConfigurationResponse:status": "ConfigurationStatus",
    "ClearCacheResponse:status": "ClearCacheStatus",
    "ClearChargingProfileResponse:status": "ClearChargingProfileStatus",
    "DataTransferResponse:status": "DataTransferStatus",
    "DiagnosticsStatusNotification:status": "DiagnosticsStatus",
    "FirmwareStatusNotification:status": "FirmwareStatus",
    "GetCompositeScheduleResponse:status": "GetCompositeScheduleStatus",
    "RemoteStartTransactionResponse:status": "RemoteStartStopStatus",
    "RemoteStopTransactionResponse:status": "RemoteStartStopStatus",
    "ReserveNowResponse:status": "ReservationStatus",
    "Reset:type": "ResetType",
    "ResetResponse:status": "ResetStatus",
    "SendLocalList:updateType": "UpdateType",
    "SendLocalListResponse:status": "UpdateStatus",
    "SetChargingProfileResponse:status": "ChargingProfileStatus",
    "StatusNotification:errorCode": "ChargePointErrorCode",
    "StatusNotification:status": "ChargePointStatus",
    "StopTransaction:reason": "Reason",
    "TriggerMessage:requestedMessage": "MessageTrigger",
    "TriggerMessageResponse:status": "TriggerMessageStatus",
    "UnlockConnectorResponse:status": "UnlockStatus",
}

# Same name, different value lists in different schemas: emit the union.
MERGEABLE_ENUMS: Final = frozenset({"UnitOfMeasure"})

# Attribute names a pydantic model must not use as field names.
RESERVED: Final = frozenset(
    {"action", "copy", "dict", "json", "schema", "construct", "validate", "fields"}
)


@dataclass
class EnumDef:
    name: str
    values: list[str]
    description: str


@dataclass(frozen=True)
class FieldDef:
    wire: str
    py: str
    type_expr: str
    required: bool
    constraints: tuple[tuple[str, int], ...]
    description: str


@dataclass
class ModelDef:
    name: str
    fields: list[FieldDef]
    open: bool
    description: str
    action: str = ""
    refs: set[str] = field(default_factory=set)

    def shape(self) -> object:
        return (self.open, [(f.wire, f.type_expr, f.required, f.constraints) for f in self.fields])


def snake(name: str) -> str:
    """camelCase -> snake_case ("iso15118SchemaVersion" -> "iso15118_schema_version")."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([0-9])([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def member_name(value: str) -> str:
    name = snake(value).upper() or "EMPTY"
    return f"V_{name}" if name[0].isdigit() else name


_ASCII_QUOTES: Final = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def clean(text: str) -> str:
    text = html.unescape(text).translate(_ASCII_QUOTES)
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line).replace("\\", "\\\\").replace('"""', "'''")


def docstring(text: str, indent: str) -> list[str]:
    if not text:
        return []
    width = 96 - len(indent)
    body: list[str] = []
    for para in clean(text).split("\n"):
        body.extend(textwrap.wrap(para, width) or [""])
    if len(body) == 1 and len(body[0]) + len(indent) + 6 <= 100:
        return [f'{indent}"""{body[0]}"""']
    return [f'{indent}"""', *(f"{indent}{line}" for line in body), f'{indent}"""']


class VersionGenerator:
    """Collects enums and models of one OCPP version from its schema files."""

    def __init__(self, package: str, title: str, schema_dir: Path, request_suffix: str) -> None:
        self.package = package
        self.title = title
        self.schema_dir = schema_dir
        self.request_suffix = request_suffix
        self.enums: dict[str, EnumDef] = {}
        self.models: dict[str, ModelDef] = {}
        self.messages: dict[str, tuple[ModelDef, ModelDef]] = {}

    def load(self) -> None:
        for path in sorted(self.schema_dir.glob("*Response.json")):
            action = path.name.removesuffix("Response.json")
            request = self._message(action, f"{action}{self.request_suffix}", "Request")
            response = self._message(action, f"{action}Response", "Response")
            self.messages[action] = (request, response)

    def _message(self, action: str, file_stem: str, kind: str) -> ModelDef:
        schema = json.loads((self.schema_dir / f"{file_stem}.json").read_text())
        ctx = _Ctx(self, file_stem, schema.get("definitions", {}))
        model = ctx.object_model(
            f"{action}{kind}", schema, "", f"OCPP {self.title} {action} {kind.lower()}."
        )
        model.action = action
        return model

    def add_enum(self, name: str, values: list[str], description: str) -> str:
        known = self.enums.get(name)
        if known is None:
            self.enums[name] = EnumDef(name, list(values), description)
        elif known.values != values:
            if name not in MERGEABLE_ENUMS:
                raise SystemExit(f"enum {name} defined twice with different values")
            known.values.extend(v for v in values if v not in known.values)
        return name

    def add_model(self, model: ModelDef) -> str:
        known = self.models.get(model.name)
        if known is None:
            self.models[model.name] = model
        elif known.shape() != model.shape():
            known.fields = loosest(known, model)
        return model.name


def loosest(known: ModelDef, other: ModelDef) -> list[FieldDef]:
    """Merge two same-named objects that differ only in constraints: keep the shared ones."""

    def skeleton(m: ModelDef) -> object:
        return (m.open, [(f.wire, f.type_expr, f.required) for f in m.fields])

    if skeleton(known) != skeleton(other):
        raise SystemExit(f"datatype {known.name} defined twice with different shapes")
    return [
        FieldDef(
            a.wire,
            a.py,
            a.type_expr,
            a.required,
            tuple(c for c in a.constraints if c in b.constraints),
            a.description,
        )
        for a, b in zip(known.fields, other.fields, strict=True)
    ]


@dataclass
class _Ctx:
    gen: VersionGenerator
    file_stem: str
    definitions: dict[str, Any]

    def name_for(self, path: str) -> str:
        segment = path.rsplit(".", 1)[-1]
        parent = path.rsplit(".", 2)[-2:] if path.count(".") >= 2 else [segment]
        for key in (
            f"{self.file_stem}:{path.lstrip('.')}",
            f":{'.'.join(parent)}",
            f":{segment}",
        ):
            if key in V16_NAMES:
                return V16_NAMES[key]
        raise SystemExit(f"no name for inline type {self.file_stem}{path}: add it to V16_NAMES")

    def type_of(self, node: dict[str, Any], path: str, refs: set[str]) -> tuple[str, list[Any]]:
        """Python type expression and pydantic constraints for a schema node."""
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return self.named(name, self.definitions[name], refs), []
        if "enum" in node:
            name = self.name_for(path)
            return self.gen.add_enum(name, node["enum"], node.get("description", "")), []
        kind = node.get("type")
        if kind == "object":
            model = self.object_model(self.name_for(path), node, path, "")
            refs.add(model.name)
            return self.gen.add_model(model), []
        if kind == "array":
            item, _ = self.type_of(node["items"], path + "[]", refs)
            sizes = [("min_length", node.get("minItems")), ("max_length", node.get("maxItems"))]
            return f"list[{item}]", sizes
        if kind == "string":
            text = "DateTime" if node.get("format") == "date-time" else "str"
            return text, [("max_length", node.get("maxLength"))]
        if kind == "integer":
            return "int", [("ge", node.get("minimum")), ("le", node.get("maximum"))]
        simple = {"number": "Number", "boolean": "bool", None: "JsonValue"}
        return simple[kind], []

    def named(self, name: str, node: dict[str, Any], refs: set[str]) -> str:
        description = node.get("description", "")
        if "enum" in node:
            return self.gen.add_enum(name, node["enum"], description)
        model = self.object_model(name, node, name, description)
        refs.add(name)
        return self.gen.add_model(model)

    def object_model(self, name: str, node: dict[str, Any], path: str, doc: str) -> ModelDef:
        refs: set[str] = set()
        required = set(node.get("required", []))
        fields = []
        for wire, prop in node.get("properties", {}).items():
            type_expr, constraints = self.type_of(prop, f"{path}.{wire}", refs)
            py = snake(wire)
            if keyword.iskeyword(py) or py in RESERVED:
                py += "_"
            bounds = tuple((k, v) for k, v in constraints if v is not None)
            fields.append(
                FieldDef(wire, py, type_expr, wire in required, bounds, prop.get("description", ""))
            )
        if len({f.py for f in fields}) != len(fields):
            raise SystemExit(f"field name clash in {name}")
        is_open = node.get("additionalProperties", True) is not False
        return ModelDef(name, fields, is_open, doc or node.get("description", ""), refs=refs)


# ---------------------------------------------------------------- rendering


def header(doc: str) -> list[str]:
    return [
        f'"""{doc}',
        "",
        "Generated by ``python -m ocpp.codegen.generate``: do not edit.",
        '"""',
        "",
    ]


def render_enums(gen: VersionGenerator) -> str:
    out = header(f"Enumerations of OCPP {gen.title}; values are the wire strings.")
    out += ["from __future__ import annotations", "", "from enum import StrEnum", ""]
    names = sorted(gen.enums)
    out += ["__all__ = [", *(f'    "{n}",' for n in names), "]", ""]
    for name in names:
        enum = gen.enums[name]
        out += ["", f"class {name}(StrEnum):"]
        out += docstring(enum.description or f"OCPP {gen.title} {name}.", "    ")
        out.append("")
        members = [(member_name(v), v) for v in enum.values]
        if len({m for m, _ in members}) != len(members):
            raise SystemExit(f"member name clash in {name}")
        out += [f'    {m} = "{v}"' for m, v in members]
        out.append("")
    return "\n".join(out)


def render_field(f: FieldDef) -> list[str]:
    args = [] if f.required else ["default=None"]
    if f.py != f.wire:
        args.append(f'alias="{f.wire}"')
    args += [f"{k}={v}" for k, v in f.constraints]
    annotation = f.type_expr if f.required else f"{f.type_expr} | None"
    if args == ["default=None"]:
        line = f"    {f.py}: {annotation} = None"
    elif args:
        line = f"    {f.py}: {annotation} = Field({', '.join(args)})"
    else:
        line = f"    {f.py}: {annotation}"
    return [line, *docstring(f.description, "    ")]


def render_model(model: ModelDef) -> list[str]:
    base = "OpenOcppModel" if model.open else "OcppModel"
    out = ["", f"class {model.name}({base}):"]
    out += docstring(model.description or f"{model.name} datatype.", "    ")
    out.append("")
    if model.action:
        out += [f'    action: ClassVar[str] = "{model.action}"', ""]
    for f in model.fields:
        out += render_field(f)
    if not model.fields and not model.action:
        out.append("    pass")
    out.append("")
    return out


def ordered(models: dict[str, ModelDef]) -> list[ModelDef]:
    """Datatypes with every dependency before its user, otherwise alphabetical."""
    done: dict[str, ModelDef] = {}

    def visit(name: str) -> None:
        if name in done:
            return
        for ref in sorted(models[name].refs):
            visit(ref)
        done[name] = models[name]

    for name in sorted(models):
        visit(name)
    return list(done.values())


def used_names(models: list[ModelDef], pool: set[str]) -> list[str]:
    words = {w for m in models for f in m.fields for w in re.findall(r"\w+", f.type_expr)}
    return sorted(words & pool)


def render_models(gen: VersionGenerator, models: list[ModelDef], doc: str, own: str) -> str:
    out = header(doc)
    out += ["from __future__ import annotations", ""]
    words = {w for m in models for f in m.fields for w in re.findall(r"\w+", f.type_expr)}
    if any(m.action for m in models):
        out.append("from typing import ClassVar")
        out.append("")
    pydantic_names = (
        ["Field"]
        if any(f.constraints or not f.required or f.py != f.wire for m in models for f in m.fields)
        else []
    )
    if "JsonValue" in words:
        pydantic_names.append("JsonValue")
    if pydantic_names:
        out += [f"from pydantic import {', '.join(pydantic_names)}", ""]
    base_names = sorted(
        {"OpenOcppModel" if m.open else "OcppModel" for m in models}
        | ({"DateTime"} & words)
        | ({"Number"} & words)
    )
    out.append(f"from ocpp.models import {', '.join(base_names)}")
    if own != "datatypes":
        datatypes = used_names(models, set(gen.models))
        if datatypes:
            out.append(f"from {gen.package}.datatypes import {', '.join(datatypes)}")
    enums = used_names(models, set(gen.enums))
    if enums:
        out.append(f"from {gen.package}.enums import {', '.join(enums)}")
    out.append("")
    out += ["__all__ = [", *(f'    "{m.name}",' for m in sorted(models, key=lambda m: m.name))]
    out += ["]", ""]
    for model in models:
        out += render_model(model)
    return "\n".join(out)


def render_init(gen: VersionGenerator) -> str:
    out = header(
        f"OCPP {gen.title} messages as pydantic models.\n\n"
        "``ACTIONS`` maps each action to its (request model, response model)."
    )
    out += [
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "from ocpp.models import OcppModel",
        f"from {gen.package} import requests, responses",
        "",
        '__all__ = ["ACTIONS"]',
        "",
        "ACTIONS: Final[dict[str, tuple[type[OcppModel], type[OcppModel]]]] = {",
    ]
    for action in sorted(gen.messages):
        out.append(f'    "{action}": (requests.{action}Request, responses.{action}Response),')
    out += ["}", ""]
    return "\n".join(out)


def generate(
    package: str, title: str, schema_dir: Path, request_suffix: str, root: Path = REPO
) -> list[Path]:
    gen = VersionGenerator(package, title, schema_dir, request_suffix)
    gen.load()
    target = root.joinpath(*package.split("."))
    target.mkdir(parents=True, exist_ok=True)
    requests = [gen.messages[a][0] for a in sorted(gen.messages)]
    responses = [gen.messages[a][1] for a in sorted(gen.messages)]
    files = {
        "enums.py": render_enums(gen),
        "datatypes.py": render_models(
            gen, ordered(gen.models), f"Datatypes shared by OCPP {title} messages.", "datatypes"
        ),
        "requests.py": render_models(
            gen, requests, f"OCPP {title} request payloads (CALL).", "requests"
        ),
        "responses.py": render_models(
            gen, responses, f"OCPP {title} response payloads (CALLRESULT).", "responses"
        ),
        "__init__.py": render_init(gen),
    }
    written = []
    for name, text in files.items():
        path = target / name
        path.write_text(text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-format", action="store_true", help="skip `ruff format`")
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed models differ from the output"
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp()) if args.check else REPO
    written = generate("ocpp.v16", "1.6", REPO / "schemas" / "ocpp16", "", root)
    written += generate("ocpp.v201", "2.0.1", REPO / "schemas" / "ocpp201", "Request", root)
    if not args.no_format:
        subprocess.run(
            [sys.executable, "-m", "ruff", "format", "-q", *map(str, written)], check=True
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "-q",
                "--fix",
                "--select",
                "I",
                *map(str, written),
            ],
            check=True,
        )
    if args.check:
        stale = [
            p.relative_to(root)
            for p in written
            if p.read_text() != (REPO / p.relative_to(root)).read_text()
        ]
        for path in stale:
            print(f"out of date: {path} (run python -m ocpp.codegen.generate)")
        return 1 if stale else 0
    for path in written:
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
