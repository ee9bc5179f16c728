"""The topic registry on its own: reference counts, covering, pending requests, refusals."""

from __future__ import annotations

from rxkucoin._registry import MAX_SUBSCRIBE_RETRIES, TopicRegistry
from rxkucoin._topics import TopicKey
from rxkucoin.keys import WsKey

FUT = WsKey.FUTURES_PRIVATE_V1
XBT = TopicKey(FUT, "/contract/position", "XBTUSDTM")
ALL = TopicKey(FUT, "/contract/positionAll")
WALLET = TopicKey(FUT, "/contractAccount/wallet")


def test_reference_counts() -> None:
    r = TopicRegistry()
    assert r.acquire(WALLET) is True
    assert r.acquire(WALLET) is False
    assert r.release(WALLET) is False
    assert r.holds(WALLET)
    assert r.release(WALLET) is True
    assert not r.holds(WALLET) and r.held == frozenset()


def test_replay_plans_only_uncovered_keys_and_covered_go_live_with_their_cover() -> None:
    r = TopicRegistry()
    for key in (XBT, ALL, WALLET):
        r.acquire(key)
    direct, live = r.plan(r.new_socket())
    assert sorted(direct, key=str) == sorted([WALLET, ALL], key=str)
    assert live == []
    assert r.acknowledged(ALL) == [ALL, XBT]
    assert r.acknowledged(WALLET) == [WALLET]
    assert r.settled and r.live_count == 3
    assert r.server_subscriptions() == sorted([WALLET, ALL], key=str)
    assert not r.has_pending


def test_a_later_cover_takes_over_a_symbols_own_subscription() -> None:
    r = TopicRegistry()
    r.acquire(XBT)
    r.plan(r.new_socket())
    r.acknowledged(XBT)
    r.acquire(ALL)
    r.want(ALL)
    subscribe, _ = r.take_pending()
    assert subscribe == [ALL]
    direct, _ = r.plan(subscribe)
    assert direct == [ALL]
    r.acknowledged(ALL)
    _, unsubscribe = r.take_pending()
    assert unsubscribe == [XBT]  # no longer needed on the server
    r.unsubscribed(XBT)
    assert r.is_live(XBT) and r.server_subscriptions() == [ALL]


def test_releasing_the_cover_resubscribes_the_symbol_first() -> None:
    r = TopicRegistry()
    r.acquire(XBT)
    r.acquire(ALL)
    r.plan(r.new_socket())
    r.acknowledged(ALL)
    assert r.release(ALL) is True
    subscribe, unsubscribe = r.take_pending()
    assert subscribe == [XBT] and unsubscribe == [ALL]
    assert r.is_live(XBT)  # still carried by the cover until the swap is done


def test_releasing_a_covered_symbol_needs_no_server_request() -> None:
    r = TopicRegistry()
    r.acquire(XBT)
    r.acquire(ALL)
    r.plan(r.new_socket())
    r.acknowledged(ALL)
    r.release(XBT)
    assert r.take_pending() == ([], [])


def test_transient_refusals_are_counted_until_the_limit() -> None:
    r = TopicRegistry()
    r.acquire(WALLET)
    attempts = [r.refused([WALLET]) for _ in range(MAX_SUBSCRIBE_RETRIES + 1)]
    assert attempts == [*range(MAX_SUBSCRIBE_RETRIES), None]
    assert r.want_again([WALLET]) is True
    r.acknowledged(WALLET)
    assert r.refused([WALLET]) == 0  # an acknowledgement resets the count
    assert r.want_again([WALLET]) is False


def test_socket_lost_returns_what_was_live() -> None:
    r = TopicRegistry()
    r.acquire(WALLET)
    r.plan(r.new_socket())
    r.acknowledged(WALLET)
    assert r.socket_lost() == {WALLET}
    assert not r.is_live(WALLET) and r.holds(WALLET)
