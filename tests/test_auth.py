"""Credentials and signing: every vector of PROTOCOL.md §1.4, and secrets never leak."""

from __future__ import annotations

import pytest

from rxkucoin._auth import Credentials, prehash, sign
from rxkucoin.exceptions import CredentialsError, RxKucoinError

SECRET = "test_api_secret"
TS = 1700000000000

VECTORS = [
    (
        "GET",
        "/api/v1/hf/orders/active?symbol=BTC-USDT",
        "",
        "aFaQtAnmPjIi2Iiqobsv/erj2DY1RCsqN9us/zMZPmA=",
    ),
    ("POST", "/api/v1/bullet-private", "", "tjIYTE2HrB7Z9GuGIpBT0vsm7A5LA9Cpb95o7dG/OM4="),
    ("POST", "/api/v1/bullet-private", "{}", "Bc8k4EIroch+s7Imppj/K3lZzLNqo6LeGEufsbdVcNE="),
    ("POST", "/api/v2/bullet-private", "", "zuaHEBQBB15PSJaBO2pdReR6gOvTUh//4YMDXAIqXQs="),
    (
        "POST",
        "/api/v1/hf/orders",
        '{"clientOid":"abc","side":"buy","symbol":"BTC-USDT","type":"limit","price":"50000","size":"0.0001"}',
        "ssYHAiVWnsZyhbucHkanAlQZ98tk+YRDHXTjv5FzO/M=",
    ),
    ("POST", "/api/websocket/users/verify", "", "mVRg0Wfc5h9h9wAscIFtdvFLwkKMrXof9VerOMp+3kw="),
]


def creds(version: str = "2") -> Credentials:
    return Credentials("test_key", SECRET, "test_passphrase", key_version=version)


def test_official_known_answer() -> None:
    assert sign("test_api_secret", "test_plain") == "jie/gxS38wLFFaBwl/cAzFbAzlI8MIny96jSXrB+iP4="


@pytest.mark.parametrize(("method", "path", "body", "expected"), VECTORS)
def test_signing_vectors(method: str, path: str, body: str, expected: str) -> None:
    assert sign(SECRET, prehash(TS, method, path, body)) == expected
    headers = creds().headers(method.lower(), path, body, timestamp_ms=TS)
    assert headers["KC-API-SIGN"] == expected
    assert headers["KC-API-TIMESTAMP"] == "1700000000000"
    assert headers["KC-API-KEY"] == "test_key"


def test_passphrase_signed_for_v2_and_v3_plain_for_v1() -> None:
    signed = "Ikr9KjwgA4urCb5Az1TNKgQELW10z84iOq+wsZsRRz0="
    for version in ("2", "3"):
        headers = creds(version).headers("POST", "/api/v1/bullet-private", timestamp_ms=TS)
        assert headers["KC-API-PASSPHRASE"] == signed
        assert headers["KC-API-KEY-VERSION"] == version
    v1 = creds("1").headers("POST", "/api/v1/bullet-private", timestamp_ms=TS)
    assert v1["KC-API-PASSPHRASE"] == "test_passphrase"
    assert "KC-API-KEY-VERSION" not in v1


def test_pro_ws_auth_fields_match_the_verify_vector() -> None:
    fields = creds().ws_auth_fields(timestamp_ms=TS)
    assert fields == {
        "kc-api-key": "test_key",
        "kc-api-sign": "mVRg0Wfc5h9h9wAscIFtdvFLwkKMrXof9VerOMp+3kw=",
        "kc-api-timestamp": "1700000000000",
        "kc-api-passphrase": "Ikr9KjwgA4urCb5Az1TNKgQELW10z84iOq+wsZsRRz0=",
    }


def test_timestamp_defaults_to_now() -> None:
    import time

    before = int(time.time() * 1000)
    ts = int(creds().headers("GET", "/x")["KC-API-TIMESTAMP"])
    assert before <= ts <= int(time.time() * 1000)


@pytest.mark.parametrize("missing", ["api_key", "api_secret", "api_passphrase"])
def test_partial_credentials_name_what_is_missing(missing: str) -> None:
    values = {"api_key": "k", "api_secret": "s", "api_passphrase": "p", missing: ""}
    with pytest.raises(CredentialsError) as info:
        Credentials(**values)
    assert missing in str(info.value)
    assert info.value.missing == (missing,)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RxKucoinError)


def test_unknown_key_version() -> None:
    with pytest.raises(CredentialsError, match="key version"):
        Credentials("k", "s", "p", key_version="9")


def test_from_env_reads_all_four_variables() -> None:
    env = {
        "KUCOIN_API_KEY": "k",
        "KUCOIN_API_SECRET": "s",
        "KUCOIN_API_PASSPHRASE": "p",
        "KUCOIN_API_KEY_VERSION": "2",
    }
    c = Credentials.from_env(env)
    assert (c.api_key, c.api_secret, c.api_passphrase, c.key_version) == ("k", "s", "p", "2")
    del env["KUCOIN_API_KEY_VERSION"]
    assert Credentials.from_env(env).key_version == "3"  # what KuCoin's own SDK sends


def test_from_env_names_every_missing_variable() -> None:
    with pytest.raises(CredentialsError) as info:
        Credentials.from_env({"KUCOIN_API_KEY": "k"})
    text = str(info.value)
    assert "KUCOIN_API_SECRET" in text and "KUCOIN_API_PASSPHRASE" in text
    assert "KUCOIN_API_KEY," not in text
    assert info.value.missing == ("KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE")


def test_from_env_uses_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUCOIN_API_KEY", "k")
    monkeypatch.setenv("KUCOIN_API_SECRET", "s")
    monkeypatch.setenv("KUCOIN_API_PASSPHRASE", "p")
    monkeypatch.delenv("KUCOIN_API_KEY_VERSION", raising=False)
    assert Credentials.from_env().api_key == "k"


def test_secrets_never_appear_in_repr_str_or_errors() -> None:
    secret, passphrase = "S3CR3T-value-xyz", "PASS-phrase-abc"
    c = Credentials("visible-key", secret, passphrase)
    texts = [repr(c), str(c), f"{c}", repr([c]), repr({"c": c})]
    try:
        Credentials("visible-key", secret, passphrase, key_version="7")
    except CredentialsError as exc:
        texts += [str(exc), repr(exc)]
    try:
        Credentials("", secret, passphrase)
    except CredentialsError as exc:
        texts += [str(exc), repr(exc)]
    try:
        Credentials.from_env({"KUCOIN_API_SECRET": secret, "KUCOIN_API_PASSPHRASE": passphrase})
    except CredentialsError as exc:
        texts += [str(exc), repr(exc)]
    assert len(texts) == 11
    for text in texts:
        assert secret not in text and passphrase not in text
    assert "visible-key" in repr(c)


def test_equality_ignores_nothing_public_but_hides_secrets() -> None:
    assert creds() == creds()
    assert hash(creds()) == hash(creds())
