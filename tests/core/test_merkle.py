"""The weekly Merkle tree: every member's proof verifies, anything altered does not."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systok.core.merkle import (
    EMPTY_ROOT,
    MerkleError,
    build_tree,
    digest_from_hex,
    digest_hex,
    leaf_hash,
    merkle_proof,
    merkle_root,
    node_hash,
    proof_from_hex,
    proof_to_hex,
    verify_proof,
)

MEMBER_IDS = st.text(min_size=1, max_size=12).filter(
    lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
)
AMOUNTS = st.integers(0, 10**15)
ENTRY_SETS = st.dictionaries(MEMBER_IDS, AMOUNTS, min_size=1, max_size=40)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- the construction, byte for byte ---------------------------------------------------


def test_leaf_is_prefixed_hash_of_member_colon_amount() -> None:
    assert leaf_hash("m001", 1_584_000_000) == sha(b"\x00m001:1584000000")


def test_single_leaf_tree_is_its_leaf_with_an_empty_proof() -> None:
    root = merkle_root([("m001", 5)])
    assert root == leaf_hash("m001", 5)
    assert merkle_proof([("m001", 5)], "m001") == []
    assert verify_proof(root, "m001", 5, [])
    assert not verify_proof(root, "m001", 6, [])


def test_two_leaf_tree_sorts_by_member_id() -> None:
    a, b = leaf_hash("alice", 10), leaf_hash("bob", 20)
    expected = sha(b"\x01" + a + b)
    assert merkle_root([("bob", 20), ("alice", 10)]) == expected
    assert merkle_proof([("bob", 20), ("alice", 10)], "alice") == [("R", b)]
    assert merkle_proof([("bob", 20), ("alice", 10)], "bob") == [("L", a)]


def test_odd_node_is_carried_up_unchanged() -> None:
    entries = [("a", 1), ("b", 2), ("c", 3)]
    a, b, c = (leaf_hash(m, v) for m, v in entries)
    # Level 1 is (H(a,b), c): c is carried, not paired with itself.
    assert merkle_root(entries) == node_hash(node_hash(a, b), c)
    assert merkle_proof(entries, "c") == [("L", node_hash(a, b))]
    assert merkle_proof(entries, "a") == [("R", b), ("R", c)]


def test_carrying_differs_from_duplicating_the_last_leaf() -> None:
    # With duplication, [a, b, c] and [a, b, c, c] would share a root (CVE-2012-2459).
    three = merkle_root([("a", 1), ("b", 2), ("c", 3)])
    a, b, c = leaf_hash("a", 1), leaf_hash("b", 2), leaf_hash("c", 3)
    assert three != node_hash(node_hash(a, b), node_hash(c, c))


def test_empty_set_has_its_own_root() -> None:
    assert merkle_root([]) == EMPTY_ROOT == sha(b"")
    assert build_tree({}).root_hex == sha(b"").hex()


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    # A node's children, read as a "leaf text", do not hash to the node.
    a, b = leaf_hash("a", 1), leaf_hash("b", 2)
    assert node_hash(a, b) != sha(b"\x00" + a + b)
    assert node_hash(a, b) != sha(a + b)


# --- properties over random sets ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(entries=ENTRY_SETS)
def test_every_members_proof_verifies(entries: dict[str, int]) -> None:
    tree = build_tree(entries)
    for member_id, amount_units in entries.items():
        proof = tree.proof(member_id)
        assert verify_proof(tree.root, member_id, amount_units, proof)
        assert len(proof) <= max(1, len(entries) - 1).bit_length()


@settings(max_examples=100, deadline=None)
@given(entries=ENTRY_SETS, seed=st.integers(0, 2**32))
def test_input_order_does_not_matter(entries: dict[str, int], seed: int) -> None:
    pairs = list(entries.items())
    shuffled = pairs[:]
    random.Random(seed).shuffle(shuffled)
    assert merkle_root(pairs) == merkle_root(shuffled) == merkle_root(entries)


@settings(max_examples=100, deadline=None)
@given(entries=ENTRY_SETS, data=st.data())
def test_a_wrong_amount_member_or_proof_fails(entries: dict[str, int], data: st.DataObject) -> None:
    tree = build_tree(entries)
    member_id = data.draw(st.sampled_from(sorted(entries)))
    amount_units = entries[member_id]
    proof = tree.proof(member_id)

    assert not verify_proof(tree.root, member_id, amount_units + 1, proof)
    stranger = data.draw(MEMBER_IDS.filter(lambda m: m not in entries))
    assert not verify_proof(tree.root, stranger, amount_units, proof)
    assert not verify_proof(sha(b"another week"), member_id, amount_units, proof)
    if proof:
        index = data.draw(st.integers(0, len(proof) - 1))
        side, sibling = proof[index]
        flipped = bytes([sibling[0] ^ 1]) + sibling[1:]
        tampered = [*proof[:index], (side, flipped), *proof[index + 1 :]]
        assert not verify_proof(tree.root, member_id, amount_units, tampered)
        other_side = "R" if side == "L" else "L"
        swapped = [*proof[:index], (other_side, sibling), *proof[index + 1 :]]
        assert not verify_proof(tree.root, member_id, amount_units, swapped)
        assert not verify_proof(tree.root, member_id, amount_units, proof[:-1])


@settings(max_examples=50, deadline=None)
@given(entries=ENTRY_SETS, data=st.data())
def test_changing_any_entry_changes_the_root(entries: dict[str, int], data: st.DataObject) -> None:
    member_id = data.draw(st.sampled_from(sorted(entries)))
    changed = {**entries, member_id: entries[member_id] + 1}
    assert merkle_root(changed) != merkle_root(entries)
    if len(entries) > 1:
        removed = {m: v for m, v in entries.items() if m != member_id}
        assert merkle_root(removed) != merkle_root(entries)


# --- refusals and malformed input ---------------------------------------------------------


def test_duplicate_members_are_refused() -> None:
    with pytest.raises(MerkleError, match="more than once"):
        merkle_root([("m1", 5), ("m2", 1), ("m1", 5)])


@pytest.mark.parametrize(
    ("member_id", "amount_units"),
    [("", 1), ("m1", -1), ("m1", True), ("m1", 1.0), (7, 1), ("\ud800", 1)],
)
def test_invalid_entries_are_refused(member_id: object, amount_units: object) -> None:
    with pytest.raises(MerkleError):
        merkle_root([(member_id, amount_units)])  # type: ignore[list-item]


def test_proof_for_an_absent_member_is_refused() -> None:
    with pytest.raises(MerkleError, match="not in the tree"):
        merkle_proof([("m1", 5)], "m2")


def test_verify_never_raises_on_malformed_input() -> None:
    entries = [("a", 1), ("b", 2)]
    root = merkle_root(entries)
    proof = merkle_proof(entries, "a")
    assert verify_proof(root, "a", 1, proof)
    assert not verify_proof(root, "a", 1, [("X", proof[0][1])])
    assert not verify_proof(root, "a", 1, [("R", proof[0][1][:-1])])
    assert not verify_proof(root, "a", 1, [("R",)])  # type: ignore[list-item]
    assert not verify_proof(root, "a", -1, proof)
    assert not verify_proof(root, "", 1, proof)


def test_member_ids_with_colons_do_not_collide() -> None:
    # "a:1" with 5 and "a" with "1:5" would be the same text, but amounts are integers.
    assert leaf_hash("a:1", 5) != leaf_hash("a", 15)
    assert leaf_hash("a:1", 5) == sha(b"\x00a:1:5")


# --- hex helpers ---------------------------------------------------------------------------


def test_hex_round_trip() -> None:
    entries = {f"m{n:03d}": n * 1_000_000 for n in range(1, 12)}
    tree = build_tree(entries)
    assert digest_from_hex(digest_hex(tree.root)) == tree.root
    assert tree.root_hex == digest_hex(tree.root)
    proof = tree.proof("m007")
    as_hex = proof_to_hex(proof)
    assert all(len(sibling) == 64 for _, sibling in as_hex)
    assert proof_from_hex(as_hex) == proof
    assert verify_proof(digest_from_hex(tree.root_hex), "m007", 7_000_000, proof_from_hex(as_hex))


@pytest.mark.parametrize("text", ["zz", "ab" * 31, "ab" * 33])
def test_bad_hex_is_refused(text: str) -> None:
    with pytest.raises(MerkleError):
        digest_from_hex(text)


def test_bad_hex_proof_side_is_refused() -> None:
    with pytest.raises(MerkleError, match="side"):
        proof_from_hex([("X", "ab" * 32)])
