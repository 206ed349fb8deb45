"""The Review page's sidebar and a refused decision, as a reviewer meets them (found by a probe on
a 7,170-image store with two reviewers)."""

from sqlalchemy import select, update

from core.store.database import review_leases
from core.store.queries import merchant_ids
from core.store.reviews import active_decision, claim_next, decide, next_in_queue, release_leases
from pages.common.text import plain
from tests.pages.conftest import REVIEWER, make_app, texts


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _held(db, reviewer):
    with db.read() as conn:
        return list(
            conn.execute(select(review_leases.c.version_id).where(review_leases.c.reviewer == reviewer)).scalars()
        )


def test_a_new_order_shows_its_first_image_and_gives_the_held_one_back(db):
    """Changing "Queue order" kept the image on screen (it still matched), so the order seemed to do
    nothing. Now the first image of the new order is shown; a tick of a reason keeps the image."""
    at = make_app(REVIEWER, "pages/review.py")
    worst = next_in_queue(db, "rita", order="lowest_score")
    assert at.subheader[0].value == plain(worst.shown_name)
    oldest = next_in_queue(db, "rita", order="oldest")
    assert oldest.version_id != worst.version_id
    next(s for s in at.selectbox if s.label == "Queue order").set_value("oldest").run()
    assert not at.exception
    assert at.subheader[0].value == plain(oldest.shown_name)
    assert _held(db, "rita") == [oldest.version_id]  # the worst image went back to the team
    assert claim_next(db, "sam", order="lowest_score").version_id == worst.version_id
    release_leases(db, "sam")
    # An ordinary rerun (a reason ticked) keeps the image and its hold.
    next(m for m in at.multiselect if m.label.startswith("Reasons")).set_value(["other"]).run()
    assert at.subheader[0].value == plain(oldest.shown_name) and _held(db, "rita") == [oldest.version_id]
    # A filter changed counts as a new queue too; back to no filter, the first image again.
    issue = next(s for s in at.selectbox if s.label == "Only images with issue")
    issue.set_value("dark").run()
    dark = next_in_queue(db, "rita", order="oldest", issue="dark")
    assert at.subheader[0].value == plain(dark.shown_name)
    next(s for s in at.selectbox if s.label == "Only images with issue").set_value(None).run()
    assert at.subheader[0].value == plain(oldest.shown_name)
    # Undo still brings the decided image back.
    _button(at, "Approve").click().run()
    assert at.subheader[0].value != plain(oldest.shown_name)
    _button(at, "Undo my last decision").click().run()
    assert at.subheader[0].value == plain(oldest.shown_name)
    assert active_decision(db, oldest.version_id, "rita") is None


def test_only_merchant_is_a_picker_of_the_merchants_there_are(db):
    """The "Only merchant" field was an exact free-text id: "Bluefin" or "blue" matched nothing and nothing
    said why. It is now a picker of the known merchant ids, all merchants by default."""
    at = make_app(REVIEWER, "pages/review.py")
    assert not [t for t in at.text_input if t.label == "Only merchant"]
    box = next(s for s in at.selectbox if s.label == "Only merchant")
    known = merchant_ids(db)
    assert len(known) >= 2 and box.options == ["Any", *known] and box.value is None
    shop = known[-1]
    box.set_value(shop).run()
    assert not at.exception
    first = next_in_queue(db, "rita", merchant_id=shop)
    assert first.merchant_id == shop and at.subheader[0].value == plain(first.shown_name)
    assert f"Merchant {plain(shop)}" in texts(at)


