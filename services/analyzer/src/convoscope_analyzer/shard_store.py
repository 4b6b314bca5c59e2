"""The ``shards`` bucket: one fenced record per shard (a :class:`JobState` under its key).

The records go through ``lease.py`` exactly like jobs: a run claims a shard with a
compare-and-set, writes its end through its lease, and a run that stopped without
settling is taken over (and counted in ``crashes``) by the next delivery.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from convoscope_common import names
from convoscope_common.lease import Fencing
from convoscope_common.records import JobState, job_state_decoder
from convoscope_common.storage import kv_entry, kv_swap
from convoscope_common.wire import encode

# Rounds of create-or-read in ``create_or_renew`` before giving up: each round loses only
# to another writer of the same record, so a few are plenty.
RENEW_ROUNDS = 10


class ShardRecordContentionError(RuntimeError):
    """A shard record kept changing while a run tried to create it."""


class ShardRecords:
    """Reads and compare-and-sets of shard records."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self.fencing: Fencing[JobState] = Fencing(self.entry, self.swap)

    @classmethod
    async def open(cls, js: JetStreamContext) -> ShardRecords:
        """The bucket's handle (provisioning created it)."""
        return cls(await js.key_value(names.KV_SHARDS))

    async def entry(self, key: str) -> tuple[JobState, int] | None:
        found = await kv_entry(self.kv, key)
        if found is None:
            return None
        return job_state_decoder.decode(found[0]), found[1]

    async def swap(self, state: JobState, revision: int) -> int | None:
        return await kv_swap(self.kv, state.job_id, encode(state), revision)

    async def create(self, state: JobState) -> bool:
        """Write a new record; False when one is there already (a coordinator run again).

        A record an earlier run removed (its cleanup) leaves a delete marker in the
        bucket: a compare-and-set on "no revision" fails on it while reading it says
        "absent". ``KeyValue.create`` writes over such a marker (its revision), so a job
        run again after a run that cleaned up its shards can create them."""
        try:
            await self.kv.create(state.job_id, encode(state))
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            return False  # there, or changing meanwhile (create_or_renew reads it again)
        return True

    async def create_or_renew(self, state: JobState) -> bool:
        """Write a new record, or replace one an earlier run of the job left ``failed`` or
        ``cancelled`` (that run's end, not this one's: its shard is computed again); False
        when a complete or running record is kept (its output is the same)."""
        for _ in range(RENEW_ROUNDS):
            if await self.create(state):
                return True
            found = await self.entry(state.job_id)
            if found is None:
                continue  # deleted in between: create it
            current, revision = found
            if current.status not in ("failed", "cancelled"):
                return False
            if await self.swap(state, revision) is not None:
                return True
        raise ShardRecordContentionError(state.job_id)

    async def get(self, key: str) -> JobState | None:
        found = await self.entry(key)
        return None if found is None else found[0]

    async def delete(self, key: str) -> None:
        await self.kv.delete(key)
