"""Security profiles 1–3: every admission rule, without sockets (ingest/admission.py)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from ingest.admission import Offer, SecurityProfile, StationCredentials, decide
from schemas.credentials import hash_password, verify_password

SECRET = "correct horse battery staple"
HASH = hash_password(SECRET)


def creds(profile: int | None, password_hash: str | None = HASH) -> StationCredentials:
    return StationCredentials("CP-1", profile, password_hash, "Accepted")


def offer(
    *, tls: bool = False, auth: tuple[str, str] | None = ("CP-1", SECRET), cn: str | None = None
) -> Offer:
    return Offer("CP-1", tls=tls, basic_auth=auth, client_cert_cn=cn)


def run(
    o: Offer, c: StationCredentials | None, *, open_mode: bool = False
) -> tuple[HTTPStatus, str]:
    admission = decide(o, c, open_mode=open_mode, verify=verify_password)
    assert admission.accepted == (admission.status is HTTPStatus.SWITCHING_PROTOCOLS)
    return admission.status, admission.reason


OK = HTTPStatus.SWITCHING_PROTOCOLS


@pytest.mark.parametrize(
    ("profile", "o", "status"),
    [
        # profile 1: Basic auth over ws://; stronger transports are fine
        (1, offer(), OK),
        (1, offer(tls=True), OK),
        (1, offer(tls=True, auth=None, cn="CP-1"), OK),
        (1, offer(auth=("CP-1", "wrong")), HTTPStatus.UNAUTHORIZED),
        (1, offer(auth=None), HTTPStatus.UNAUTHORIZED),
        (1, offer(auth=("CP-2", SECRET)), HTTPStatus.UNAUTHORIZED),
        # profile 2: Basic auth over TLS only
        (2, offer(tls=True), OK),
        (2, offer(), HTTPStatus.FORBIDDEN),
        (2, offer(tls=True, auth=("CP-1", "wrong")), HTTPStatus.UNAUTHORIZED),
        (2, offer(tls=True, auth=None, cn="CP-1"), OK),
        # profile 3: a client certificate whose CN is the station id
        (3, offer(tls=True, auth=None, cn="CP-1"), OK),
        (3, offer(tls=True, cn="CP-1"), OK),
        (3, offer(tls=True), HTTPStatus.UNAUTHORIZED),
        (3, offer(), HTTPStatus.FORBIDDEN),
        (3, offer(tls=True, auth=None, cn="CP-2"), HTTPStatus.UNAUTHORIZED),
    ],
)
def test_profiles(profile: int, o: Offer, status: HTTPStatus) -> None:
    assert run(o, creds(profile))[0] is status


def test_certificate_naming_another_station_is_refused_even_in_open_mode() -> None:
    status, reason = run(offer(tls=True, cn="CP-2"), None, open_mode=True)
    assert status is HTTPStatus.UNAUTHORIZED and "CP-2" in reason


def test_unknown_station_is_404_and_unconfigured_is_403() -> None:
    assert run(offer(), None) == (HTTPStatus.NOT_FOUND, "unknown station")
    assert run(offer(), creds(None)) == (HTTPStatus.FORBIDDEN, "no security profile configured")


def test_open_mode_admits_unknown_and_unconfigured_stations_without_credentials() -> None:
    for c in (None, creds(None)):
        admission = decide(offer(auth=None), c, open_mode=True, verify=verify_password)
        assert admission.accepted and admission.profile is SecurityProfile.NONE


def test_open_mode_still_enforces_a_configured_profile() -> None:
    assert run(offer(auth=("CP-1", "nope")), creds(1), open_mode=True)[0] is HTTPStatus.UNAUTHORIZED


def test_profile_without_password_hash_fails_closed() -> None:
    assert run(offer(), creds(1, None))[0] is HTTPStatus.UNAUTHORIZED


def test_accepted_profile_is_what_the_connection_proved() -> None:
    assert decide(offer(tls=True), creds(1), open_mode=False, verify=verify_password).profile == 2
    assert decide(offer(), creds(1), open_mode=False, verify=verify_password).profile == 1


def test_transport_is_checked_before_the_slow_password_check() -> None:
    def must_not_run(password: str, stored: str) -> bool:
        raise AssertionError("the KDF ran for a connection refused on its transport")

    assert decide(offer(), creds(2), open_mode=False, verify=must_not_run).status == 403
