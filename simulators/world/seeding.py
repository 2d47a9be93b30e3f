"""Deterministic randomness and identifiers: everything derives from the world seed.

String seeds go through SHA-512 inside ``random.Random``, so a stream depends only on the seed
and its name, never on ``PYTHONHASHSEED`` or on what other streams drew before it.
"""

from __future__ import annotations

import hashlib
import random


def stream(seed: int, *parts: object) -> random.Random:
    """A random stream named by the world seed and the parts (entity, index, purpose...)."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def sys_id(seed: int, table: str, key: object) -> str:
    """A ServiceNow sys_id (32 lower-case hex characters) for a record of a table."""
    return hashlib.md5(f"{seed}|{table}|{key}".encode()).hexdigest()


def account_id(seed: int, key: object) -> str:
    """A Jira Cloud accountId-like string: 24 hex characters."""
    return "6" + hashlib.md5(f"{seed}|jira-account|{key}".encode()).hexdigest()[:23]
