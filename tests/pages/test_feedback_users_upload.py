import io

import pandas as pd

from core.store.accounts import authenticate
from core.store.feedback import feedback_csv, feedback_frame
from core.store.queries import list_images
from core.store.reviews import decide
from pages.common.text import plain
from tests.pages.conftest import ADMIN, MERCHANT, REVIEWER, make_app, texts


def _decide_some(db):
    recs = list_images(db)
    # Rita approves the better-scored half (the split follows the engine's calibration, so
    # there are always enough of each decision for the analytics).
    cut = sorted(r.score for r in recs[:12])[6]
    for i, r in enumerate(recs[:12]):
        good = r.score >= cut
        decide(
            db,
            version_id=r.version_id,
            reviewer="rita",
            decision="approved" if good else "rejected",
            reasons=() if good else ["other"],
            profile="generic",
        )
        if i % 2 == 0:
            decide(
                db,
                version_id=r.version_id,
                reviewer="sam",
                decision="approved" if i % 4 == 0 else "rejected",
                reasons=() if i % 4 == 0 else ["blurry"],
                profile="generic",
            )
    return recs


def test_feedback_table_filters_and_csv_match(db):
    _decide_some(db)
    at = make_app(REVIEWER, "pages/feedback.py")
    assert any(s.value == "18 decisions" for s in at.subheader)
    next(s for s in at.selectbox if s.key == "fb_rev").set_value("sam").run()
    assert any(s.value == "6 decisions" for s in at.subheader)
    shown = at.dataframe[0].value
    assert set(shown["reviewer"]) == {"sam"} and len(shown) == 6
    # The download holds exactly the filtered rows.
    button = next(e for e in at.get("download_button") if "CSV" in e.proto.label)
    assert button is not None
    from core.store.feedback import FeedbackFilter

    expected = feedback_csv(
        feedback_frame(db, FeedbackFilter(reviewer="sam", date_from=shown["decided_at"].min()[:10]))
    )
    rows = pd.read_csv(io.BytesIO(expected), encoding="utf-8-sig")
    assert sorted(rows["version_id"]) == sorted(shown["version_id"])


def test_feedback_analytics_render(db):
    _decide_some(db)
    at = make_app(ADMIN, "pages/feedback.py")
    assert not at.exception
    headers = [h.value for h in at.header]
    assert headers == [
        "What separates approved from rejected images",
        "Reviewer agreement",
        "Thresholds tuned to the reviewers",
    ]
    agreement = next(d.value for d in at.dataframe if "kappa" in d.value.columns)
    assert list(agreement[["reviewer_a", "reviewer_b", "images"]].iloc[0]) == ["rita", "sam", 6]
    assert len(at.get("plotly_chart")) == 2


def test_admin_creates_a_user(db):
    at = make_app(ADMIN, "pages/users.py")
    at.text_input[0].input("newbie")
    at.selectbox[0].set_value("merchant")
    at.text_input[1].input("shop-9")
    at.text_input[2].input("long enough pw")
    next(b for b in at.button if b.label == "Create user").click().run()
    assert not at.exception
    u = authenticate(db, "newbie", "long enough pw")
    assert u is not None and u.role == "merchant" and u.merchant_id == "shop-9"


def test_admin_gets_a_reason_for_a_bad_account(db):
    at = make_app(ADMIN, "pages/users.py")
    at.text_input[0].input("x")
    at.text_input[2].input("short")
    next(b for b in at.button if b.label == "Create user").click().run()
    assert plain("User names are 2-64 letters") in texts(at)


def test_upload_page_per_role(db):
    at = make_app(MERCHANT, "pages/upload.py")
    assert "Uploading for your shop acme\\-home." in texts(at)  # merchant text as plain text
    assert not any(t.label == "Merchant id" for t in at.text_input)
    at = make_app(ADMIN, "pages/upload.py")
    assert any(t.label == "Merchant id" for t in at.text_input)
    next(b for b in at.button if b.label == "Upload and score").click().run()
    assert "Enter the merchant id first." in texts(at)


def test_feedback_analytics_wait_for_enough_decisions(db):
    recs = list_images(db)
    decide(db, version_id=recs[0].version_id, reviewer="rita", decision="approved", profile="generic")
    decide(
        db, version_id=recs[1].version_id, reviewer="rita", decision="rejected", reasons=["blurry"], profile="generic"
    )
    at = make_app(REVIEWER, "pages/feedback.py")
    assert "Too few decisions to learn from yet: 1 approved and 1 rejected" in texts(at)
    assert not at.header  # no analytics drawn from two decisions


def test_upload_page_states_the_limits_really_enforced(db):
    from core.engine.loading import DEFAULT_MAX_BYTES
    from core.services.upload import upload_limits
    from core.store.settings import max_pixels

    at = make_app(ADMIN, "pages/upload.py")
    shown = " ".join(i.value for i in at.info)
    assert f"{DEFAULT_MAX_BYTES / 1024**2:g} MB" in shown and f"{max_pixels() / 1e6:g} megapixels" in shown
    assert (
        "JPEG (.jpg, .jpeg, .jpe, .jfif, .pjpeg, .pjp)" in shown and "TIFF (.tif, .tiff)" in shown and "500 MB" in shown
    )
    uploaders = {u.proto.label.split(" (")[0]: u.proto for u in at.get("file_uploader")}
    assert uploaders["Images"].max_upload_size_mb == upload_limits().max_image_bytes // 1024**2
    manifest = next(u for label, u in uploaders.items() if label.startswith("Manifest CSV"))
    assert manifest.max_upload_size_mb == upload_limits().max_manifest_bytes // 1024**2  # 5, not Streamlit's 500
    assert {"jpeg", "tiff"} <= {t.lstrip(".") for t in uploaders["Images"].type}


def test_feedback_while_the_date_range_is_being_picked(db):
    """The date picker holds one day until the second is chosen: that day's decisions are shown."""
    import datetime as dt

    _decide_some(db)
    at = make_app(REVIEWER, "pages/feedback.py")
    today = dt.datetime.now(dt.UTC).date()  # decision times are stored in UTC
    next(d for d in at.date_input if d.key == "fb_dates").set_value((today,)).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(s.value == "18 decisions" for s in at.subheader)  # all decided today


def test_feedback_table_shows_the_name_the_merchant_gave(db, photo):
    from core.store.intake import ingest_files
    from tests.conftest import encode

    ingest_files(db, [("<b>bold</b>.jpg", encode(photo, "JPEG"))], merchant_id="acme")
    rec = next(r for r in list_images(db) if r.display_name == "<b>bold</b>.jpg")
    decide(db, version_id=rec.version_id, reviewer="rita", decision="approved", profile="generic")
    at = make_app(REVIEWER, "pages/feedback.py")
    assert list(at.dataframe[0].value["file_name"]) == ["<b>bold</b>.jpg"]
