"""The shared adaptive throttle: AIMD on requests in flight, Retry-After as a shared pause."""

import threading

import pytest

from briefer.throttle import AdaptiveThrottle, Ticket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admit(throttle, count):
    tickets = [throttle.try_acquire() for _ in range(count)]
    assert all(isinstance(t, Ticket) for t in tickets)
    return tickets


def fill(throttle):
    tickets = []
    while isinstance(ticket := throttle.try_acquire(), Ticket):
        tickets.append(ticket)
    return tickets


def test_no_limit_until_the_first_429():
    throttle = AdaptiveThrottle(clock=Clock())
    admit(throttle, 50)
    assert throttle.in_flight == 50


def test_a_429_cuts_the_limit_below_what_was_in_flight():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    tickets = admit(throttle, 10)
    throttle.limited(tickets[0])
    assert throttle.limit == 5.0  # half of the 10 in flight
    assert throttle.in_flight == 9
    assert throttle.try_acquire() == 0.0  # 9 in flight > 5: wait for some to finish


def test_429s_from_the_same_round_cut_once():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    tickets = admit(throttle, 10)
    for ticket in tickets[:6]:
        throttle.limited(ticket)
    assert throttle.limit == 5.0 and throttle.rate_limited == 6
    for ticket in tickets[6:]:
        throttle.done(ticket)
    (late,) = admit(throttle, 1)  # sent after the cut: its 429 cuts again
    throttle.limited(late)
    assert throttle.limit < 5.0


def test_the_limit_never_falls_below_the_minimum():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    for _ in range(10):
        (ticket,) = admit(throttle, 1)
        throttle.limited(ticket)
    assert throttle.limit == 1.0
    admit(throttle, 1)


def test_successes_grow_the_limit_about_one_per_round_trip():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    tickets = admit(throttle, 8)
    throttle.limited(tickets.pop())
    assert throttle.limit == 4.0
    for ticket in tickets:
        throttle.done(ticket)  # sent before the cut: no growth
    assert throttle.limit == 4.0
    tickets = fill(throttle)
    assert len(tickets) == 4
    for _ in range(15):  # keep the pipe full, as waiting threads do
        throttle.done(tickets.pop(0))
        tickets += fill(throttle)
    assert len(tickets) == int(throttle.limit)
    assert 6.0 <= throttle.limit <= 7.5  # 4 + 5 + 6 successes: about three rounds


def test_the_limit_does_not_grow_past_what_is_used():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    tickets = admit(throttle, 8)
    throttle.limited(tickets.pop())
    for ticket in tickets:
        throttle.done(ticket)
    for _ in range(100):  # one request at a time, always a success
        (ticket,) = admit(throttle, 1)
        throttle.done(ticket)
    assert throttle.limit == 4.0


def test_retry_after_pauses_every_new_request():
    clock = Clock()
    throttle = AdaptiveThrottle(clock=clock)
    (ticket,) = admit(throttle, 1)
    throttle.limited(ticket, retry_after=2.0)
    assert throttle.try_acquire() == pytest.approx(2.0)
    clock.now += 1.5
    assert throttle.try_acquire() == pytest.approx(0.5)
    clock.now += 0.5
    assert isinstance(throttle.try_acquire(), Ticket)


def test_the_pause_is_capped():
    clock = Clock()
    throttle = AdaptiveThrottle(max_pause=5.0, clock=clock)
    (ticket,) = admit(throttle, 1)
    throttle.limited(ticket, retry_after=3600)
    assert throttle.try_acquire() == pytest.approx(5.0)


def test_a_failure_that_is_not_a_429_changes_nothing():
    throttle = AdaptiveThrottle(decrease=0.5, clock=Clock())
    tickets = admit(throttle, 4)
    throttle.limited(tickets.pop())
    limit = throttle.limit
    throttle.done(tickets.pop(), success=False)
    assert throttle.limit == limit and throttle.in_flight == 2


def test_threads_never_exceed_the_shared_limit():
    throttle = AdaptiveThrottle(decrease=0.5)
    tickets = [throttle.acquire() for _ in range(6)]
    throttle.limited(tickets.pop())  # limit 3 now, with 5 still in flight
    peak = 0
    lock = threading.Lock()
    running = 0
    gate = threading.Event()

    def worker():
        nonlocal peak, running
        ticket = throttle.acquire()
        with lock:
            running += 1
            peak = max(peak, running + len(tickets))
        gate.wait(5)
        with lock:
            running -= 1
        throttle.done(ticket, success=False)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for ticket in tickets:
        throttle.done(ticket, success=False)
    tickets.clear()
    gate.set()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert peak <= 3


@pytest.mark.parametrize("decrease", [0, 1, 1.5])
def test_bad_settings_are_refused(decrease):
    with pytest.raises(ValueError):
        AdaptiveThrottle(decrease=decrease)
