"""Edge rate limits (ingest/limits.py), with a hand-driven clock."""

from __future__ import annotations

from ingest.limits import FailureLimiter, TokenBucket


def test_failures_block_an_address_until_the_window_passes() -> None:
    limiter = FailureLimiter(max_failures=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("10.0.0.1", t) is None
        limiter.record_failure("10.0.0.1", t)
    assert limiter.retry_after("10.0.0.1", 3.0) == 57.0
    assert limiter.retry_after("10.0.0.2", 3.0) is None  # other addresses are not affected
    assert limiter.retry_after("10.0.0.1", 60.5) is None  # the first failure left the window


def test_prune_forgets_quiet_addresses() -> None:
    limiter = FailureLimiter(max_failures=3, window_s=10)
    limiter.record_failure("a", 0.0)
    limiter.prune(20.0)
    assert limiter.retry_after("a", 20.0) is None


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate_per_s=2, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.25) is False
    assert bucket.take(0.5) is True  # 0.5 s at 2/s refilled one token
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_token_bucket_is_full_again_after_refilling() -> None:
    bucket = TokenBucket(rate_per_s=2, burst=3)
    assert bucket.full(0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert not bucket.full(0.5)  # one of two tokens back
    assert bucket.full(1.0)
