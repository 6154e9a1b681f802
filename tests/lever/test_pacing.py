"""TokenBucketPacer and backoff: behaviour under a controlled clock (no real waiting)."""

from __future__ import annotations

import threading

import pytest

from dashboard.lever.api.pacing import NoPacer, TokenBucketPacer, backoff_delay


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_burst_passes_then_each_call_waits_one_interval():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=8, burst=16, clock=clock, sleep=clock.sleep)
    waits = [pacer.reserve("acct") for _ in range(20)]
    assert waits[:16] == [0.0] * 16
    assert waits[16:] == pytest.approx([1 / 8, 2 / 8, 3 / 8, 4 / 8])


def test_acquire_sleeps_only_when_the_bucket_is_empty():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=4, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.acquire("acct")
    assert clock.slept == [pytest.approx(0.25)]


def test_bucket_refills_with_time_up_to_burst():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert pacer.reserve("acct") == 0.0
    clock.now += 0.5  # five tokens back
    waits = [pacer.reserve("acct") for _ in range(6)]
    assert waits == [pytest.approx(0.0, abs=1e-9)] * 5 + [pytest.approx(0.1)]
    clock.now += 1000  # long idle: never more than the burst
    assert sum(1 for _ in range(8) if pacer.reserve("acct") == 0.0) == 5


def test_accounts_have_separate_buckets():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=1, burst=1, clock=clock, sleep=clock.sleep)
    assert pacer.reserve("a") == 0.0
    assert pacer.reserve("b") == 0.0
    assert pacer.reserve("a") == pytest.approx(1.0)


def test_concurrent_reservations_each_get_a_distinct_slot():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=10, clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            w = pacer.reserve("acct")
            with lock:
                waits.append(round(w, 6))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert waits.count(0.0) == 10
    later = sorted(w for w in waits if w > 0)
    assert later == [round(n / 10, 6) for n in range(1, 71)]


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        TokenBucketPacer(rate=0)
    with pytest.raises(ValueError):
        TokenBucketPacer(burst=0)


def test_no_pacer_never_waits():
    NoPacer().acquire("anything")


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for attempt, ceiling in enumerate(ceilings):
        waits = [backoff_delay(attempt, base=0.5, cap=8.0) for _ in range(400)]
        assert 0.0 <= min(waits) < ceiling * 0.1  # spread down to (almost) nothing ...
        assert ceiling * 0.9 < max(waits) <= ceiling  # ... and up to the ceiling, never beyond
    assert max(backoff_delay(60) for _ in range(100)) <= 8.0


def test_a_429_blocks_the_account_for_its_retry_after_and_then_paces_at_half_rate():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=20, recovery=10, clock=clock, sleep=clock.sleep)
    assert pacer.reserve("acct") == 0.0
    assert pacer.penalize("acct", 1.0) is True
    assert pacer.reserve("other") == 0.0  # another account is not held
    assert pacer.reserve("acct") == pytest.approx(1.0)  # the first call goes when the block ends
    assert pacer.reserve("acct") == pytest.approx(1.0 + 1 / 5)  # then at the halved rate: 5/s
    assert pacer.current_rate("acct") == pytest.approx(5.0)


def test_the_rate_recovers_linearly_to_the_full_rate():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=20, recovery=10, clock=clock, sleep=clock.sleep)
    pacer.penalize("acct", None)
    clock.now += 5
    assert pacer.current_rate("acct") == pytest.approx(7.5)
    clock.now += 5
    assert pacer.current_rate("acct") == pytest.approx(10.0)
    clock.now += 100
    assert pacer.current_rate("acct") == pytest.approx(10.0)


def test_repeated_429s_cut_again_but_never_below_a_tenth():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=20, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        pacer.penalize("acct", 0.1)
    assert pacer.current_rate("acct") == pytest.approx(1.0)


def test_a_caller_that_took_its_slot_before_the_429_still_waits_the_block_out():
    clock = FakeClock()
    pacer = TokenBucketPacer(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    pacer.reserve("acct")  # the burst is used up: the next caller waits 0.1 s for its slot

    def sleep_then_429(seconds: float) -> None:
        clock.slept.append(seconds)
        if len(clock.slept) == 1:  # while it sleeps, another caller gets a 429 with Retry-After: 2
            pacer.penalize("acct", 2.0)
        clock.now += seconds

    pacer._sleep = sleep_then_429
    pacer.acquire("acct")
    assert clock.slept[0] == pytest.approx(0.1)
    assert sum(clock.slept) == pytest.approx(2.0)  # it went out when the block ended, not before


def test_defaults_are_levers_documented_limit():
    pacer = TokenBucketPacer()
    assert (pacer.rate, pacer.burst) == (10.0, 20.0)
    assert NoPacer().penalize("acct", 1.0) is False
