"""Authorization rules (processors/core/authorization.py): one set of rules for Authorize,
StartTransaction, StopTransaction and TransactionEvent, in both versions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from processors.core.reference import Token
from schemas.events import IdTokenAuthorized
from tests.processors.conftest import NOW, Harness, token

Tokens = dict[str, Token]


@pytest.fixture
def tokens() -> Tokens:
    return {
        "OK": token(group_id="FLEET"),
        "FLEET": token(type="Central"),
        "BLOCKED": token("Blocked"),
        "INVALID": token("Invalid"),
        "OLD": token(expires_at=NOW - timedelta(seconds=1)),
        "NOW": token(expires_at=NOW),
        "LATER": token(expires_at=NOW + timedelta(days=30)),
        "LONGGROUP": token(group_id="G" * 21),
        "ORPHAN": token(group_id="NOT-ISSUED"),
    }


@pytest.mark.parametrize(("tag", "status"), [
    ("OK", "Accepted"), ("BLOCKED", "Blocked"), ("INVALID", "Invalid"), ("OLD", "Expired"),
    ("NOW", "Expired"), ("LATER", "Accepted"), ("NOPE", "Invalid"),
])  # fmt: skip
def test_v16_authorize_status(v16: Harness, tokens: Tokens, tag: str, status: str) -> None:
    v16.tokens.update(tokens)
    info = v16.result("Authorize", {"idTag": tag})["idTagInfo"]
    assert info["status"] == status
    assert v16.only(IdTokenAuthorized)["status"] == status


def test_v16_group_and_expiry_are_returned(v16: Harness, tokens: Tokens) -> None:
    v16.tokens.update(tokens)
    assert v16.result("Authorize", {"idTag": "OK"})["idTagInfo"] == {
        "status": "Accepted", "parentIdTag": "FLEET"}
    assert v16.result("Authorize", {"idTag": "LATER"})["idTagInfo"] == {
        "status": "Accepted", "expiryDate": "2025-07-01T12:00:00.000Z"}


def test_v16_group_id_too_long_for_parent_id_tag_is_left_out(v16: Harness, tokens: Tokens) -> None:
    v16.tokens.update(tokens)
    assert v16.result("Authorize", {"idTag": "LONGGROUP"})["idTagInfo"] == {"status": "Accepted"}


@pytest.mark.parametrize(("tag", "status"), [
    ("OK", "Accepted"), ("BLOCKED", "Blocked"), ("OLD", "Expired"), ("NOPE", "Unknown"),
])  # fmt: skip
def test_v201_authorize_status(v201: Harness, tokens: Tokens, tag: str, status: str) -> None:
    v201.tokens.update(tokens)
    info = v201.result("Authorize", {"idToken": {"idToken": tag, "type": "ISO14443"}})
    assert info["idTokenInfo"]["status"] == status


def test_v201_group_id_token_takes_the_group_tokens_type(v201: Harness, tokens: Tokens) -> None:
    v201.tokens.update(tokens)
    info = v201.result("Authorize", {"idToken": {"idToken": "OK", "type": "ISO14443"}})
    assert info["idTokenInfo"] == {"status": "Accepted",
                                   "groupIdToken": {"idToken": "FLEET", "type": "Central"}}
    orphan = v201.result("Authorize", {"idToken": {"idToken": "ORPHAN", "type": "ISO14443"}})
    assert orphan["idTokenInfo"]["groupIdToken"] == {"idToken": "NOT-ISSUED", "type": "Central"}


def test_v201_known_value_with_another_type_is_unknown(v201: Harness, tokens: Tokens) -> None:
    v201.tokens.update(tokens)
    info = v201.result("Authorize", {"idToken": {"idToken": "OK", "type": "KeyCode"}})
    assert info["idTokenInfo"] == {"status": "Unknown"}


def test_v201_no_authorization_token_is_accepted_without_lookup(v201: Harness) -> None:
    info = v201.result("Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
    assert info["idTokenInfo"] == {"status": "Accepted"}


def test_v201_expiry_is_the_cache_expiry(v201: Harness, tokens: Tokens) -> None:
    v201.tokens.update(tokens)
    info = v201.result("Authorize", {"idToken": {"idToken": "LATER", "type": "ISO14443"}})
    assert info["idTokenInfo"]["cacheExpiryDateTime"] == "2025-07-01T12:00:00.000Z"
