"""A token bucket: how many client messages a socket may send, pure and clock-injected."""
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens a second refill a bucket of ``burst``; each message takes one."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def allow(self, now: float) -> bool:
        if self.updated is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
