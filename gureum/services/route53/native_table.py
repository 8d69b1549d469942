"""The shared-memory table the native DNS workers (native_dns.c) answer from; Python writes it.

One memfd, mapped by gureum (the only writer) and by every worker (readers). Integers are in
the machine's byte order (x86-64 only: see `supported`). Layout, by byte offset:

  header (HEADER bytes)
    0  u32 magic "GDN1"              16  u32 slot count (a power of two)
    8  u64 seq: odd while a clear    20  u32 flags: 1 keys end with the client address
           runs (the seqlock)                       2 native NXDOMAIN is on
    24 u32 slots offset  28 u32 entries offset  32 u32 entries size
    36 u32 counters offset  40 u32 counter count  44 u32 health epoch (the "R" programs')
    48 u64 queries answered natively (workers add)  56 u64 queries forwarded to Python
  counters: u64 each; workers add 1 per answer they send; Python reads the deltas (billing)
  slots: u32 each, the offset of an entry or 0 (empty); linear probing from FNV-1a(key)
  entries: 8-byte aligned, appended: u16 key length, u16 a length, u16 b length, u16 0,
           u32 counter index (0xffffffff: none), u32 0, key, a, b

Keys and values:
  b"A" + lowercased qname wire + qtype + qclass + (RD|CD bits) + EDNS byte (0 none, 1, 2 DO)
       [+ b"\\x08" + EDNS Client Subnet payload] [+ client family (4/6) + 16 address bytes,
       when flag 1: private views make answers depend on the client]
       a = the full response, b = the truncated one (engine.py's cached pair, id 0)
  b"R" + the same tail as an "A" key: a routed question's program: u32 the health epoch it
       was taken in (a worker forwards the query when it is not the header's), then one
       decision per routing group (routing.py): u8 0 + the decision's key (u8 n + n member
       indexes): fixed; or u8 1 + u8 n + n x (u8 member, u32 cumulative weight) + u32 total:
       a weighted draw (bisect as routing.py); the answer is the "A" entry of the tail + the
       decisions' keys (an answer for given decisions does not depend on health: only the
       programs do, so a health change moves the epoch and replaces programs, nothing else)
  b"N" + lowercased wire name of an existing name (in the zone that serves it, public view)
       a = flags (1: a name below it that does not exist is answered NXDOMAIN natively;
       2: the zone is signed, DO queries go to Python) + the zone apex's label count + the
       zone's negative SOA wire (engine.py `_nxdomain`); b empty

Invariants: an entry is written whole before its slot is published (one aligned 4-byte
 store; x86 keeps stores in order) and never changes until the next clear (an "R" entry is
 replaced by writing a new entry and re-pointing its slot: a reader sees the old or the new); a clear makes seq
 odd, empties the slots (every one, each time: their pages are punched out of the memfd), resets the entries and flags, and makes seq even again. A reader
reads seq, answers, re-reads seq, and forwards the query to Python when seq was odd or
moved: readers never block and never send an answer from a table being cleared. Counters
survive clears (indexes stay bound to their (account, zone, unit) for the table's life).
"""

from __future__ import annotations

import mmap
import os
import platform
import struct
import threading

MAGIC = 0x314E4447
HEADER = 4096
F_VIEWS = 1
F_NXD = 2
NO_COUNTER = 0xFFFFFFFF
_ENTRY = struct.Struct("=HHHHII")


def supported() -> bool:
    """Whether this machine's memory model makes the writer's ordered stores visible in order
    to the readers (x86-64's total store order), and memfd exists."""
    return platform.machine() in ("x86_64", "AMD64") and hasattr(os, "memfd_create")


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