def test_a_refused_decision_keeps_what_the_reviewer_wrote_on_screen(db):
    """Rita's hold lapsed while she wrote a comment and Sam decided the image: her decision is
    refused, the queue moves on, and her comment (with her reasons) stays on screen to copy, also
    across reruns, until she dismisses it."""
    at = make_app(REVIEWER, "pages/review.py")
    item = next_in_queue(db, "rita")
    next(m for m in at.multiselect if m.label.startswith("Reasons")).set_value(["other"])
    comment = "Reshoot on white: *not* [this](x) one"
    next(t for t in at.text_area if t.label == "Comment for the merchant").input(comment)
    at.run()
    with db.write() as conn:  # three minutes pass
        conn.execute(update(review_leases).values(expires_at="2000-01-01T00:00:00"))
    assert claim_next(db, "sam").version_id == item.version_id
    decide(db, version_id=item.version_id, reviewer="sam", decision="approved")
    _button(at, "Reject").click().run()
    assert not at.exception
    assert active_decision(db, item.version_id, "rita") is None
    assert any("Another reviewer decided this image" in e.value for e in at.error)
    assert at.subheader[0].value != plain(item.shown_name)  # the queue moved on
    assert [c.value for c in at.code] == [comment]  # as typed, to copy
    note = next(m.value for m in at.markdown if m.value.startswith("**Not saved:**"))
    assert plain(item.shown_name) in note and "rejected" in note and "reasons: Other" in note
    # The next image's form is empty (the comment belongs to the other image) ...
    assert next(t for t in at.text_area if t.label == "Comment for the merchant").value == ""
    # ... and the note outlives other reruns, until dismissed.
    next(m for m in at.multiselect if m.label.startswith("Reasons")).set_value(["other"]).run()
    assert [c.value for c in at.code] == [comment]
    _button(at, "Dismiss").click().run()
    assert not at.code and not any(m.value.startswith("**Not saved:**") for m in at.markdown)


def test_a_reviewer_is_told_when_another_merchant_stored_the_same_file(db):
    from core.services.catalog import image_bytes
    from core.store.intake import ingest_files
    from core.store.queries import list_images

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    ingest_files(db, [("copied.jpg", image_bytes(db, own))], merchant_id="copycat")
    at = make_app(REVIEWER, "pages/review.py")
    next(s for s in at.selectbox if s.label == "Only merchant").set_value("copycat").run()
    assert not at.exception and [t.value for t in at.subheader][:1] == [plain("copied.jpg")]
    note = next(w.value for w in at.warning if "The same file is also stored by another merchant" in w.value)
    assert plain(own.shown_name) in note and plain("acme-home") in note and f"#{own.version_id}" in note


def test_the_copies_filter_shows_only_files_another_merchant_stored_too(db):
    """The sidebar's copies filter hands out only the files two merchants stored (both copies) and
    counts just those."""
    from core.services.catalog import image_bytes
    from core.store.intake import ingest_files
    from core.store.queries import list_images

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    ingest_files(db, [("copied.jpg", image_bytes(db, own))], merchant_id="copycat")
    at = make_app(REVIEWER, "pages/review.py")
    next(c for c in at.checkbox if c.label == "Also stored by another merchant").check().run()
    assert not at.exception
    assert any("The same file is also stored by another merchant" in w.value for w in at.warning)
    progress = at.get("progress")[0].proto.text
    assert progress == "0 decided by you · 2 left for the team (of the images the sidebar's filters select)"
    # The copy stored later is the one suggested "Copied photo" as a reason; the first, not.
    shown = {t.value for t in at.subheader}
    for _ in range(2):
        reasons = next(m for m in at.multiselect if m.label.startswith("Reasons")).value
        later = plain("copied.jpg") in {t.value for t in at.subheader}
        assert ("copied" in reasons) == later, reasons
        _button(at, "Skip").click().run()
        shown |= {t.value for t in at.subheader}
    assert {plain("copied.jpg"), plain(own.shown_name)} <= shown


def test_a_file_the_merchant_uploaded_for_two_skus_is_pointed_out_with_a_reason(db, photo):
    """A copy is stored once per merchant, so the "blue" SKU's upload of the black shirt's photo left
    the reviewer nothing to see; now its SKU is kept with the image, and the reviewer is told."""
    from core.services.upload import ingest_uploads
    from tests.conftest import encode

    shirt = encode(photo[::8, ::8].copy())
    for name, sku in (("shirt-black.png", "SH-BLACK"), ("shirt-blue.png", "SH-BLUE")):
        ingest_uploads(db, [(name, shirt)], merchant_id="reuse-shop", uploaded_by="mia", sku=sku)
    at = make_app(REVIEWER, "pages/review.py")
    next(s for s in at.selectbox if s.label == "Only merchant").set_value("reuse-shop").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.subheader[0].value == plain("shirt-black.png")
    (note,) = [w.value for w in at.warning if "uploaded for another SKU" in w.value]
    assert plain("'SH-BLUE'") in note and "One photo for two products?" in note
    assert "duplicate" in next(m for m in at.multiselect if m.label.startswith("Reasons")).value
