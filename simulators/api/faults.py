"""Fault injection for the simulated servers: which request fails, and how.

A server numbers every request it receives (its sequence number, starting at 1). Whether request
``n`` fails, and with which kind, is decided by a hash of ``(seed, n)`` alone, so the same request
sequence meets the same faults on every run, while a retried request gets a new number and so a
fresh chance to succeed. The kinds are what real APIs do to clients under load:

- ``429``: rate limited, with ``Retry-After`` (and the X-RateLimit headers on Jira);
- ``500``: internal server error;
- ``503``: service unavailable, sometimes with ``Retry-After``;
- ``reset``: the connection is closed without an answer (SO_LINGER 0, so the client sees a reset);
- ``slow``: the answer comes normally, after ``slow_seconds``;
- ``truncated``: ``Content-Length`` promises more body than is sent, then the connection closes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

FAULT_KINDS = ("429", "500", "503", "reset", "slow", "truncated")


@dataclass(frozen=True)
class FaultConfig:
    """How often a server misbehaves and in which ways (off unless a server is given one)."""

    rate: float = 0.1
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 1
    retry_after_seconds: int = 1
    slow_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        if not self.kinds:
            raise ValueError("at least one fault kind is needed")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}")
        if self.retry_after_seconds < 0 or self.slow_seconds < 0:
            raise ValueError("retry_after_seconds and slow_seconds must not be negative")
        # A list passed by a caller would make the config unhashable and mutable.
        object.__setattr__(self, "kinds", tuple(self.kinds))


@dataclass(frozen=True)
class Fault:
    """The fault chosen for one request."""

    kind: str
    with_retry_after: bool


def decide(config: FaultConfig, sequence: int) -> Fault | None:
    """The fault for request number ``sequence`` under ``config``, or None to answer normally."""
    if config.rate <= 0.0:
        return None
    digest = hashlib.blake2b(f"{config.seed}:{sequence}".encode(), digest_size=16).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= config.rate:
        return None
    kind = config.kinds[int.from_bytes(digest[8:12], "big") % len(config.kinds)]
    # 429 always carries Retry-After; 503 only sometimes, as real gateways do.
    with_retry_after = kind == "429" or (kind == "503" and digest[12] % 2 == 0)
    return Fault(kind=kind, with_retry_after=with_retry_after)