class AnswerTable:
    """The writer's side of the table (see the module docstring). Thread-safe writers."""

    def __init__(self, slots: int = 1 << 18, data_size: int = 64 << 20, counters: int = 1 << 16) -> None:
        assert slots & (slots - 1) == 0
        self.nslots = slots
        self.counters_off = HEADER
        self.ncounters = counters
        self.slots_off = self.counters_off + 8 * counters
        self.data_off = self.slots_off + 4 * slots
        self.data_size = data_size
        self.size = self.data_off + data_size
        self.fd = os.memfd_create("gureum-dns", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, self.size)
        self.mm = mmap.mmap(self.fd, self.size)
        self._u32 = memoryview(self.mm).cast("I")
        self._u64 = memoryview(self.mm).cast("Q")
        self._lock = threading.Lock()
        self._used = 0
        self._count = 0
        self._keys: dict[bytes, int] = {}  # key -> its slot
        u32 = self._u32
        u32[4] = slots
        u32[6], u32[7], u32[8] = self.slots_off, self.data_off, data_size
        u32[9], u32[10] = self.counters_off, counters
        u32[0] = MAGIC

    # --- writing --------------------------------------------------------------------
    def clear(self, flags: int) -> None:
        """Empty the table and set its flags (readers forward meanwhile: seq is odd)."""
        with self._lock:
            u64 = self._u64
            u64[1] += 1
            self._zero_slots()
            self._u32[5] = flags
            self._used = 0
            self._count = 0
            self._keys.clear()
            u64[1] += 1

    def _zero_slots(self) -> None:
        """Every slot reads 0 again: the memfd's pages under them are given back (a hole
        punched in the shared file: every mapping reads zeros, and an empty table holds no
        memory), or, where that is refused, written with zeros."""
        start, length = self.slots_off, 4 * self.nslots
        if start % mmap.PAGESIZE == 0 and length % mmap.PAGESIZE == 0 and hasattr(mmap, "MADV_REMOVE"):
            try:
                self.mm.madvise(mmap.MADV_REMOVE, start, length)
                return
            except OSError:
                pass
        self.mm[start : start + length] = bytes(length)

    @property
    def flags(self) -> int:
        return int(self._u32[5])

    @property
    def clears(self) -> int:
        """How many clears the table has had (seq / 2): an unchanged count means nothing
        written since has been cleared away."""
        return int(self._u64[1]) // 2

    def add_flags(self, flags: int, clears: int) -> bool:
        """Turn `flags` on (one aligned 4-byte store: a reader sees the old flags or the
        new), unless the table was cleared since `clears` (False). Native NXDOMAIN is turned
        on this way once every "N" entry is in: a worker that saw the flag while the names
        were still being put would answer NXDOMAIN for an existing name not yet put."""
        with self._lock:
            if self.clears != clears:
                return False
            self._u32[5] = self._u32[5] | flags
            return True

    def has(self, key: bytes) -> bool:
        return key in self._keys

    @property
    def epoch(self) -> int:
        """The health epoch "R" programs must carry to be followed."""
        return int(self._u32[11])

    @epoch.setter
    def epoch(self, value: int) -> None:
        self._u32[11] = value & 0xFFFFFFFF

    def put(self, key: bytes, a: bytes, b: bytes = b"", counter: int = NO_COUNTER, replace: bool = False) -> bool:
        """Add an entry (False: the table is full, or the key is there already and not
        `replace`d: then a new entry is written and the key's slot re-pointed to it)."""
        size = (_ENTRY.size + len(key) + len(a) + len(b) + 7) & ~7
        if max(len(key), len(a), len(b)) > 0xFFFF:
            return False
        with self._lock:
            slot = self._keys.get(key)
            if (slot is not None and not replace) or self._used + size > self.data_size \
                    or (slot is None and 2 * (self._count + 1) > self.nslots):
                return False
            off = self.data_off + self._used
            self.mm[off : off + _ENTRY.size + len(key) + len(a) + len(b)] = (
                _ENTRY.pack(len(key), len(a), len(b), 0, counter, 0) + key + a + b)
            base = self.slots_off // 4
            u32 = self._u32
            if slot is None:
                mask = self.nslots - 1
                slot = fnv1a(key) & mask
                while u32[base + slot]:
                    slot = (slot + 1) & mask
                self._count += 1
                self._keys[key] = slot
            u32[base + slot] = off  # publishes the entry written above
            self._used += size
            return True

    # --- reading the workers' counts ------------------------------------------------
    def counter(self, index: int) -> int:
        return int(self._u64[self.counters_off // 8 + index])

    @property
    def answered(self) -> int:
        """Queries the workers answered natively, since the table was made."""
        return int(self._u64[6])

    @property
    def forwarded(self) -> int:
        """Queries the workers forwarded to Python, since the table was made."""
        return int(self._u64[7])

    def close(self) -> None:
        self._u32.release()
        self._u64.release()
        self.mm.close()
        os.close(self.fd)
