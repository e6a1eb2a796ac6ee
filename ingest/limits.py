"""Rate limits at the edge, pure (the clock is passed in).

- :class:`FailureLimiter`: refused handshakes per remote address in a sliding window; past
  the limit that address is answered 429 (with ``Retry-After``) before any credential check,
  so password guessing costs the attacker time and the gateway no scrypt work.
- :class:`TokenBucket`: messages per station (rate per second, burst); the gateway keeps a
  station's bucket across its reconnections until it has refilled, so reconnecting does not
  reset the limit.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class FailureLimiter:
    max_failures: int
    window_s: float
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, address: str, now: float) -> float | None:
        """Seconds ``address`` must wait before it may try again, or None if it may now."""
        times = self._recent(address, now)
        if len(times) < self.max_failures:
            return None
        return max(0.0, times[0] + self.window_s - now)

    def record_failure(self, address: str, now: float) -> None:
        self._recent(address, now).append(now)

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def prune(self, now: float) -> None:
        """Forget quiet addresses, so the table stays as small as the active attackers."""
        for address in list(self._failures):
            self._recent(address, now)
            if not self._failures[address]:
                del self._failures[address]


@dataclass(slots=True)
class TokenBucket:
    rate_per_s: float
    burst: float
    _tokens: float = math.nan
    _at: float = math.nan

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled: then it is the same as a new one."""
        if math.isnan(self._tokens):
            return True
        return self._tokens + (now - self._at) * self.rate_per_s >= self.burst

    def take(self, now: float) -> bool:
        """Take one token; False when the bucket is empty (the message is over the limit)."""
        if math.isnan(self._tokens):
            self._tokens, self._at = self.burst, now
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate_per_s)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
