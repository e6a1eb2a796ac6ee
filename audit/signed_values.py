"""Signed meter values: OCMF records verified against their meter's public key
(docs/AUDIT.md, "Signed meter values").

A signed sample arrives two ways:

- OCPP 1.6: a SampledValue with ``format = SignedData`` (§7.45 ValueFormat) whose ``value``
  is the signed data. OCMF ("Embedding in OCPP") puts its record there, as text or encoded;
  plain text, hex and base64 are read.
- OCPP 2.0.1: a SampledValue's ``signedMeterValue`` (SignedMeterValueType): the record in
  ``signedMeterData`` (base64, the type's description; plain text is read too),
  ``encodingMethod`` (only ``OCMF`` is verified), ``signingMethod`` and ``publicKey`` (base64
  DER, empty when the station does not send it: PublicKeyWithSignedMeterValue).

An OCMF record is ``OCMF|<payload JSON>|<signature JSON>`` (OCMF "Sections"). The signature
(``SD``, encoded as ``SE``: hex by default or base64; ``SM`` application/x-der, the only
type defined) is ECDSA with the ``SA`` algorithm (default ECDSA-secp256r1-SHA256, OCMF
Table 22) over the payload section's bytes exactly as between the pipes ("the payload data
section must not be manipulated"), checked against a DER SubjectPublicKeyInfo key.

:func:`verify` gives each signed sample a :class:`Verdict` and never raises:

- ``verified``: the signature verifies against a key registered for the station (or, when
  none is registered, the key the frame carries), and the signed reading agrees with the
  plain value reported next to it (when there is one to compare);
- ``invalid``: the data claims a signature and does not prove itself: a malformed record
  (sections, JSON, encodings), a signature that does not verify, a key on another curve than
  the record's algorithm, or a signed reading that disagrees with the plain value;
- ``unverifiable``: the CSMS lacks what verification needs: no key known, an algorithm,
  encoding or signed-data format it does not support.

Exception tree (the two verdict exceptions never leave :func:`verify`)::

    SignedValueError (ValueError)
     ├── KeyFormatError   a public key that does not parse (:func:`parse_public_key`)
     ├── Invalid          the value does not prove itself
     └── Unverifiable     the value cannot be checked here
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "Invalid",
    "KeyFormatError",
    "MeterKey",
    "OcmfRecord",
    "PlainReading",
    "PublicKey",
    "Reading",
    "SignedValue",
    "SignedValueError",
    "Status",
    "Summary",
    "Unverifiable",
    "Verdict",
    "parse_ocmf",
    "parse_public_key",
    "summarize",
    "verify",
]

Status = Literal["verified", "invalid", "unverifiable"]
"""A signed value's verdict."""
Summary = Literal["verified", "invalid", "unverifiable", "unsigned"]
"""A transaction's: ``unsigned`` when none of its values is signed."""
KeySource = Literal["registered", "frame"]

DEFAULT_ALGORITHM = "ECDSA-secp256r1-SHA256"
"""OCMF Table 22: "default since OCMF Version 0.4"."""
SIGNED_DATA_FORMATS = ("OCMF",)


class SignedValueError(ValueError):
    """Base of signed-value failures."""


class KeyFormatError(SignedValueError):
    """A public key that is not a DER SubjectPublicKeyInfo of an elliptic-curve key."""


class Invalid(SignedValueError):
    """The value does not prove itself."""


class Unverifiable(SignedValueError):
    """The value cannot be checked with what the CSMS has."""


# --- keys --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An elliptic-curve public key as DER SubjectPublicKeyInfo."""

    der: bytes
    curve: str
    """The curve's name as :mod:`cryptography` gives it (``secp256r1``, ``brainpoolP256r1``)."""

    @property
    def hex(self) -> str:
        return self.der.hex().upper()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER, hex, first 16 characters."""
        return hashlib.sha256(self.der).hexdigest()[:16]

    def loaded(self) -> ec.EllipticCurvePublicKey:
        key = serialization.load_der_public_key(self.der)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key


_HEX = re.compile(r"[0-9A-Fa-f]+")
_PEM = re.compile(r"-----(BEGIN|END) PUBLIC KEY-----")


def parse_public_key(text: str) -> PublicKey:
    """A key given as hex or base64 of its DER SubjectPublicKeyInfo (or PEM); raises
    :class:`KeyFormatError` saying what is wrong."""
    compact = "".join(_PEM.sub("", text).split())
    if not compact:
        raise KeyFormatError("empty")
    try:
        der = _hex_or_base64(compact)
    except ValueError as e:
        raise KeyFormatError("neither hex nor base64") from e
    return _public_key(der)


def _public_key(der: bytes) -> PublicKey:
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise KeyFormatError("not a DER SubjectPublicKeyInfo") from e
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFormatError("not an elliptic-curve key (OCMF signs with ECDSA)")
    return PublicKey(der, key.curve.name)


def _hex_or_base64(text: str) -> bytes:
    """Hex is tried first: a DER key's hex starts "30", which base64 would misread."""
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError(str(e)) from e


