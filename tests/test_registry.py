"""The topic registry on its own: a state machine per topic, driven with a fake clock.

No sockets, no loop: requests are taken, answered (or refused) by hand or by a model
server that applies them the way KuCoin does, and every rule is checked as it happens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from rxkucoin._registry import Kind, Requests, TopicRegistry, TopicState
from rxkucoin._topics import TopicKey, batch_requests, covering_keys
from rxkucoin.keys import WsKey

FUT = WsKey.FUTURES_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
XBT = TopicKey(FUT, "/contract/position", "XBTUSDTM")
ETH = TopicKey(FUT, "/contract/position", "ETHUSDTM")
ALL = TopicKey(FUT, "/contract/positionAll")
WALLET = TopicKey(FUT, "/contractAccount/wallet")
ORDERS = TopicKey(FUT, "/contractMarket/tradeOrders")
XBT_ORDERS = TopicKey(FUT, "/contractMarket/tradeOrders", "XBTUSDTM")
BAD = TopicKey(FUT, "/contractMarket/tradeOrders", "NOSUCH")
PRO_ORDERS = TopicKey(PRO, "orderAll", None, "UNIFIED")


def backoff(attempt: int) -> float:
    return 2.0**attempt


def registry(*keys: TopicKey, capacity: int = 300) -> TopicRegistry:
    r = TopicRegistry(backoff=backoff, capacity=capacity)
    for key in keys:
        r.acquire(key)
    return r


def subscribes(requests: Requests) -> list[TopicKey]:
    return [k for group in requests.subscribe for k in group]


def live_on(r: TopicRegistry, *keys: TopicKey) -> None:
    """Connect and acknowledge the first round (as a replay does)."""
    r.new_socket()
    plan = r.take_requests(0.0)
    r.acked("subscribe", subscribes(plan), plan.generation)
    assert all(r.is_live(k) for k in keys)


# --- reference counts and the lifecycle of one topic ---------------------------------


def test_reference_counts() -> None:
    r = registry()
    assert r.acquire(WALLET) is True
    assert r.acquire(WALLET) is False
    assert r.release(WALLET) is False
    assert r.holds(WALLET)
    assert r.release(WALLET) is True
    assert not r.holds(WALLET) and r.held == frozenset() and r.idle
    assert r.release(WALLET) is False  # a release too many changes nothing


def test_idle_subscribing_live_unsubscribing_idle() -> None:
    r = registry(WALLET)
    assert r.state(WALLET) is TopicState.IDLE
    assert not r.take_requests(0.0)  # no socket yet: nothing to send
    r.new_socket()
    plan = r.take_requests(0.0)
    assert subscribes(plan) == [WALLET] and r.state(WALLET) is TopicState.SUBSCRIBING
    assert not r.take_requests(0.0)  # in flight: nothing more
    r.acked("subscribe", [WALLET], plan.generation)
    assert r.state(WALLET) is TopicState.LIVE and r.settled and r.live_count == 1
    assert r.newly_live() == [WALLET] and r.newly_live() == []
    r.release(WALLET)
    assert not r.idle  # the server still has it
    plan = r.take_requests(0.0)
    assert plan.unsubscribe == (WALLET,) and r.state(WALLET) is TopicState.UNSUBSCRIBING
    r.acked("unsubscribe", [WALLET], plan.generation)
    assert r.idle and r.state(WALLET) is TopicState.IDLE


def test_a_topic_released_while_its_subscribe_is_in_flight_is_unsubscribed_on_its_ack() -> None:
    r = registry(WALLET)
    r.new_socket()
    plan = r.take_requests(0.0)
    r.release(WALLET)
    assert not r.idle and r.in_use == 1  # in flight: it counts, and the socket stays
    assert not r.take_requests(0.0)  # no unsubscribe overtakes the subscribe
    r.acked("subscribe", [WALLET], plan.generation)
    assert r.newly_live() == []  # nobody to tell
    undo = r.take_requests(0.0)
    assert undo.unsubscribe == (WALLET,)
    r.acked("unsubscribe", [WALLET], undo.generation)
    assert r.idle


def test_a_topic_acquired_again_while_its_unsubscribe_is_in_flight_is_subscribed_after_it() -> None:
    # defect 9: the last two topics released, one taken again within a millisecond
    r = registry(WALLET, ORDERS)
    live_on(r, WALLET, ORDERS)
    r.release(WALLET)
    r.release(ORDERS)
    undo = r.take_requests(0.0)
    assert undo.unsubscribe == (WALLET, ORDERS)
    assert r.acquire(WALLET) is True
    assert not r.idle and not r.is_live(WALLET)
    assert not r.take_requests(0.0)  # the subscribe waits for the unsubscribe's answer
    r.acked("unsubscribe", [ORDERS, WALLET], undo.generation)
    again = r.take_requests(0.0)
    assert subscribes(again) == [WALLET] and not again.unsubscribe
    r.acked("subscribe", [WALLET], again.generation)
    assert r.is_live(WALLET) and r.server_subscriptions() == [WALLET] and r.settled


def test_a_release_and_acquire_before_any_request_sends_nothing() -> None:
    r = registry(WALLET)
    live_on(r, WALLET)
    r.release(WALLET)
    r.acquire(WALLET)
    assert not r.take_requests(0.0) and r.is_live(WALLET)


def test_a_dropped_topic_in_flight_is_still_unsubscribed() -> None:
    r = registry(WALLET)
    r.new_socket()
    plan = r.take_requests(0.0)
    r.drop(WALLET)
    assert not r.holds(WALLET) and not r.idle
    r.acked("subscribe", [WALLET], plan.generation)
    assert r.take_requests(0.0).unsubscribe == (WALLET,)


# --- the 300 cap ------------------------------------------------------------------------


def test_in_flight_and_orphaned_subscriptions_take_server_slots() -> None:
    keys = [TopicKey(PRO, "order", f"S{i}-USDT", "SPOT") for i in range(5)]
    r = registry(*keys[:3], capacity=3)
    r.new_socket()
    first = r.take_requests(0.0)
    assert len(subscribes(first)) == 3
    for key in keys[:3]:
        r.release(key)  # orphans: in flight, then live on the server until undone
    r.acquire(keys[3])
    r.acquire(keys[4])
    assert r.in_use == 3 and not r.take_requests(0.0)  # no slot free: they wait
    r.acked("subscribe", keys[:1], first.generation)
    undo = r.take_requests(0.0)
    assert undo.unsubscribe == (keys[0],) and not undo.subscribe  # still 3 in use
    r.acked("unsubscribe", keys[:1], undo.generation)
    assert subscribes(r.take_requests(0.0)) == [keys[3]]  # one slot, one subscribe
    assert r.in_use == 3 and not r.settled


def test_more_held_topics_than_slots_is_over_capacity() -> None:
    r = registry(*(TopicKey(PRO, "order", f"S{i}", "SPOT") for i in range(3)), capacity=3)
    assert not r.over_capacity
    r.acquire(PRO_ORDERS)
    assert r.over_capacity
    r.drop(PRO_ORDERS)
    assert not r.over_capacity


# --- refusals ---------------------------------------------------------------------------


def test_a_transient_refusal_is_retried_with_backoff_never_fatal() -> None:
    r = registry(WALLET)
    r.new_socket()
    now = 0.0
    for attempt in range(12):  # far beyond any fixed retry budget
        plan = r.take_requests(now)
        assert subscribes(plan) == [WALLET]
        verdict = r.refused("subscribe", [WALLET], plan.generation, transient=True, now=now)
        assert verdict.retry == (WALLET,) and not verdict.failed and not verdict.replay
        assert verdict.delay == backoff(attempt)
        assert r.next_deadline(now) == now + backoff(attempt)
        assert not r.take_requests(now + backoff(attempt) - 0.001)  # not before its time
        now += backoff(attempt)
    assert r.holds(WALLET)
    plan = r.take_requests(now)
    r.acked("subscribe", [WALLET], plan.generation)
    assert r.is_live(WALLET) and r.next_deadline(now) is None
    # an acknowledgement resets the count: the next refusal waits the first delay again
    r.socket_lost()
    r.new_socket()
    plan = r.take_requests(now)
    verdict = r.refused("subscribe", [WALLET], plan.generation, transient=True, now=now)
    assert verdict.delay == backoff(0)


def test_a_refused_batch_is_split_and_only_the_bad_topic_fails() -> None:
    r = registry(XBT_ORDERS, BAD)
    r.new_socket()
    plan = r.take_requests(0.0)
    ((request, batch),) = batch_requests(plan.subscribe[0])
    assert batch == (BAD, XBT_ORDERS) and "NOSUCH" in request.topic
    verdict = r.refused("subscribe", batch, plan.generation, transient=False, now=0.0)
    assert verdict.split == (BAD, XBT_ORDERS) and not verdict.failed
    solo = r.take_requests(0.0)
    assert solo.subscribe == ((BAD,), (XBT_ORDERS,))  # each in a frame of its own, at once
    verdict = r.refused("subscribe", [BAD], solo.generation, transient=False, now=0.0)
    assert verdict.failed == (BAD,)
    r.acked("subscribe", [XBT_ORDERS], solo.generation)
    assert not r.holds(BAD) and r.is_live(XBT_ORDERS) and r.settled


def test_a_refusal_on_replay_is_never_fatal() -> None:
    r = registry(PRO_ORDERS)
    live_on(r, PRO_ORDERS)
    assert r.socket_lost() == {PRO_ORDERS}
    r.new_socket()
    now = 0.0
    for _ in range(8):
        plan = r.take_requests(now)
        verdict = r.refused("subscribe", [PRO_ORDERS], plan.generation, transient=False, now=now)
        assert verdict.retry == (PRO_ORDERS,) and verdict.replay and not verdict.failed
        now += verdict.delay
    assert r.holds(PRO_ORDERS)


def test_a_first_subscribe_refused_for_good_fails_the_topic() -> None:
    r = registry(PRO_ORDERS)
    r.new_socket()
    plan = r.take_requests(0.0)
    verdict = r.refused("subscribe", [PRO_ORDERS], plan.generation, transient=False, now=0.0)
    assert verdict.failed == (PRO_ORDERS,) and r.idle


def test_a_refusal_of_a_released_topic_needs_no_one_told() -> None:
    r = registry(PRO_ORDERS)
    r.new_socket()
    plan = r.take_requests(0.0)
    r.release(PRO_ORDERS)
    verdict = r.refused("subscribe", [PRO_ORDERS], plan.generation, transient=False, now=0.0)
    assert verdict == type(verdict)() and r.idle


def test_unsubscribe_refusals() -> None:
    r = registry(WALLET, ORDERS)
    live_on(r, WALLET, ORDERS)
    r.release(WALLET)
    r.release(ORDERS)
    plan = r.take_requests(0.0)
    r.refused("unsubscribe", [WALLET], plan.generation, transient=True, now=0.0)
    r.refused("unsubscribe", [ORDERS], plan.generation, transient=False, now=0.0)
    assert r.server_subscriptions() == [WALLET]  # rate-refused: still on the server
    assert not r.take_requests(0.5)
    assert r.take_requests(1.0).unsubscribe == (WALLET,)


# --- sockets ------------------------------------------------------------------------------


def test_answers_from_a_lost_socket_are_ignored() -> None:
    r = registry(WALLET)
    r.new_socket()
    old = r.take_requests(0.0)
    assert r.socket_lost() == set()
    r.new_socket()
    new = r.take_requests(0.0)
    assert new.generation != old.generation
    r.acked("subscribe", [WALLET], old.generation)
    assert r.state(WALLET) is TopicState.SUBSCRIBING
    assert r.refused("subscribe", [WALLET], old.generation, transient=False, now=0).failed == ()
    r.acked("subscribe", [WALLET], new.generation)
    assert r.is_live(WALLET)


def test_a_lost_socket_forgets_orphans_and_replays_what_is_held() -> None:
    r = registry(WALLET, ORDERS)
    live_on(r, WALLET, ORDERS)
    r.release(ORDERS)
    assert r.socket_lost() == {WALLET}
    assert r.in_use == 0 and not r.connected and r.held == {WALLET}
    assert r.new_socket() == [WALLET]
    assert subscribes(r.take_requests(0.0)) == [WALLET]
    r.clear()
    assert r.idle and not r.take_requests(0.0)


# --- covering ---------------------------------------------------------------------------


def test_replay_subscribes_only_uncovered_keys_and_covered_go_live_with_their_cover() -> None:
    r = registry(XBT, ALL, WALLET)
    r.new_socket()
    plan = r.take_requests(0.0)
    assert subscribes(plan) == [ALL, WALLET]
    r.acked("subscribe", [ALL], plan.generation)
    assert r.state(XBT) is TopicState.COVERED and r.newly_live() == [XBT, ALL]
    r.acked("subscribe", [WALLET], plan.generation)
    assert r.settled and r.live_count == 3
    assert r.server_subscriptions() == [ALL, WALLET]
    assert not r.take_requests(0.0)


def test_a_later_cover_takes_over_a_symbols_own_subscription_once_live() -> None:
    r = registry(XBT)
    live_on(r, XBT)
    r.acquire(ALL)
    plan = r.take_requests(0.0)
    assert subscribes(plan) == [ALL] and not plan.unsubscribe  # XBT's stays until ALL is live
    r.acked("subscribe", [ALL], plan.generation)
    undo = r.take_requests(0.0)
    assert undo.unsubscribe == (XBT,)
    r.acked("unsubscribe", [XBT], undo.generation)
    assert r.is_live(XBT) and r.server_subscriptions() == [ALL]


def test_releasing_the_cover_subscribes_the_symbol_before_the_cover_goes() -> None:
    r = registry(XBT, ALL)
    live_on(r, ALL, XBT)
    assert r.release(ALL) is True
    plan = r.take_requests(0.0)
    assert subscribes(plan) == [XBT] and not plan.unsubscribe
    assert r.is_live(XBT)  # still carried by the cover until the swap is done
    r.refused("subscribe", [XBT], plan.generation, transient=True, now=0.0)
    assert not r.take_requests(0.0).unsubscribe  # a retry on its way: the cover stays
    again = r.take_requests(1.0)
    r.acked("subscribe", [XBT], again.generation)
    assert r.take_requests(1.0).unsubscribe == (ALL,)


def test_releasing_a_covered_symbol_needs_no_server_request() -> None:
    r = registry(XBT, ALL)
    live_on(r, ALL, XBT)
    r.release(XBT)
    assert not r.take_requests(0.0)


def test_a_cover_refused_for_good_leaves_its_symbols_their_own_subscription() -> None:
    r = registry(XBT_ORDERS, ORDERS)
    r.new_socket()
    plan = r.take_requests(0.0)
    assert subscribes(plan) == [ORDERS]
    assert r.refused("subscribe", [ORDERS], plan.generation, transient=False, now=0).failed
    assert subscribes(r.take_requests(0.0)) == [XBT_ORDERS]


# --- a model server: random churn, reordering, refusals, drops ----------------------------


@dataclass
class ModelServer:
    """A KuCoin socket as far as subscriptions go: frames applied when they arrive."""

    capacity: int
    subs: set[TopicKey] = field(default_factory=set)
    refuse: set[TopicKey] = field(default_factory=lambda: {BAD})

    def apply(self, kind: Kind, keys: tuple[TopicKey, ...]) -> tuple[bool, bool]:
        """Returns ``(accepted, transient)``."""
        if kind == "unsubscribe":
            self.subs.difference_update(keys)
            return True, False
        if self.refuse & set(keys):
            return False, False
        assert len(self.subs | set(keys)) <= self.capacity, "300 per session"
        self.subs.update(keys)
        return True, False


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("capacity", [3, 300])
def test_random_churn_ends_with_the_server_holding_exactly_what_is_held(
    seed: int, capacity: int
) -> None:
    rng = random.Random(seed)
    keys = [XBT, ETH, ALL, WALLET, ORDERS, XBT_ORDERS, BAD, PRO_ORDERS]
    r = TopicRegistry(backoff=lambda n: 0.5, capacity=capacity)
    server = ModelServer(capacity)
    refs: dict[TopicKey, int] = {}
    sent: list[tuple[int, Kind, tuple[TopicKey, ...]]] = []  # frames not yet applied
    answers: list[tuple[int, Kind, tuple[TopicKey, ...], bool, bool]] = []
    now = 0.0
    r.new_socket()

    def take() -> None:
        plan = r.take_requests(now)
        flying = {k for g, _, ks in sent if g == plan.generation for k in ks}
        flying |= {k for g, _, ks, _, _ in answers if g == plan.generation for k in ks}
        for group in plan.subscribe:
            for _, batch in batch_requests(group):
                assert not flying & set(batch), "one request per topic in flight"
                sent.append((plan.generation, "subscribe", batch))
        for _, batch in batch_requests(plan.unsubscribe):
            assert not flying & set(batch), "one request per topic in flight"
            sent.append((plan.generation, "unsubscribe", batch))

    def answer(i: int) -> None:
        generation, kind, batch, ok, transient = answers.pop(i)
        if ok:
            r.acked(kind, batch, generation)
            return
        verdict = r.refused(kind, batch, generation, transient=transient, now=now)
        for key in verdict.failed:
            refs.pop(key, None)

    for _ in range(600):
        op = rng.random()
        was_live = {k for k in r.held if r.is_live(k)}
        dropped = False
        if op < 0.25:
            key = rng.choice(keys)
            r.acquire(key)
            refs[key] = refs.get(key, 0) + 1
            if r.over_capacity:  # as the request flow does: the topic fails at once
                r.drop(key)
                del refs[key]
        elif op < 0.45 and refs:
            key = rng.choice(sorted(refs, key=str))
            r.release(key)
            refs[key] -= 1
            if not refs[key]:
                del refs[key]
        elif op < 0.6:
            take()
        elif op < 0.75 and sent:  # the server reads one frame; frames of distinct topics
            generation, kind, batch = sent.pop(rng.randrange(len(sent)))  # may be reordered
            if rng.random() < 0.1:
                answers.append((generation, kind, batch, False, True))  # rate-refused
            else:
                answers.append((generation, kind, batch, *server.apply(kind, batch)))
        elif op < 0.9 and answers:
            answer(rng.randrange(len(answers)))
        elif op < 0.93 and r.connected:  # the socket drops: the server forgets it all
            server.subs.clear()
            sent.clear()
            dropped = True
            r.socket_lost()
            r.new_socket()
        else:
            now += 0.3
        assert r.held == set(refs)
        if capacity > len(keys) and not dropped:  # no hole: what was live stays live
            assert all(r.is_live(k) for k in was_live & r.held)
        for key in r.server_subscriptions():  # the registry never believes in a phantom
            assert key in server.subs

    for _ in range(1000):  # quiesce: answer everything, wait out every retry
        take()
        if not sent and not answers and r.next_deadline(now) is None:
            break
        while sent:
            generation, kind, batch = sent.pop(0)
            answers.append((generation, kind, batch, *server.apply(kind, batch)))
        while answers:
            answer(0)
        now += 1.0
    held = r.held
    assert BAD not in held or ORDERS in held  # refused, unless it rides on its cover
    assert r.settled
    if len(held) <= capacity:
        expected = {k for k in held if not any(c in held for c in covering_keys(k))}
        assert server.subs == expected == set(r.server_subscriptions())
    assert r.idle == (not held) and (server.subs == set()) == (not held)


def test_held_count_capacity_and_knows_follow_the_topics_a_shard_set_asks_about() -> None:
    r = registry(capacity=2)
    assert (r.held_count, r.capacity) == (0, 2)
    r.acquire(XBT)
    r.acquire(XBT)  # a second subscriber of the same topic takes no second slot
    r.acquire(WALLET)
    assert r.held_count == 2 and not r.over_capacity
    assert r.knows(XBT) and not r.knows(ETH)
    live_on(r, XBT, WALLET)
    r.release(WALLET)
    assert r.held_count == 1
    plan = r.take_requests(0.0)  # WALLET's unsubscribe goes out: still known, not held
    assert plan.unsubscribe == (WALLET,)
    assert r.knows(WALLET) and not r.holds(WALLET)
    r.acked("unsubscribe", [WALLET], plan.generation)
    assert not r.knows(WALLET)
    r.drop(XBT)
    assert r.held_count == 0
