"""The near-duplicate index forgets images an ingest took back."""

from core.engine.duplicates import DuplicateIndex

A, B = "0f" * 8, "f0" * 8  # two hashes 64 bits apart: not the same photo


def test_truncate_forgets_the_images_added_last_and_matches_as_before_them():
    index = DuplicateIndex()
    index.add("1", "sha-a", A, label="a.png")
    size = len(index.keys)
    index.check_and_add("2", "sha-b", B, label="b.png")
    assert index.nearest("sha-b", B).key == "2"  # a copy of b matches b while b is kept

    index.truncate(size)
    again = index.nearest("sha-b", B)
    assert again is not None and (again.key, again.exact, again.distance) == ("1", False, 64)
    assert (index.keys, index.labels, list(index.by_sha)) == (["1"], ["a.png"], ["sha-a"])
    index.add("3", "sha-b", B, label="b again.png")  # stored under its new key
    assert index.nearest("sha-b", B).key == "3"


def test_truncate_keeps_an_earlier_image_with_the_same_bytes():
    index = DuplicateIndex()
    index.add("1", "sha-a", A, label="a.png")
    index.add("2", "sha-a", A, label="copy.png")  # the same bytes: "1" stays the exact match
    index.truncate(1)
    assert index.nearest("sha-a", A).key == "1" and index.by_sha == {"sha-a": "1"}
    index.truncate(5)  # nothing added after: nothing to forget
    assert index.keys == ["1"]