@dataclass(frozen=True, slots=True)
class MeterKey:
    """A key the operator registered for a station, optionally for one EVSE (1.6: connector)
    or one meter (the OCMF meter serial ``MS``, or gateway serial ``GS``)."""

    key_id: str
    key: PublicKey
    evse_id: int | None = None
    meter_serial: str | None = None

    def fits(self, evse_id: int | None, serials: frozenset[str]) -> bool:
        return ((self.evse_id is None or self.evse_id == evse_id)
                and (self.meter_serial is None or self.meter_serial in serials))  # fmt: skip

    @property
    def specificity(self) -> int:
        return (self.meter_serial is not None) * 2 + (self.evse_id is not None)


# --- OCMF ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """One element of the payload's ``RD`` (OCMF Table 7), with the fields it omitted
    taken from the reading before it ("fields that have an identical value to the previous
    reading are omitted")."""

    time: str | None
    transaction: str | None
    value: Decimal | None
    identification: str | None
    unit: str | None
    status: str | None

    @property
    def text(self) -> str | None:
        return None if self.value is None else f"{self.value} {self.unit or ''}".strip()


@dataclass(frozen=True, slots=True)
class OcmfRecord:
    payload: bytes
    """The payload section exactly as between the pipes: what is signed."""
    fields: Mapping[str, Any]
    readings: tuple[Reading, ...]
    signature: Mapping[str, Any]

    @property
    def serials(self) -> frozenset[str]:
        """The meter's and the gateway's serial numbers (OCMF "Relation of Serial Numbers,
        Charge Point and Public Key")."""
        return frozenset(s for k in ("MS", "GS") if isinstance(s := self.fields.get(k), str)
                         and s)  # fmt: skip

    @property
    def pagination(self) -> str | None:
        pg = self.fields.get("PG")
        return pg if isinstance(pg, str) else None


def parse_ocmf(data: bytes) -> OcmfRecord:
    """``OCMF|payload|signature``; raises :class:`Invalid` naming what is malformed."""
    sections = data.split(b"|")
    # OCMF "Sections": the pipe is not allowed within a section, so there are exactly three.
    if len(sections) != 3 or sections[0] != b"OCMF":
        raise Invalid(f"not OCMF|payload|signature ({len(sections)} sections)")
    fields = _json_object(sections[1], "payload")
    signature = _json_object(sections[2], "signature")
    if not isinstance(signature.get("SD"), str) or not signature["SD"]:
        raise Invalid("the signature section has no SD")
    return OcmfRecord(sections[1], fields, _readings(fields.get("RD")), signature)


def _json_object(section: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(section, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError) as e:
        raise Invalid(f"the {name} section is not JSON") from e
    if not isinstance(value, dict):
        raise Invalid(f"the {name} section is not a JSON object")
    return value


def _readings(rd: object) -> tuple[Reading, ...]:
    if not isinstance(rd, list) or not rd or not all(isinstance(r, dict) for r in rd):
        raise Invalid("the payload has no readings (RD)")
    out: list[Reading] = []
    merged: dict[str, Any] = {}
    for reading in rd:
        merged = {**merged, **reading}
        out.append(_reading(merged))
    return tuple(out)


def _reading(r: Mapping[str, Any]) -> Reading:
    value = r.get("RV")
    if value is not None and not isinstance(value, Decimal):
        raise Invalid("a reading's RV is not a number")
    text = {k: v if isinstance(v, str) else None for k in ("TM", "TX", "RI", "RU", "ST")
            for v in (r.get(k),)}  # fmt: skip
    return Reading(text["TM"], text["TX"], value, text["RI"], text["RU"], text["ST"])


# --- what a sample carries ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlainReading:
    """The plain value reported next to a signed one (2.0.1: the same SampledValue's
    ``value``; 1.6: the Raw sample beside it), as sent."""

    value: str
    unit: str | None
    multiplier: int | None = None


@dataclass(frozen=True, slots=True)
class SignedValue:
    """A signed sample: the signed data verbatim (1.6 SignedData text, or the 2.0.1
    signedMeterValue object), what the sample says it measured, where, and its plain value."""

    data: str | Mapping[str, Any]
    measurand: str
    context: str
    evse_id: int | None = None
    plain: PlainReading | None = None


@dataclass(frozen=True, slots=True)
class _Carried:
    """What the signed data decodes to: the record, and what the frame says beside it."""

    record: OcmfRecord
    frame_key: str | None
    signing_method: str | None


def _carried(value: SignedValue) -> _Carried:
    if isinstance(value.data, str):
        return _Carried(parse_ocmf(_ocpp16_record(value.data)), None, None)
    return _ocpp201(value.data)


def _ocpp16_record(text: str) -> bytes:
    """1.6 SignedData: OCMF "Embedding in OCPP" (plain text, or hex, as OCPP 1.5 describes
    SignedData; base64 is seen too)."""
    stripped = text.strip()
    if stripped.startswith("OCMF"):
        return stripped.encode()
    try:
        decoded = _hex_or_base64(stripped)
    except ValueError:
        decoded = b""
    if decoded.startswith(b"OCMF"):
        return decoded
    raise Unverifiable("the SignedData value is not an OCMF record (other formats are not "
                       "supported)")  # fmt: skip


def _ocpp201(smv: Mapping[str, Any]) -> _Carried:
    """2.0.1 SignedMeterValueType."""
    encoding = smv.get("encodingMethod")
    if not isinstance(encoding, str) or encoding.upper() not in SIGNED_DATA_FORMATS:
        raise Unverifiable(f"encodingMethod {encoding!r} is not supported (only OCMF)")
    data = smv.get("signedMeterData")
    if not isinstance(data, str):
        raise Invalid("signedMeterData is missing")
    key, method = smv.get("publicKey"), smv.get("signingMethod")
    return _Carried(parse_ocmf(_ocpp201_record(data)), key if isinstance(key, str) and key
                    else None, method if isinstance(method, str) and method else None)  # fmt: skip


def _ocpp201_record(data: str) -> bytes:
    """signedMeterData is "Base64 encoded"; a record sent as plain text is read too."""
    if data.startswith("OCMF"):
        return data.encode()
    try:
        decoded = base64.b64decode(data, validate=True)
    except binascii.Error as e:
        raise Invalid("signedMeterData is not base64") from e
    if not decoded.startswith(b"OCMF"):
        raise Invalid("signedMeterData is not an OCMF record")
    return decoded


# --- the signature ---------------------------------------------------------------------------

# OCMF Table 22. secp192k1 is listed there but not offered by the cryptography library.
_CURVES: Mapping[str, ec.EllipticCurve] = {
    "ecdsa-secp192r1-sha256": ec.SECP192R1(), "ecdsa-secp256k1-sha256": ec.SECP256K1(),
    "ecdsa-secp256r1-sha256": ec.SECP256R1(), "ecdsa-secp384r1-sha256": ec.SECP384R1(),
    "ecdsa-brainpool256r1-sha256": ec.BrainpoolP256R1(),
    "ecdsa-brainpool384r1-sha256": ec.BrainpoolP384R1(),
}  # fmt: skip


def _curve(algorithm: str) -> ec.EllipticCurve | None:
    """The curve of an OCMF algorithm name; "brainpoolP256r1" (the curve's RFC 5639 name,
    seen in records) is read as Table 22's "brainpool256r1"."""
    return _CURVES.get(algorithm.lower().replace("brainpoolp", "brainpool"))


def _algorithm(carried: _Carried) -> str:
    """``SA``; absent, the 2.0.1 signingMethod when it names a known algorithm; else the
    OCMF default."""
    sa = carried.record.signature.get("SA")
    if sa is not None:
        if not isinstance(sa, str) or _curve(sa) is None:
            raise Unverifiable(f"signature algorithm {sa!r} is not supported")
        return sa
    method = carried.signing_method
    return method if method is not None and _curve(method) is not None else DEFAULT_ALGORITHM


def _signature(signature: Mapping[str, Any]) -> bytes:
    """``SD`` decoded per ``SE`` (OCMF Table 8); ``SM`` must be application/x-der."""
    mime = signature.get("SM", "application/x-der")
    if mime != "application/x-der":
        raise Unverifiable(f"signature mime type {mime!r} is not supported")
    encoding, sd = signature.get("SE", "hex"), signature["SD"]
    try:
        if encoding == "hex":
            return bytes.fromhex(sd)
        if encoding == "base64":
            return base64.b64decode(sd, validate=True)
    except (ValueError, binascii.Error) as e:
        raise Invalid(f"SD is not {encoding}") from e
    raise Unverifiable(f"signature encoding {encoding!r} is not supported")


def _signed_by(key: PublicKey, record: OcmfRecord, algorithm: str, signature: bytes) -> bool:
    curve = _curve(algorithm)
    assert curve is not None
    if key.curve != curve.name:
        raise Invalid(f"the key is on {key.curve}, the record is signed with {algorithm}")
    try:
        key.loaded().verify(signature, record.payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --- the verdict ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    reason: str
    key_source: KeySource | None = None
    key_id: str | None = None
    """The registered key that verified it (or was tried first)."""
    key_fingerprint: str | None = None
    algorithm: str | None = None
    meter_serial: str | None = None
    pagination: str | None = None
    signed_reading: str | None = None
    """The compared (or last) reading, e.g. ``2965.1 kWh``."""


def verify(value: SignedValue, registered: Sequence[MeterKey] = ()) -> Verdict:
    """The verdict on one signed sample, given the keys registered for its station."""
    try:
        carried = _carried(value)
    except SignedValueError as e:
        return Verdict(_status(e), str(e))
    except (ValueError, TypeError) as e:
        return Verdict("invalid", f"unreadable signed data: {e}")
    record = carried.record
    facts = {"meter_serial": _serial(record), "pagination": record.pagination,
             "signed_reading": _compared(value, record).text}  # fmt: skip
    try:
        algorithm = _algorithm(carried)
        found = _checked(value, carried, algorithm, registered)
    except SignedValueError as e:
        return _with(Verdict(_status(e), str(e)), **facts)
    except (ValueError, TypeError) as e:  # a shape no check above foresaw: still a verdict
        return _with(Verdict("invalid", f"unreadable signed data: {e}"), **facts)
    return _with(found, algorithm=algorithm, **facts)


def _with(verdict: Verdict, **changes: Any) -> Verdict:
    fields = {name: getattr(verdict, name) for name in Verdict.__dataclass_fields__}
    return Verdict(**{**fields, **changes})


def _status(error: SignedValueError) -> Status:
    return "unverifiable" if isinstance(error, Unverifiable) else "invalid"


def _serial(record: OcmfRecord) -> str | None:
    for key in ("MS", "GS"):
        if isinstance(serial := record.fields.get(key), str) and serial:
            return serial
    return None


def _checked(value: SignedValue, carried: _Carried, algorithm: str,
             registered: Sequence[MeterKey]) -> Verdict:  # fmt: skip
    signature = _signature(carried.record.signature)
    verdict = _by_key(value, carried, algorithm, signature, registered)
    if verdict.status != "verified":
        return verdict
    disagreement = _disagreement(value, carried.record)
    if disagreement is not None:
        return _with(verdict, status="invalid", reason=disagreement)
    return verdict


def _by_key(value: SignedValue, carried: _Carried, algorithm: str, signature: bytes,
            registered: Sequence[MeterKey]) -> Verdict:  # fmt: skip
    """Registered keys first: OCMF wants the key "transmitted to the verification component
    by means other than this protocol"; a key in the frame proves integrity, not origin."""
    record = carried.record
    candidates = sorted((k for k in registered if k.fits(value.evse_id, record.serials)),
                        key=lambda k: (-k.specificity, k.key_id))  # fmt: skip
    for key in candidates:
        if _signed_by(key.key, record, algorithm, signature):
            return Verdict("verified", f"verified against registered key {key.key_id!r}",
                           "registered", key.key_id, key.key.fingerprint)  # fmt: skip
    if candidates:
        first = candidates[0]
        others = f" (nor {len(candidates) - 1} other)" if len(candidates) > 1 else ""
        return Verdict("invalid", f"the signature does not verify against registered key "
                       f"{first.key_id!r}{others}", "registered", first.key_id,
                       first.key.fingerprint)  # fmt: skip
    return _by_frame_key(carried, algorithm, signature)


def _by_frame_key(carried: _Carried, algorithm: str, signature: bytes) -> Verdict:
    if carried.frame_key is None:
        raise Unverifiable("no public key: none in the frame and none registered for the "
                           "station (or this EVSE or meter)")  # fmt: skip
    try:
        key = parse_public_key(carried.frame_key)
    except KeyFormatError as e:
        raise Unverifiable(f"the public key in the frame does not parse: {e}") from e
    if _signed_by(key, carried.record, algorithm, signature):
        return Verdict("verified", "verified against the key in the frame (no key registered: "
                       "proves integrity, not origin)", "frame", None, key.fingerprint)  # fmt: skip
    return Verdict("invalid", "the signature does not verify against the key in the frame",
                   "frame", None, key.fingerprint)  # fmt: skip


# --- the signed reading against the plain value -------------------------------------------------

_ENERGY_UNITS: Mapping[str, int] = {"Wh": 1, "kWh": 1000}
_OBIS_QUANTITY: Mapping[str, str] = {
    "Energy.Active.Import.Register": "1", "Energy.Active.Export.Register": "2",
}  # fmt: skip
_OBIS = re.compile(r"^[^:]*:(\d+)\.")


def _compared(value: SignedValue, record: OcmfRecord) -> Reading:
    """The reading a sample stands for: the first at Transaction.Begin, else the last (OCMF
    readings are in time order: B first, E last)."""
    return record.readings[0] if value.context == "Transaction.Begin" else record.readings[-1]


def _disagreement(value: SignedValue, record: OcmfRecord) -> str | None:
    """Why the signed reading contradicts the plain value, or None (also when the two are
    not comparable: no plain value, another quantity, a unit other than Wh / kWh).

    They agree within one unit of the last digit of the less precise of the two: a meter's
    kWh with two decimals and a station's Wh may differ only by that rounding."""
    reading = _compared(value, record)
    signed, plain = _signed_wh(reading, value.measurand), _plain_wh(value)
    if signed is None or plain is None:
        return None
    (s, s_step), (p, p_step) = signed, plain
    if abs(s - p) < max(s_step, p_step):
        return None
    shown = f"{value.plain.value} {value.plain.unit or 'Wh'}" if value.plain else ""
    return f"the signed reading {reading.text} disagrees with the plain value {shown}"


def _signed_wh(reading: Reading, measurand: str) -> tuple[Decimal, Decimal] | None:
    unit = reading.unit
    if reading.value is None or unit is None or unit not in _ENERGY_UNITS:
        return None
    quantity = _OBIS_QUANTITY.get(measurand)
    if quantity is None:
        return None
    obis = _OBIS.match(reading.identification or "")
    if obis is not None and obis.group(1) != quantity:
        return None
    return _wh(reading.value, _ENERGY_UNITS[unit], 0)


def _plain_wh(value: SignedValue) -> tuple[Decimal, Decimal] | None:
    plain = value.plain
    if plain is None or (plain.unit or "Wh") not in _ENERGY_UNITS:
        return None
    try:
        number = Decimal(plain.value)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return _wh(number, _ENERGY_UNITS[plain.unit or "Wh"], plain.multiplier or 0)


def _wh(number: Decimal, factor: int, multiplier: int) -> tuple[Decimal, Decimal]:
    """The value in Wh, and the Wh one unit of its last digit is."""
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    step = Decimal(1).scaleb(exponent) * factor
    return number.scaleb(multiplier) * factor, step.scaleb(multiplier)


def summarize(statuses: Iterable[Status]) -> Summary:
    """A transaction's verdict from its signed values': any invalid makes it invalid, else
    any unverifiable unverifiable; verified when all verify; unsigned when there are none."""
    seen = set(statuses)
    if not seen:
        return "unsigned"
    if "invalid" in seen:
        return "invalid"
    return "unverifiable" if "unverifiable" in seen else "verified"
