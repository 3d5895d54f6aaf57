"""Adaptive throttling: one limit on requests in flight, shared by every
thread that uses the same client, so that a 429 slows everyone down.

* AIMD on the limit: each 429 multiplies it by ``decrease`` (at most once per
  round: a 429 for a request sent before the last cut does not cut again),
  and each success adds ``1 / limit`` (about one more request per round
  trip), counting only requests sent since the last cut that found the limit
  (nearly) reached, so an idle limit does not grow. Until the first 429 there
  is no limit.
* A shared pause: a 429's Retry-After (capped at ``max_pause``) holds back
  every new request, not only the one that was refused.

The server's rate R and a model latency L allow about R x L requests in
flight; the limit settles near there instead of retrying in bursts.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Ticket:
    """One admitted request; give it back with ``done`` or ``limited``."""

    epoch: int
    busy: bool = False  # the limit was (nearly) reached when it was admitted


class AdaptiveThrottle:
    def __init__(self, *, decrease: float = 0.7, min_limit: float = 1.0, max_pause: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not 0 < decrease < 1:
            raise ValueError("decrease must be between 0 and 1")
        if min_limit < 1:
            raise ValueError("min_limit must be at least 1")
        self.decrease = decrease
        self.min_limit = min_limit
        self.max_pause = max_pause
        self._clock = clock
        self._cond = threading.Condition()
        self._limit = math.inf
        self._in_flight = 0
        self._paused_until = -math.inf
        self._epoch = 0
        self.rate_limited = 0  # 429s seen, for reports and tests

    # -- observation ------------------------------------------------------
    @property
    def limit(self) -> float:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- admission --------------------------------------------------------
    def try_acquire(self) -> Ticket | float:
        """A ticket if a request may start now, else the seconds to wait
        (0.0 when waiting for a request in flight to finish)."""
        with self._cond:
            return self._try_acquire()

    def _try_acquire(self) -> Ticket | float:
        pause = self._paused_until - self._clock()
        if pause > 0:
            return pause
        if self._in_flight + 1 > self._limit:
            return 0.0
        self._in_flight += 1
        return Ticket(self._epoch, busy=self._in_flight >= self._limit - 1)

    def acquire(self) -> Ticket:
        """Block until a request may start."""
        with self._cond:
            while True:
                outcome = self._try_acquire()
                if isinstance(outcome, Ticket):
                    return outcome
                self._cond.wait(timeout=outcome or None)

    # -- outcomes ---------------------------------------------------------
    def done(self, ticket: Ticket, *, success: bool = True) -> None:
        """The request finished; a success lets the limit grow."""
        with self._cond:
            if success and ticket.busy and ticket.epoch == self._epoch:
                self._limit += 1.0 / self._limit
            self._in_flight -= 1
            self._cond.notify_all()

    def limited(self, ticket: Ticket, retry_after: float | None = None) -> None:
        """The server answered 429 (with Retry-After seconds, if it said)."""
        with self._cond:
            self.rate_limited += 1
            if retry_after is not None and retry_after > 0:
                self._paused_until = max(self._paused_until, self._clock() + min(retry_after, self.max_pause))
            if ticket.epoch == self._epoch:
                base = min(self._limit, float(self._in_flight))
                self._limit = max(self.min_limit, base * self.decrease)
                self._epoch += 1
            self._in_flight -= 1
            self._cond.notify_all()
