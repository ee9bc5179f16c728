"""WsKey properties and endpoint overrides."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rxkucoin.keys import Dialect, Endpoints, Market, WsKey


@pytest.mark.parametrize(
    ("key", "dialect", "private", "market", "token_path"),
    [
        (WsKey.SPOT_PRIVATE_V1, Dialect.CLASSIC, True, Market.SPOT, "/api/v1/bullet-private"),
        (WsKey.FUTURES_PRIVATE_V1, Dialect.CLASSIC, True, Market.FUTURES, "/api/v1/bullet-private"),
        (WsKey.PRIVATE_PRO_V2, Dialect.PRO, True, Market.SPOT, "/api/v2/bullet-private"),
        (WsKey.SPOT_PUBLIC_V1, Dialect.CLASSIC, False, Market.SPOT, "/api/v1/bullet-public"),
        (WsKey.FUTURES_PUBLIC_V1, Dialect.CLASSIC, False, Market.FUTURES, "/api/v1/bullet-public"),
    ],
)
def test_key_properties(
    key: WsKey, dialect: Dialect, private: bool, market: Market, token_path: str
) -> None:
    assert key.dialect is dialect
    assert key.is_private is private
    assert key.market is market
    assert key.token_path == token_path


def test_seed_names_work() -> None:
    assert WsKey("spotPrivateV1") is WsKey.SPOT_PRIVATE_V1
    assert WsKey("privateProV2") is WsKey.PRIVATE_PRO_V2
    assert WsKey.FUTURES_PRIVATE_V1 == "futuresPrivateV1"
    with pytest.raises(ValueError):
        WsKey("spotPrivateV9")


def test_default_and_regional_endpoints() -> None:
    e = Endpoints()
    assert e.rest_base(Market.SPOT) == "https://api.kucoin.com"
    assert e.rest_base(Market.FUTURES) == "https://api-futures.kucoin.com"
    assert e.pro_private_ws == "wss://wsapi-push.kucoin.com"
    assert e.extra_headers() == {}
    assert e == Endpoints.GLOBAL
    assert Endpoints.EU.rest_base(Market.SPOT) == "https://api.kucoin.eu"
    assert Endpoints.AUSTRALIA.extra_headers() == {"X-SITE-TYPE": "australia"}


def test_endpoints_override_one_host_only() -> None:
    sim = replace(Endpoints(), spot_rest="http://127.0.0.1:9999/")
    assert sim.rest_base(Market.SPOT) == "http://127.0.0.1:9999"
    assert sim.rest_base(Market.FUTURES) == "https://api-futures.kucoin.com"
