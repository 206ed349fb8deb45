import pandas as pd

from core.engine.checks import Issue
from core.services.catalog import (
    catalog_frame,
    decision_counts,
    findings,
    image_bytes,
    marketplace_checklist,
    open_version,
    pickable_versions,
)
from core.services.profiles import profile_names
from core.store.queries import list_images
from core.store.reviews import decide


def test_decision_counts_cover_every_status():
    frame = pd.DataFrame({"status": ["approved", "unreviewed", "approved", "needs_changes"]})
    assert decision_counts(frame) == {"unreviewed": 1, "approved": 2, "rejected": 0, "needs_changes": 1}


def test_counts_follow_decisions(seeded):
    rec = list_images(seeded)[0]
    decide(seeded, version_id=rec.version_id, reviewer="rita", decision="rejected", reasons=["blurry"])
    counts = decision_counts(catalog_frame(seeded, profile="generic"))
    assert counts["rejected"] == 1 and counts["unreviewed"] == len(list_images(seeded)) - 1


def test_marketplace_checklist_has_a_row_per_profile(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    rows = marketplace_checklist(seeded, rec.version_id)
    assert [r.profile for r in rows] == profile_names(seeded)
    generic = next(r for r in rows if r.profile == "generic")
    assert generic.score == round(rec.score, 1) and generic.issues == rec.issues and not generic.passes
    assert all(r.rules for r in rows if r.profile != "generic") and all(r.title for r in rows)


def test_findings_are_issues_worst_first(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    issues, points = findings(seeded, rec.version_id, profile="generic")
    assert issues and all(isinstance(i, Issue) for i in issues)
    assert [i.name for i in issues] == list(rec.issues)
    assert "dark" in points and abs(sum(points.values()) - (100 - rec.score)) < 1e-6
    assert findings(seeded, 99999, profile="generic") == ([], {})


def test_merchants_open_only_their_own_versions(seeded):
    mine = pickable_versions(seeded, profile="generic", merchant_id="acme-home")
    assert mine and {r.merchant_id for r in mine} == {"acme-home"}
    other = next(r for r in list_images(seeded) if r.merchant_id != "acme-home")
    assert open_version(seeded, other.version_id, profile="generic", merchant_id="acme-home") is None
    assert open_version(seeded, other.version_id, profile="generic", merchant_id=None) == other
    assert image_bytes(seeded, other)[:2] in (b"\xff\xd8", b"\x89P")


def test_previews_are_at_most_the_asked_size(seeded):
    from core.services.catalog import preview_pixels

    rec = list_images(seeded)[0]
    pix = preview_pixels(seeded, sha256=rec.sha256, blob_path=rec.blob_path, side=256)
    assert max(pix.shape[:2]) <= 256 and pix.dtype.name == "uint8" and pix.shape[2] == 3
    again = preview_pixels(seeded, sha256=rec.sha256, blob_path=rec.blob_path, side=256)
    assert (again == pix).all()


def test_the_picker_is_bounded_and_always_holds_the_version_asked_for(seeded):
    every = list_images(seeded, kind=None)
    assert len(every) > 4
    first = pickable_versions(seeded, profile="generic", merchant_id=None, limit=3)
    assert [r.version_id for r in first] == [r.version_id for r in every[:3]]
    assert all(r.metrics == {} for r in first)  # labels only; the chosen version is read whole
    last = every[-1]
    picked = pickable_versions(seeded, profile="generic", merchant_id=None, around=last.version_id, limit=3)
    assert [r.version_id for r in picked] == [*(r.version_id for r in every[:3]), last.version_id]
    # a version the user may not open (or that does not exist) adds nothing
    other = next(r for r in every if r.merchant_id != "acme-home")
    mine = pickable_versions(seeded, profile="generic", merchant_id="acme-home", around=other.version_id, limit=2)
    assert len(mine) == 2 and {r.merchant_id for r in mine} == {"acme-home"}
    assert len(pickable_versions(seeded, profile="generic", merchant_id=None, around=99999, limit=2)) == 2


def test_the_checklist_says_which_marketplaces_do_not_take_the_file_type(store, product):
    """A phone's HEIC is read and scored like any photo; Amazon and Google take no HEIC files, so
    their rows fail on the file type alone, saying which types they take. It moves no score."""
    from core.store.intake import ingest_files
    from tests.conftest import encode

    photo = product[::2, ::2].copy()
    report = ingest_files(
        store,
        [("phone.heic", encode(photo, "HEIF", quality=90)), ("web.jpg", encode(photo, "JPEG", quality=92))],
        merchant_id="acme",
    )
    heic, jpeg = (r.version_id for r in report.added)
    rows = {r.profile: r for r in marketplace_checklist(store, heic)}
    assert rows["amazon"].file_note == "HEIC files not taken: only JPEG, PNG, TIFF or GIF"
    assert rows["google"].file_note == "HEIC files not taken: only JPEG, PNG, WebP, GIF, BMP or TIFF"
    assert not rows["amazon"].passes and "HEIC" not in "".join(rows["amazon"].issues)  # a fact, not a check
    assert rows["generic"].file_note == "" and rows["shopify"].file_note == ""  # no file-type rule stated
    assert all(r.file_note == "" for r in marketplace_checklist(store, jpeg))
