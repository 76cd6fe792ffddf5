"""A Merkle tree over a week's (member_id, amount_units) so any member can check inclusion.

Each settled week publishes one root; a member given their proof checks that their
amount is in the published set without seeing anyone else's (ARCHITECTURE.md: "a Merkle
root of (member, amount) per week is published").

The construction, fixed here because a verifier in another language must rebuild it
byte for byte:

* **Leaf**: ``sha256(0x00 || utf8(f"{member_id}:{amount_units}"))``. ``amount_units`` is
  the plain decimal integer of base units (no sign, no leading zeros, no separators).
  The text is unambiguous even if a member id contains ``:``, because the amount is
  the digits after the *last* colon.
* **Node**: ``sha256(0x01 || left || right)``. The different prefixes separate leaves
  from nodes, so no internal node can be presented as a leaf (the second-preimage attack
  on plain Merkle trees; RFC 6962 uses the same 0x00/0x01 prefixes).
* **Order**: leaves sorted by the UTF-8 bytes of the member id (the same as code-point
  order), so the root depends only on the set, not on input order. A member id may
  appear once; duplicates are refused rather than summed, since a duplicate means the
  caller built the set wrongly.
* **Odd node**: at a level with an odd number of nodes the last one is carried up to the
  next level unchanged (no sibling, no hash, no proof step). It is *not* paired with a
  copy of itself, which would let two different sets share a root (Bitcoin's
  CVE-2012-2459).
* **Empty set**: the root is ``sha256(b"")``. It cannot equal any leaf or node (those
  hash at least one prefix byte), so "nobody was paid" has its own, distinct root.

A proof is the list of sibling hashes from the leaf up to the root, each tagged with
the side the sibling is on: ``"L"`` (hash ``sibling || current``) or ``"R"`` (hash
``current || sibling``).

Pure, standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "EMPTY_ROOT",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "MerkleError",
    "MerkleTree",
    "ProofStep",
    "build_tree",
    "digest_from_hex",
    "digest_hex",
    "leaf_hash",
    "merkle_proof",
    "merkle_root",
    "node_hash",
    "proof_from_hex",
    "proof_to_hex",
    "verify_proof",
]

LEAF_PREFIX = b"\x00"
"""Prefix of leaf preimages (domain separation from internal nodes)."""
NODE_PREFIX = b"\x01"
"""Prefix of internal node preimages."""
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of a week with no entries."""
DIGEST_BYTES = 32
"""Length of a SHA-256 digest."""

Side = Literal["L", "R"]
ProofStep = tuple[Side, bytes]
"""One step of a proof: the side the sibling is on, and the sibling's hash."""


class MerkleError(ValueError):
    """The entries cannot form a tree (bad or duplicate entry) or a member is not in it."""


def leaf_hash(member_id: str, amount_units: int) -> bytes:
    """The leaf of one entry: ``sha256(0x00 || utf8(f"{member_id}:{amount_units}"))``.

    Raises:
        MerkleError: for an empty member id, one that is not encodable as UTF-8, or an
            amount that is not a non-negative ``int`` (a ``bool`` is refused: ``True``
            would silently hash as ``1``).
    """
    _check_entry(member_id, amount_units)
    return hashlib.sha256(LEAF_PREFIX + _leaf_text(member_id, amount_units)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An internal node: ``sha256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, slots=True)
class MerkleTree:
    """A built tree: every level kept, so each member's proof costs O(log n).

    Build it once with ``build_tree`` to publish a week's root and all its proofs;
    ``merkle_root`` and ``merkle_proof`` are one-shot conveniences over it.

    Attributes:
        levels: ``levels[0]`` are the sorted leaves, the last level is ``(root,)``; empty
            for an empty set.
        positions: member id → index of its leaf in ``levels[0]``.
    """

    levels: tuple[tuple[bytes, ...], ...]
    positions: Mapping[str, int]

    @property
    def root(self) -> bytes:
        """The root (``EMPTY_ROOT`` for no entries)."""
        return self.levels[-1][0] if self.levels else EMPTY_ROOT

    @property
    def root_hex(self) -> str:
        """The root as lower-case hex, as published."""
        return self.root.hex()

    def proof(self, member_id: str) -> list[ProofStep]:
        """The sibling path from ``member_id``'s leaf to the root.

        Raises:
            MerkleError: when the member has no entry in this tree.
        """
        try:
            index = self.positions[member_id]
        except KeyError:
            raise MerkleError(f"member {member_id!r} is not in the tree") from None
        steps: list[ProofStep] = []
        for level in self.levels[:-1]:
            if index % 2 == 1:
                steps.append(("L", level[index - 1]))
            elif index + 1 < len(level):
                steps.append(("R", level[index + 1]))
            # else: the odd last node is carried up unchanged; no step.
            index //= 2
        return steps


