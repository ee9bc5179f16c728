"""Topic keys: parsing every seed-SDK form, batching under the limits, routing pushes back."""

from __future__ import annotations

import pytest

from rxkucoin._topics import TopicKey, batch_requests, parse_topics, route_keys
from rxkucoin.exceptions import InvalidTopic
from rxkucoin.keys import WsKey

SPOT, FUT, PRO = WsKey.SPOT_PRIVATE_V1, WsKey.FUTURES_PRIVATE_V1, WsKey.PRIVATE_PRO_V2


def test_classic_topics_normalise_to_one_key_per_symbol() -> None:
    assert parse_topics(SPOT, "/account/balance") == [TopicKey(SPOT, "/account/balance")]
    keys = parse_topics(FUT, "/contract/position:XBTUSDTM, ETHUSDTM,XBTUSDTM")
    assert keys == [
        TopicKey(FUT, "/contract/position", "XBTUSDTM"),
        TopicKey(FUT, "/contract/position", "ETHUSDTM"),
    ]
    assert str(keys[0]) == "/contract/position:XBTUSDTM"
    assert parse_topics(FUT, "/contract/position:XBTUSDTM") == keys[:1]


@pytest.mark.parametrize("bad", ["account/balance", "", "/x:", "/x:A,,B", "/a b"])
def test_bad_classic_topics(bad: str) -> None:
    with pytest.raises(InvalidTopic):
        parse_topics(SPOT, bad)


def test_pro_requests_in_seed_form_and_flat_form() -> None:
    seed = {"topic": "order", "payload": {"tradeType": "spot", "symbol": "BTC-USDT"}}
    assert parse_topics(PRO, seed) == [TopicKey(PRO, "order", "BTC-USDT", "SPOT")]
    flat = {"channel": "balance", "accountType": "UNIFIED"}
    key = parse_topics(PRO, flat)[0]
    assert key == TopicKey(PRO, "balance", None, "UNIFIED")
    assert key.pro_params() == (("accountType", "UNIFIED"),)
    assert str(parse_topics(PRO, seed)[0]) == "order.SPOT:BTC-USDT"


@pytest.mark.parametrize(
    "bad",
    [
        {"topic": "orderAll", "payload": {}},
        {"topic": "balance", "payload": {"tradeType": "UNIFIED"}},
        {"topic": "order", "payload": {"tradeType": "SPOT"}},
        {"payload": {"tradeType": "SPOT"}},
        {"topic": "orderAll", "payload": {"tradeType": "SPOT", "symbol": 5}},
    ],
)
def test_bad_pro_requests(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidTopic):
        parse_topics(PRO, bad)


def test_dialect_mismatch_is_a_clear_error() -> None:
    with pytest.raises(InvalidTopic, match="topic strings"):
        parse_topics(SPOT, {"topic": "orderAll", "payload": {"tradeType": "SPOT"}})
    with pytest.raises(InvalidTopic, match="takes requests"):
        parse_topics(PRO, "/account/balance")


def test_batches_join_symbols_up_to_100_per_frame() -> None:
    keys = [TopicKey(FUT, "/contract/position", f"S{i}") for i in range(250)]
    keys.append(TopicKey(FUT, "/contractAccount/wallet"))
    batches = batch_requests(keys)
    assert [len(group) for _, group in batches] == [1, 100, 100, 50]
    assert batches[0][0].topic == "/contractAccount/wallet"
    first_topic = batches[1][0].topic
    assert first_topic.startswith("/contract/position:S0,S1,")
    assert first_topic.count(",") == 99


def test_pro_batches_are_one_channel_each() -> None:
    keys = [TopicKey(PRO, "orderAll", None, "UNIFIED"), TopicKey(PRO, "order", "BTC-USDT", "SPOT")]
    batches = batch_requests(keys)
    assert [(r.channel, r.params) for r, _ in batches] == [
        ("orderAll", (("tradeType", "UNIFIED"),)),
        ("order", (("tradeType", "SPOT"), ("symbol", "BTC-USDT"))),
    ]


def test_route_keys() -> None:
    assert route_keys(SPOT, "/account/balance", None) == (TopicKey(SPOT, "/account/balance"),)
    assert route_keys(FUT, "/contract/position:XBTUSDTM", None) == (
        TopicKey(FUT, "/contract/position", "XBTUSDTM"),
        TopicKey(FUT, "/contract/position"),
        TopicKey(FUT, "/contract/positionAll"),
    )
    # KuCoin tags a positionAll subscription's pushes with the broad topic (PROTOCOL.md §0):
    # they still reach the per-symbol stream, by the payload's symbol
    assert route_keys(FUT, "/contract/positionAll", "XBTUSDTM") == (
        TopicKey(FUT, "/contract/positionAll"),
        TopicKey(FUT, "/contract/position", "XBTUSDTM"),
    )
    # a mark-price update without a symbol can only be told to the all-symbols stream
    assert route_keys(FUT, "/contract/positionAll", None) == (
        TopicKey(FUT, "/contract/positionAll"),
    )
    assert route_keys(FUT, "/contractMarket/tradeOrders", "XBTUSDTM") == (
        TopicKey(FUT, "/contractMarket/tradeOrders", "XBTUSDTM"),
        TopicKey(FUT, "/contractMarket/tradeOrders"),
    )
    assert route_keys(PRO, "orderAll.UNIFIED", "BTC-USDT") == (
        TopicKey(PRO, "orderAll", None, "UNIFIED"),
    )
    assert route_keys(PRO, "order.SPOT", "BTC-USDT") == (
        TopicKey(PRO, "order", "BTC-USDT", "SPOT"),
    )
    assert route_keys(PRO, "execution.lite.SPOT", None) == (
        TopicKey(PRO, "execution.lite", None, "SPOT"),
    )
