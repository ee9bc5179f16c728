"""Routes and the router without sockets: Gap before data by construction, per-topic outages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from reactivex import Observer

from rxkucoin import Gap, WsKey
from rxkucoin._frames import ClassicMessage, ProPush
from rxkucoin._router import CLEAN_RUN, MAX_CACHED, Router
from rxkucoin._routes import Route, Sink
from rxkucoin._topics import TopicKey

SPOT = WsKey.SPOT_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
ORDERS = TopicKey(SPOT, "/spotMarket/tradeOrdersV2")
BALANCE = TopicKey(SPOT, "/account/balance")


def subscribe(route: Route, *, with_gaps: bool = True) -> list[Any]:
    items: list[Any] = []
    sink = Sink(Observer(items.append), lambda exc: None, lambda: None)
    (route.full if with_gaps else route.data).append(sink)
    return items


def order_push(ts: int) -> ClassicMessage:
    data = (
        b'{"symbol":"BTC-USDT","orderType":"limit","side":"buy","orderId":"o1",'
        b'"type":"open","status":"open","orderTime":1,"ts":%d}' % ts
    )
    return ClassicMessage(topic=ORDERS.name, subject="orderChange", data=msgspec.Raw(data))


def router() -> Router:
    return Router(SPOT, holds=lambda key: True, emit=lambda *a, **k: None)


def test_a_push_arriving_before_the_acknowledgement_is_preceded_by_its_gap() -> None:
    r = router()
    items = subscribe(r.route(ORDERS))
    plain = subscribe(r.route(ORDERS), with_gaps=False)
    r.on_push(order_push(1_700_000_000_000_000_000))
    r.outage_began([ORDERS], start=100.0, cause="socket reset")
    r.on_push(order_push(1_700_000_000_000_000_999))  # the new socket's data came first
    r.went_live([ORDERS])  # the ack is processed later: no second Gap
    assert [type(i).__name__ for i in items] == ["SpotOrderChange", "Gap", "SpotOrderChange"]
    gap = items[1]
    assert gap.start == 100.0 and gap.cause == "socket reset" and gap.end >= gap.start
    assert gap.last_item_ns == 1_700_000_000_000_000_000  # the last push before the outage
    assert [type(i).__name__ for i in plain] == ["SpotOrderChange", "SpotOrderChange"]


def test_each_topic_keeps_its_own_outage_start_and_cause() -> None:
    r = router()
    orders, balance = subscribe(r.route(ORDERS)), subscribe(r.route(BALANCE))
    r.outage_began([ORDERS, BALANCE], start=10.0, cause="first drop")
    r.went_live([BALANCE])  # balance back; orders still refused on the new socket
    r.outage_began([BALANCE], start=20.0, cause="second drop")
    r.outage_began([ORDERS], start=20.0, cause="second drop")  # still in its first outage
    r.went_live([ORDERS, BALANCE])
    assert [(g.start, g.cause) for g in orders] == [(10.0, "first drop")]
    assert [(g.start, g.cause) for g in balance] == [(10.0, "first drop"), (20.0, "second drop")]


def test_a_pruned_route_takes_its_outage_with_it() -> None:
    r = router()
    route = r.route(ORDERS)
    r.outage_began([ORDERS], start=1.0, cause="drop")
    r.prune(ORDERS)  # nobody subscribes any more
    later = subscribe(r.route(ORDERS))
    r.outage_began([ORDERS], start=5.0, cause="later drop")
    r.went_live([ORDERS])
    assert route is not r.routes[ORDERS]
    assert [(g.start, g.cause) for g in later] == [(5.0, "later drop")]


def test_pro_gaps_carry_the_push_time_of_the_last_item() -> None:
    r = Router(PRO, holds=lambda key: True, emit=lambda *a, **k: None)
    key = TopicKey(PRO, "balance", None, "UNIFIED")
    items = subscribe(r.route(key))
    d = b'{"a":"1","c":"USDT","A":"1","f":"0","w":"1","U":1,"uT":"trade"}'
    r.on_push(ProPush(topic="balance.UNIFIED", push_time_ns=42, data=msgspec.Raw(d)))
    r.outage_began([key], start=1.0, cause="drop")
    r.went_live([key])
    assert isinstance(items[-1], Gap) and items[-1].last_item_ns == 42


def symbol_push(symbol: str, *, price: str = "1.5") -> ClassicMessage:
    data = (
        b'{"symbol":"%s","orderType":"limit","side":"buy","orderId":"o1","type":"open",'
        b'"status":"open","clientOid":"","price":"%s","ts":1}' % (symbol.encode(), price.encode())
    )
    return ClassicMessage(topic=ORDERS.name, subject="orderChange", data=msgspec.Raw(data))


def test_blanks_in_the_envelopes_raw_payload_decode_as_none() -> None:
    r = router()
    items = subscribe(r.route(ORDERS))
    r.on_push(symbol_push("BTC-USDT", price=""))
    r.on_push(symbol_push("BTC-USDT"))
    assert [(i.client_oid, i.price) for i in items] == [(None, None), (None, Decimal("1.5"))]


def test_routes_cached_per_symbol_follow_routes_made_and_pruned() -> None:
    r = router()
    everything = subscribe(r.route(ORDERS))
    r.on_push(symbol_push("BTC-USDT"))  # caches BTC-USDT's routes: the all-symbols one only
    btc_key = TopicKey(SPOT, ORDERS.name, "BTC-USDT")
    btc = subscribe(r.route(btc_key))  # a new route: the cached ones must not hide it
    r.on_push(symbol_push("BTC-USDT"))
    r.on_push(symbol_push("ETH-USDT"))
    assert [i.symbol for i in everything] == ["BTC-USDT", "BTC-USDT", "ETH-USDT"]
    assert [i.symbol for i in btc] == ["BTC-USDT"]
    r.route(btc_key).full.clear()
    r.prune(btc_key)
    r.on_push(symbol_push("BTC-USDT"))
    assert len(everything) == 4 and len(btc) == 1


def test_pushes_of_endless_distinct_symbols_keep_the_caches_bounded() -> None:
    r = router()
    items = subscribe(r.route(ORDERS))
    for n in range(3 * MAX_CACHED):
        r.on_push(symbol_push(f"S{n}-USDT"))
    assert len(items) == 3 * MAX_CACHED  # every push delivered, whatever was forgotten
    assert 0 < len(r._cache) + len(r._decoders) <= MAX_CACHED


def test_payloads_the_bare_decoder_refuses_are_repaired_or_reported() -> None:
    r = router()
    items = subscribe(r.route(ORDERS))
    repairable = b'{"symbol":"BTC-USDT","orderId":123,"type":"open","ts":1}'  # a number for text
    broken = b'{"symbol":"BTC-USDT","orderId":"1","type":"open","price":"x"}'
    for data in (repairable, broken):
        r.on_push(ClassicMessage(topic=ORDERS.name, subject="orderChange", data=msgspec.Raw(data)))
    order, gap = items
    assert order.order_id == "123"
    assert isinstance(gap, Gap) and gap.cause == "undecodable"
    assert gap.error is not None and gap.error.path == "$.data.price"
    assert r.undecodable == 1


def test_blanks_are_none_after_a_run_of_pushes_without_any() -> None:
    r = router()
    items = subscribe(r.route(ORDERS))
    for n in range(3 * CLEAN_RUN):  # no blank: the kind comes to skip the search for them
        r.on_push(order_push(n))
    r.on_push(symbol_push("BTC-USDT", price=""))  # clientOid and price blank
    r.on_push(order_push(0))
    assert [(i.client_oid, i.price) for i in items[-2:]] == [(None, None), (None, None)]
    assert r._kinds[ORDERS.name]["orderChange"].clean == 1  # searched again after the blank