def build_tree(entries: Iterable[tuple[str, int]] | Mapping[str, int]) -> MerkleTree:
    """Build the tree of a set of ``(member_id, amount_units)`` entries.

    Args:
        entries: pairs in any order, or a mapping member id → amount.

    Raises:
        MerkleError: for a duplicate member id or an invalid entry (see ``leaf_hash``).
    """
    pairs = list(entries.items()) if isinstance(entries, Mapping) else list(entries)
    # A week has 100 000 entries: check each once (the full ``_check_entry`` only for
    # an entry the quick test doubts), hash the leaves and the nodes in comprehensions
    # with ``sha256`` bound locally, and build no object per entry.
    keyed: dict[bytes, tuple[str, int]] = {}
    for member_id, amount_units in pairs:
        if (
            type(member_id) is not str
            or not member_id
            or type(amount_units) is not int
            or amount_units < 0
        ):
            _check_entry(member_id, amount_units)
        try:
            key = member_id.encode("utf-8")
        except UnicodeEncodeError:
            _check_entry(member_id, amount_units)
            raise
        if key in keyed:
            raise MerkleError(f"member {member_id!r} appears more than once")
        keyed[key] = (member_id, amount_units)
    if not keyed:
        return MerkleTree(levels=(), positions=MappingProxyType({}))
    ordered = [keyed[key] for key in sorted(keyed)]
    sha256 = hashlib.sha256
    level = tuple(  # _leaf_text, inline
        sha256(LEAF_PREFIX + f"{member_id}:{amount}".encode()).digest()
        for member_id, amount in ordered
    )
    levels = [level]
    while len(level) > 1:
        parents = [
            sha256(NODE_PREFIX + left + right).digest()
            for left, right in zip(level[0:-1:2], level[1::2], strict=True)
        ]
        if len(level) % 2 == 1:
            parents.append(level[-1])
        level = tuple(parents)
        levels.append(level)
    positions = {member_id: index for index, (member_id, _) in enumerate(ordered)}
    return MerkleTree(levels=tuple(levels), positions=MappingProxyType(positions))


def merkle_root(entries: Iterable[tuple[str, int]] | Mapping[str, int]) -> bytes:
    """The root of a set of entries (``EMPTY_ROOT`` when there are none)."""
    return build_tree(entries).root


def merkle_proof(
    entries: Iterable[tuple[str, int]] | Mapping[str, int], member_id: str
) -> list[ProofStep]:
    """The proof for one member (builds the whole tree; use ``build_tree`` for many)."""
    return build_tree(entries).proof(member_id)


def verify_proof(
    root: bytes, member_id: str, amount_units: int, proof: Sequence[tuple[str, bytes]]
) -> bool:
    """Whether ``(member_id, amount_units)`` is in the set whose root is ``root``.

    Never raises on bad input: a malformed entry, side or sibling simply does not
    verify, so a verifier can pass untrusted data straight in.
    """
    try:
        current = leaf_hash(member_id, amount_units)
    except MerkleError:
        return False
    for step in proof:
        if not isinstance(step, tuple) or len(step) != 2:  # untrusted input
            return False
        side, sibling = step
        if not isinstance(sibling, bytes) or len(sibling) != DIGEST_BYTES:
            return False
        if side == "L":
            current = node_hash(sibling, current)
        elif side == "R":
            current = node_hash(current, sibling)
        else:
            return False
    return current == root


def digest_hex(digest: bytes) -> str:
    """A hash as lower-case hex (roots and siblings are published this way)."""
    return digest.hex()


def digest_from_hex(text: str) -> bytes:
    """A 32-byte hash from hex.

    Raises:
        MerkleError: when the text is not exactly 64 hex digits.
    """
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        raise MerkleError(f"{text!r} is not hex") from None
    if len(digest) != DIGEST_BYTES:
        raise MerkleError(f"a SHA-256 digest is {DIGEST_BYTES} bytes, got {len(digest)}")
    return digest


def proof_to_hex(proof: Sequence[ProofStep]) -> list[tuple[str, str]]:
    """A proof with hex siblings (JSON-friendly: ``[["L", "ab12…"], …]``)."""
    return [(side, sibling.hex()) for side, sibling in proof]


def proof_from_hex(steps: Iterable[Sequence[str]]) -> list[ProofStep]:
    """Read a proof back from ``proof_to_hex`` form.

    Raises:
        MerkleError: for a side other than ``"L"``/``"R"`` or a sibling that is not a
            64-digit hex digest.
    """
    proof: list[ProofStep] = []
    for step in steps:
        if len(step) != 2:
            raise MerkleError(f"a proof step is (side, sibling), got {step!r}")
        side, sibling_hex = step
        if side == "L":
            proof.append(("L", digest_from_hex(sibling_hex)))
        elif side == "R":
            proof.append(("R", digest_from_hex(sibling_hex)))
        else:
            raise MerkleError(f"proof side must be 'L' or 'R', got {side!r}")
    return proof


def _leaf_text(member_id: str, amount_units: int) -> bytes:
    return f"{member_id}:{amount_units}".encode()


def _check_entry(member_id: object, amount_units: object) -> None:
    if not isinstance(member_id, str) or not member_id:
        raise MerkleError(f"member id must be non-empty text, got {member_id!r}")
    try:
        member_id.encode("utf-8")
    except UnicodeEncodeError:
        raise MerkleError(f"member id {member_id!r} is not valid UTF-8 text") from None
    if not isinstance(amount_units, int) or isinstance(amount_units, bool) or amount_units < 0:
        raise MerkleError(f"amount_units must be a non-negative int, got {amount_units!r}")
