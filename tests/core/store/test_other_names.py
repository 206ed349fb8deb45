"""A file is stored once per merchant; the other names and SKUs it was uploaded under are kept
with the image, once each, so a photo reused for two products reaches a reviewer."""

from __future__ import annotations

from core.services.upload import ingest_uploads
from core.store.queries import list_images, other_names
from tests.conftest import encode


def _upload(store, files, sku=""):
    return ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia", sku=sku).report.results


def test_other_names_and_skus_are_kept_once_each(store, photo):
    shirt = encode(photo[::4, ::4].copy())
    (first,) = _upload(store, [("shirt-black.png", shirt)], sku="SH-BLACK")
    vid = first.version_id
    assert other_names(store, vid).count == 0
    # Again under its own name and SKU, and under its own name without a SKU: nothing new to list.
    _upload(store, [("shirt-black.png", shirt)], sku="SH-BLACK")
    _upload(store, [("shirt-black.png", shirt)])
    assert other_names(store, vid).count == 0
    # A copy within one upload, and later uploads for another SKU (twice: listed once).
    copies = _upload(store, [("shirt-2.png", shirt), ("shirt-3.png", shirt)])
    assert [r.status for r in copies] == ["duplicate", "duplicate"]
    _upload(store, [("shirt-blue.png", shirt)], sku="SH-BLUE")
    _upload(store, [("shirt-blue.png", shirt)], sku="SH-BLUE")
    _upload(store, [("<b>red</b>.png", shirt)], sku="SH-RED")
    names = other_names(store, vid, limit=3)
    assert [(n.name, n.sku, n.uploaded_by) for n in names.names] == [
        ("shirt-2.png", "", "mia"),
        ("shirt-3.png", "", "mia"),
        ("shirt-blue.png", "SH-BLUE", "mia"),
    ]
    assert names.count == 4 and names.own_sku == "SH-BLACK"
    assert names.other_skus == ("SH-BLUE", "SH-RED")  # every one, not only those of the names listed
    assert len(list_images(store, merchant_id="acme")) == 1  # still one image: the file is stored once


def test_a_fix_shares_its_originals_other_names_and_another_merchants_copy_is_not_one(store, photo):
    from core.store.database import images, versions

    shirt = encode(photo[::4, ::4].copy())
    (first,) = _upload(store, [("a.png", shirt)], sku="A-1")
    _upload(store, [("b.png", shirt)], sku="B-1")
    ingest_uploads(store, [("c.png", shirt)], merchant_id="lumen", uploaded_by="leo", sku="C-1")
    assert other_names(store, first.version_id).other_skus == ("B-1",)  # not lumen's: that is a copy elsewhere
    with store.write() as conn:  # a fix of the same image
        row = conn.execute(versions.select().where(versions.c.id == first.version_id)).mappings().one()
        fix_id = conn.execute(
            versions.insert().values(
                {**{k: v for k, v in row.items() if k != "id"}, "kind": "optimized", "parent_id": first.version_id}
            )
        ).inserted_primary_key[0]
        assert conn.execute(images.select().where(images.c.id == row["image_id"])).first() is not None
    assert other_names(store, fix_id).other_skus == ("B-1",)
    assert other_names(store, 10_000).count == 0  # no such version
