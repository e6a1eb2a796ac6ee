"""Signed meter values: OCMF records (1.6 SignedData, 2.0.1 signedMeterValue) verified
against keys made here and against records published with their keys; every malformed
input gets a verdict, never an exception."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from audit.signed_values import (
    KeyFormatError,
    MeterKey,
    PlainReading,
    PublicKey,
    SignedValue,
    Verdict,
    parse_ocmf,
    parse_public_key,
    summarize,
    verify,
)

REGISTER = "Energy.Active.Import.Register"

# Published records with the keys that verify them, from the SAFE e.V. Transparenzsoftware
# (the verifier the OCMF specification is written for): repository SAFE-eV/transparenzsoftware,
# src/test/resources/xml/test_ocmf_keba_kcp30.xml (commit d556f1ac) and
# src/test/resources/xml/brainpoolP256r1.xml (commit 44a63075, its first value). The OCMF
# repository's own example (SAFE-eV/OCMF-Open-Charge-Metering-Format, OCMF-en.md, "Example
# File") publishes no public key and its SD is not a DER signature, so it cannot verify: it is
# used below as a record that must not.
KEBA = ('OCMF|{"FV":"1.0","GI":"KEBA_KCP30","GS":"17619300","GV":"2.8.5","PG":"T32","IS":false,'
        '"IL":"NONE","IF":["RFID_NONE","OCPP_NONE","ISO15118_NONE","PLMN_NONE"],"IT":"NONE",'
        '"ID":"","RD":[{"TM":"2019-08-13T10:03:15,000+0000 I","TX":"B","EF":"","ST":"G",'
        '"RV":0.2596,"RI":"1-b:1.8.0","RU":"kWh"},{"TM":"2019-08-13T10:03:36,000+0000 R",'
        '"TX":"E","EF":"","ST":"G","RV":0.2597,"RI":"1-b:1.8.0","RU":"kWh"}]}|{"SD":"304502200E'
        '2F107C987A300AC1695CA89EA149A8CDFA16188AF0A33EE64B67964AA943F9022100889A72B6D65364BE'
        'A8562E7F6A0253157ACFF84FE4929A93B5964D23C4265699"}')
KEBA_KEY = ("3059301306072A8648CE3D020106082A8648CE3D030107034200043AEEB45C392357820A58FDFB0857"
            "BD77ADA31585C61C430531DFA53B440AFBFDD95AC887C658EA55260F808F55CA948DF235C2108A0D6DC7"
            "D4AB1A5E1A7955BE")
NZR = ('OCMF|{"FV":"1.0","GI":"NZR GATEWAY","GS":"21751020","GV":"1.0.0.0","PG":"T274","MV":"NZR",'
       '"MM":"EcoCount SL","MS":"12345678","MF":"1.11","IS":false,"IL":"NONE","IF":[],"IT":"NONE",'
       '"ID":"","CT":"","CI":"","RD":[{"TM":"2021-10-26T11:15:09,000+0000 S","TX":"B","RV":1833,'
       '"RI":"1-0:1.8.1","RU":"Wh","RT":"AC","EF":"","ST":"G"}]}|{"SD":"304402202CC410E10CD91413'
       '94AE77B3DC17A523C359F65B0117C098703DF1F2AB773A3302204C6CC011FE4920F87CF413F6FB94EDD78DAA'
       '26BB5DB4048DA9B3D3AB513CC23C","SA":"ECDSA-brainpoolP256r1-SHA256"}')
NZR_KEY = ("305A301406072A8648CE3D020106092B240303020801010703420004607201339EF7C61EB1270C0BEA6755"
           "85711CB160835F0F55975A311EA6F14AE98981A9276ABC6C70ADA4F8CE25A5502336C738B9E86FB1ED6215"
           "0FF1B0FAD5A2")
SPEC_EXAMPLE = """OCMF|{
    "FV": "1.0", "GI": "ABL SBC-301", "GS": "808829900001", "GV": "1.4p3", "PG": "T12345",
    "MV": "Phoenix Contact", "MM": "EEM-350-D-MCB", "MS": "BQ27400330016", "MF": "1.0",
    "IS": true, "IL": "VERIFIED", "IF": ["RFID_PLAIN", "OCPP_RS_TLS"], "IT": "ISO14443",
    "ID": "1F2D3A4F5506C7", "TT": "Tarif 1",
    "RD": [
        {"TM": "2018-07-24T13:22:04,000+0200 S", "TX": "B", "RV": 2935.6, "RI": "1-b:1.8.0",
         "RU": "kWh", "RT": "DC", "EF": "", "ST": "G"},
        {"TM": "2018-07-24T13:26:04,000+0200 S", "TX": "E", "RV": 2965.1, "CL": 0.5,
         "RI": "1-b:1.8.0", "RU": "kWh", "RT": "DC", "EF": "", "ST": "G"}
    ]
}|{
    "SD": "887FABF407AC82782EEFFF2220C2F856AEB0BC22364BBCC6B55761911ED651D1A922BADA88818C9671AFEE7094D7F536"
}"""  # noqa: E501


def der(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def registered(private: ec.EllipticCurvePrivateKey, key_id: str = "k1",
               **where: Any) -> MeterKey:  # fmt: skip
    return MeterKey(key_id, parse_public_key(der(private).hex()), **where)


def payload(rv: float | str = 2.5, unit: str = "kWh", **fields: Any) -> str:
    rd = [{"TM": "2025-03-01T12:00:00,000+0000 S", "TX": "B", "RV": "@RV@", "RI": "1-b:1.8.0",
           "RU": unit, "ST": "G"}]  # fmt: skip
    body = {"FV": "1.0", "GI": "TEST", "GS": "GW-1", "PG": "T1", "MS": "M-1", "IS": False,
            "IT": "NONE", "RD": rd, **fields}  # fmt: skip
    # RV as written (JSON number text is part of what is signed).
    return json.dumps(body, separators=(",", ":")).replace('"@RV@"', str(rv))


def ocmf(private: ec.EllipticCurvePrivateKey, body: str | None = None, *, sa: str | None = None,
         se: str = "hex") -> str:  # fmt: skip
    body = payload() if body is None else body
    sig = private.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
    section: dict[str, str] = {"SD": sig.hex().upper() if se == "hex"
                               else base64.b64encode(sig).decode()}  # fmt: skip
    if se != "hex":
        section["SE"] = se
    if sa is not None:
        section["SA"] = sa
    return f"OCMF|{body}|{json.dumps(section)}"


def v16(text: str, plain: PlainReading | None = None, context: str = "Sample.Periodic",
        evse_id: int | None = 1) -> SignedValue:  # fmt: skip
    return SignedValue(text, REGISTER, context, evse_id, plain)


def v201(
    record: str | bytes, key: bytes | str = b"", *, plain: str = "2500", unit: str = "Wh",
    encoding: str = "OCMF", method: str = "ECDSA-secp256r1-SHA256",
) -> SignedValue:
    data = record if isinstance(record, str) else base64.b64encode(record).decode()
    public = key if isinstance(key, str) else base64.b64encode(key).decode()
    smv = {"signedMeterData": data, "signingMethod": method, "encodingMethod": encoding,
           "publicKey": public}  # fmt: skip
    return SignedValue(smv, REGISTER, "Sample.Periodic", 1, PlainReading(plain, unit))


@pytest.fixture(scope="module")
def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def other() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# --- published records ------------------------------------------------------------------------


def test_a_published_keba_record_verifies_against_its_published_key() -> None:
    verdict = verify(v16(KEBA), [MeterKey("keba", parse_public_key(KEBA_KEY))])
    assert verdict.status == "verified", verdict.reason
    assert verdict.algorithm == "ECDSA-secp256r1-SHA256"  # SA omitted: the OCMF default
    assert (verdict.meter_serial, verdict.pagination) == ("17619300", "T32")  # GS, no MS
    assert verdict.signed_reading == "0.2597 kWh"  # the last reading (TX E)


def test_a_published_brainpool_record_verifies_with_its_key_in_a_201_frame() -> None:
    key = base64.b64encode(bytes.fromhex(NZR_KEY)).decode()
    verdict = verify(v201(NZR.encode(), key, plain="1833", method=""))
    assert verdict.status == "verified", verdict.reason
    assert verdict.key_source == "frame" and verdict.algorithm == "ECDSA-brainpoolP256r1-SHA256"


def test_a_published_record_altered_by_one_digit_is_invalid() -> None:
    tampered = KEBA.replace('"RV":0.2597', '"RV":0.2598')
    verdict = verify(v16(tampered), [MeterKey("keba", parse_public_key(KEBA_KEY))])
    assert verdict.status == "invalid"
    assert "does not verify against registered key 'keba'" in verdict.reason


def test_the_specifications_example_has_no_key_and_no_der_signature(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    assert verify(v16(SPEC_EXAMPLE)).status == "unverifiable"
    with_key = verify(v16(SPEC_EXAMPLE), [registered(p256)])
    assert with_key.status == "invalid"
    record = parse_ocmf(SPEC_EXAMPLE.encode())
    assert [r.text for r in record.readings] == ["2935.6 kWh", "2965.1 kWh"]


# --- keys made here ---------------------------------------------------------------------------


@pytest.mark.parametrize(("curve", "sa"), [
    (ec.SECP256R1(), None), (ec.SECP256R1(), "ECDSA-secp256r1-SHA256"),
    (ec.BrainpoolP256R1(), "ECDSA-brainpool256r1-SHA256"),
    (ec.SECP384R1(), "ECDSA-secp384r1-SHA256"), (ec.SECP256K1(), "ECDSA-secp256k1-SHA256"),
    (ec.BrainpoolP384R1(), "ECDSA-brainpool384r1-SHA256"),
])  # fmt: skip
def test_each_supported_algorithm_verifies(curve: ec.EllipticCurve, sa: str | None) -> None:
    private = ec.generate_private_key(curve)
    verdict = verify(v16(ocmf(private, sa=sa)), [registered(private)])
    assert verdict.status == "verified", verdict.reason
    assert verdict.key_source == "registered" and verdict.key_id == "k1"


def test_base64_signatures_and_encoded_16_values_verify(p256: ec.EllipticCurvePrivateKey) -> None:
    record = ocmf(p256, se="base64")
    for text in (record, record.encode().hex(), base64.b64encode(record.encode()).decode()):
        assert verify(v16(text), [registered(p256)]).status == "verified"


def test_a_201_record_with_its_key_in_the_frame(
    p256: ec.EllipticCurvePrivateKey, other: ec.EllipticCurvePrivateKey
) -> None:
    record = ocmf(p256).encode()
    assert verify(v201(record, der(p256))).status == "verified"
    assert verify(v201(record.decode(), der(p256))).status == "verified"  # not base64: read too
    wrong = verify(v201(record, der(other)))
    assert wrong.status == "invalid" and "key in the frame" in wrong.reason


def test_a_registered_key_overrules_the_key_in_the_frame(
    p256: ec.EllipticCurvePrivateKey, other: ec.EllipticCurvePrivateKey
) -> None:
    """A record signed by a key the frame vouches for, but not the station's registered one,
    proves nothing about the meter (OCMF: keys reach the verifier out of band)."""
    verdict = verify(v201(ocmf(other).encode(), der(other)), [registered(p256, "meter")])
    assert verdict.status == "invalid" and verdict.key_id == "meter"


def test_keys_for_other_evses_or_meters_do_not_apply(
    p256: ec.EllipticCurvePrivateKey, other: ec.EllipticCurvePrivateKey
) -> None:
    keys = [registered(other, "evse-2", evse_id=2), registered(other, "meter-x",
                                                               meter_serial="X")]  # fmt: skip
    assert verify(v16(ocmf(p256)), keys).status == "unverifiable"
    exact = [*keys, registered(p256, "m1", evse_id=1, meter_serial="M-1"),
             registered(other, "station")]  # fmt: skip
    verdict = verify(v16(ocmf(p256)), exact)
    assert (verdict.status, verdict.key_id) == ("verified", "m1")


def test_a_replaced_meter_verifies_by_any_key_registered_for_it(
    p256: ec.EllipticCurvePrivateKey, other: ec.EllipticCurvePrivateKey
) -> None:
    keys = [registered(other, "a-old"), registered(p256, "b-new")]
    assert verify(v16(ocmf(p256)), keys).key_id == "b-new"


def test_a_key_on_another_curve_than_the_algorithm_is_invalid(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    verdict = verify(v16(ocmf(p256, sa="ECDSA-brainpool256r1-SHA256")), [registered(p256)])
    assert verdict.status == "invalid" and "secp256r1" in verdict.reason


def test_no_key_is_unverifiable(p256: ec.EllipticCurvePrivateKey) -> None:
    assert verify(v16(ocmf(p256))).status == "unverifiable"
    assert verify(v201(ocmf(p256).encode())).status == "unverifiable"  # publicKey ""
    garbage = verify(v201(ocmf(p256).encode(), "not a key"))
    assert garbage.status == "unverifiable" and "does not parse" in garbage.reason


# --- the signed reading against the plain value ------------------------------------------------


@pytest.mark.parametrize(("rv", "unit", "plain", "plain_unit", "status"), [
    ("2.5", "kWh", "2500", "Wh", "verified"),
    ("2.50", "kWh", "2.5", "kWh", "verified"),
    ("2.54", "kWh", "2536", "Wh", "verified"),  # within the signed value's 10 Wh step
    ("2.54", "kWh", "2551", "Wh", "invalid"),
    ("2500.4", "Wh", "2500", "Wh", "verified"),
    ("2500.4", "Wh", "2501.5", "Wh", "invalid"),
    ("2500", "Wh", "2600", "Wh", "invalid"),
    ("2500", "Wh", "7.2", "kW", "verified"),  # not comparable: not compared
])  # fmt: skip
def test_the_signed_reading_must_agree_with_the_plain_value(
    p256: ec.EllipticCurvePrivateKey, rv: str, unit: str, plain: str, plain_unit: str,
    status: str,
) -> None:
    value = v201(ocmf(p256, payload(rv, unit)).encode(), der(p256), plain=plain, unit=plain_unit)
    verdict = verify(value)
    assert verdict.status == status, verdict.reason
    if status == "invalid":
        assert "disagrees with the plain value" in verdict.reason


def test_a_multiplier_scales_the_plain_value(p256: ec.EllipticCurvePrivateKey) -> None:
    value = SignedValue(v16(ocmf(p256)).data, REGISTER, "Sample.Periodic", 1,
                        PlainReading("25", "Wh", 2))  # fmt: skip
    assert verify(value, [registered(p256)]).status == "verified"


def test_transaction_begin_compares_the_first_reading(p256: ec.EllipticCurvePrivateKey) -> None:
    body = json.dumps({"PG": "T2", "MS": "M-1", "RD": [
        {"TM": "t", "TX": "B", "RV": 1.0, "RU": "kWh", "RI": "1-b:1.8.0", "ST": "G"},
        {"TM": "t", "TX": "E", "RV": 3.0}]}, separators=(",", ":"))  # fmt: skip
    keys = [registered(p256)]
    begin = verify(v16(ocmf(p256, body), PlainReading("1000", "Wh"), "Transaction.Begin"), keys)
    end = verify(v16(ocmf(p256, body), PlainReading("3000", "Wh"), "Transaction.End"), keys)
    wrong = verify(v16(ocmf(p256, body), PlainReading("1000", "Wh"), "Transaction.End"), keys)
    assert (begin.status, end.status, wrong.status) == ("verified", "verified", "invalid")
    assert end.signed_reading == "3.0 kWh"  # RU and RI carried over from the first reading


def test_an_export_reading_is_not_compared_with_an_import_value(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    body = payload("9.0").replace("1-b:1.8.0", "1-b:2.8.0")
    assert verify(v16(ocmf(p256, body), PlainReading("1", "Wh")),
                  [registered(p256)]).status == "verified"  # fmt: skip


# --- malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "status", "says"), [
    ("OCMF|{}", "invalid", "2 sections"),
    ("OCMF|{}|{}|{}", "invalid", "4 sections"),
    ('OCMF|{"RD":[{"RV":1}]|{"SD":"00"}', "invalid", "payload section is not JSON"),
    ('OCMF|[1]|{"SD":"00"}', "invalid", "not a JSON object"),
    ('OCMF|{"PG":"T1"}|{"SD":"00"}', "invalid", "no readings"),
    ('OCMF|{"RD":[{"RV":"1"}]}|{"SD":"00"}', "invalid", "RV is not a number"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SA":"ECDSA-secp256r1-SHA256"}', "invalid", "no SD"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"ZZ"}', "invalid", "SD is not hex"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"!!","SE":"base64"}', "invalid", "SD is not base64"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SE":"base32"}', "unverifiable", "encoding"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SM":"text/plain"}', "unverifiable", "mime type"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SA":"ECDSA-secp192k1-SHA256"}', "unverifiable",
     "algorithm"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SA":"RSA-2048"}', "unverifiable", "algorithm"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00"}', "invalid", "does not verify"),
    ("OCMFX", "invalid", "sections"),
    ("1234.5", "unverifiable", "not an OCMF record"),
    ("", "unverifiable", "not an OCMF record"),
    ("DEADBEEF", "unverifiable", "not an OCMF record"),
])  # fmt: skip
def test_malformed_records_get_clear_verdicts(p256: ec.EllipticCurvePrivateKey, text: str,
                                              status: str, says: str) -> None:  # fmt: skip
    verdict = verify(v16(text), [registered(p256)])
    assert (verdict.status, says in verdict.reason) == (status, True), verdict.reason


@pytest.mark.parametrize(("smv", "status", "says"), [
    ({"encodingMethod": "EDL", "signedMeterData": "AA=="}, "unverifiable", "encodingMethod"),
    ({"signedMeterData": "AA=="}, "unverifiable", "encodingMethod"),
    ({"encodingMethod": "OCMF"}, "invalid", "signedMeterData is missing"),
    ({"encodingMethod": "OCMF", "signedMeterData": "%%%"}, "invalid", "not base64"),
    ({"encodingMethod": "OCMF", "signedMeterData": "AAAA"}, "invalid", "not an OCMF record"),
    ({"encodingMethod": "OCMF", "signedMeterData": 7}, "invalid", "missing"),
])  # fmt: skip
def test_malformed_201_values_get_clear_verdicts(smv: dict[str, Any], status: str,
                                                 says: str) -> None:  # fmt: skip
    verdict = verify(SignedValue(smv, REGISTER, "Sample.Periodic"))
    assert (verdict.status, says in verdict.reason) == (status, True), verdict.reason


@given(st.one_of(st.text(), st.text().map(lambda t: "OCMF|" + t),
                 st.dictionaries(st.sampled_from(["signedMeterData", "encodingMethod",
                                                  "publicKey", "signingMethod"]),
                                 st.one_of(st.text(), st.integers(), st.none()))))  # fmt: skip
def test_verify_never_raises(data: str | dict[str, Any]) -> None:
    verdict = verify(SignedValue(data, REGISTER, "Sample.Periodic", 1, PlainReading("x", None)))
    assert isinstance(verdict, Verdict) and verdict.status in ("invalid", "unverifiable")


# --- keys and summaries ---------------------------------------------------------------------------


def test_public_keys_parse_from_hex_base64_and_pem(p256: ec.EllipticCurvePrivateKey) -> None:
    public = der(p256)
    pem = p256.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    parsed = {parse_public_key(t) for t in (public.hex(), public.hex().upper(),
                                            base64.b64encode(public).decode(), pem)}  # fmt: skip
    assert parsed == {PublicKey(public, "secp256r1")}
    assert parse_public_key(public.hex()).hex == public.hex().upper()


@pytest.mark.parametrize("text", ["", "zz", "3059", base64.b64encode(b"not der").decode()])
def test_keys_that_do_not_parse_are_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        parse_public_key(text)


def test_a_key_that_is_not_elliptic_is_refused() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    spki = rsa_key.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyFormatError, match="elliptic"):
        parse_public_key(spki.hex())


def test_transaction_summaries() -> None:
    assert summarize([]) == "unsigned"
    assert summarize(["verified", "verified"]) == "verified"
    assert summarize(["verified", "unverifiable"]) == "unverifiable"
    assert summarize(["unverifiable", "invalid", "verified"]) == "invalid"
