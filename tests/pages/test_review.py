from core.store.feedback import FeedbackFilter, feedback_frame
from core.store.reviews import active_decision, next_in_queue, progress
from pages.common.text import plain
from tests.pages.conftest import REVIEWER, make_app, texts


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_decision_from_review_page_is_stored_and_exported(db):
    first = next_in_queue(db, "rita", order="lowest_score")
    at = make_app(REVIEWER, "pages/review.py")
    assert "0 decided by you · 20 left for the team" in at.get("progress")[0].proto.text
    # The first item is the worst-scored image, with reasons pre-filled from its issues.
    assert at.subheader[0].value == plain(first.file_name)  # merchant text shown as plain text
    reasons = next(m for m in at.multiselect if m.label.startswith("Reasons"))
    suggested = list(reasons.value)
    assert suggested  # suggested from detected issues
    at.text_area[0].input("Please reshoot with more light")
    _button(at, "Reject").click().run()
    assert not at.exception
    d = active_decision(db, first.version_id, "rita")
    assert d.decision == "rejected" and d.reasons == tuple(suggested) and d.comment == "Please reshoot with more light"
    assert d.opened_at is not None and d.decided_at >= d.opened_at
    # Automatic advance to the next image, progress updated.
    assert at.subheader[0].value != plain(first.file_name)
    assert progress(db, "rita") == (1, 19)
    frame = feedback_frame(db, FeedbackFilter(reviewer="rita"))
    assert list(frame["version_id"]) == [first.version_id] and frame.iloc[0]["decision"] == "rejected"


def test_reject_needs_a_reason_and_nothing_is_written(db):
    at = make_app(REVIEWER, "pages/review.py")
    item = next_in_queue(db, "rita")
    next(m for m in at.multiselect if m.label.startswith("Reasons")).set_value([]).run()
    _button(at, "Reject").click().run()
    assert "needs at least one reason" in texts(at)
    assert active_decision(db, item.version_id, "rita") is None
    # Right above the buttons, where a keyboard reviewer looks, not at the top of the queue.
    order = [(n.type, getattr(n, "label", None) or getattr(n, "value", None)) for n in _walk(at.main)]
    error_at = next(i for i, (kind, v) in enumerate(order) if kind == "error" and "needs at least one reason" in str(v))
    assert order[error_at + 1 :].index(("button", "Approve")) < 4
    assert error_at > next(i for i, (kind, v) in enumerate(order) if kind == "multiselect")


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def test_the_page_says_what_a_decision_applies_to(db):
    at = make_app(REVIEWER, "pages/review.py")
    assert "Your decision applies to the original (left), as uploaded" in texts(at)


def test_approve_skip_and_undo(db):
    at = make_app(REVIEWER, "pages/review.py")
    first = at.subheader[0].value
    _button(at, "Skip").click().run()
    second = at.subheader[0].value
    assert second != first
    _button(at, "Approve").click().run()
    assert progress(db, "rita")[0] == 1
    _button(at, "Undo my last decision").click().run()
    assert progress(db, "rita")[0] == 0
    assert at.subheader[0].value == second  # the undone image is back (the skipped one stays skipped)


def test_keyboard_shortcuts_are_declared(db):
    at = make_app(REVIEWER, "pages/review.py")
    shortcuts = {b.label: b.proto.shortcut.upper() for b in at.button}
    assert shortcuts["Approve"] == "A" and shortcuts["Reject"] == "X" and shortcuts["Needs changes"] == "N"
    assert shortcuts["Skip"] == "S" and shortcuts["Undo my last decision"] == "Z"
    # A rejection's reasons are chosen one by one: no "Select all" that would tag every reason.
    reasons = next(m for m in at.multiselect if m.label.startswith("Reasons"))
    assert reasons.proto.select_all == 0


def _open_bulk_panel(at):  # type: ignore[no-untyped-def]
    at.session_state["bulk_open"] = True  # as clicking its header does (the expander reruns the page)
    return at.run()


def test_bulk_approve_asks_with_the_count_and_one_undo_takes_it_back(db):
    at = make_app(REVIEWER, "pages/review.py")
    assert not [b for b in at.button if b.label.startswith("Approve all ")]  # built only once opened
    _open_bulk_panel(at)
    next(s for s in at.slider if s.label == "Score at least").set_value(0).run()
    next(c for c in at.checkbox if c.label == "Only images with no issue").uncheck().run()
    start = next(b for b in at.button if b.label.startswith("Approve all "))
    n = int(start.label.split()[2])
    assert n == progress(db, "rita")[1] == 20  # every open image (the one on screen included)
    start.click().run()
    assert progress(db, "rita")[0] == 0  # nothing written before the confirmation
    assert any(f"Approve these {n} images?" in w.value for w in at.warning)
    _button(at, f"Yes, approve {n} images").click().run()
    assert not at.exception
    assert progress(db, "rita")[0] == n
    _button(at, "Undo my last decision").click().run()
    assert progress(db, "rita")[0] == 0


def test_the_issue_filter_narrows_the_queue(db):
    at = make_app(REVIEWER, "pages/review.py")
    box = next(s for s in at.selectbox if s.label == "Only images with issue")
    assert box.value is None and box.format_func(None) == "Any"
    box.set_value("dark").run()
    assert not at.exception
    dark = next_in_queue(db, "rita", order="lowest_score", issue="dark")
    assert at.subheader[0].value == plain(dark.file_name) and "dark" in dark.issues
    done, remaining = progress(db, "rita", issue="dark")
    assert (
        f"{done} decided by you · {remaining} left for the team" in at.get("progress")[0].proto.text
        and 0 < remaining < 20
    )
    # Rita decides two images that are not dark elsewhere, then every dark one here: "decided"
    # counts the dark ones only, and the queue says nothing matches the filter any more (other
    # images still wait), not that all work is done.
    from core.store.queries import list_images
    from core.store.reviews import decide

    for other in [r for r in list_images(db) if "dark" not in r.issues][:2]:
        decide(db, version_id=other.version_id, reviewer="rita", decision="approved", profile="generic")
    while progress(db, "rita", issue="dark")[1]:
        _button(at, "Approve").click().run()
    text = at.get("progress")[0].proto.text
    assert text.startswith(f"{done + remaining} decided by you · 0 left for the team"), text
    assert any("matches the sidebar's filters" in i.value for i in at.info) and "Nice work" not in texts(at)


def test_issues_are_named_in_words_not_codes(db):
    from core.vocabulary import ISSUE_LABELS, ISSUE_NAMES, issue_label

    assert set(ISSUE_LABELS) == set(ISSUE_NAMES)  # every issue has its words
    at = make_app(REVIEWER, "pages/review.py")
    item = next_in_queue(db, "rita", order="lowest_score")
    assert item.issues, "the worst-scored sample image has issues"
    # Each finding is a coloured badge with the issue's name, then its message.
    shown = [m.value for m in at.markdown if "-badge[:material/" in m.value]
    assert len(shown) == len(item.issues), shown
    for name in item.issues:
        assert any(s.split(": ", 1)[1].startswith(f"{plain(issue_label(name))}] ") for s in shown), (name, shown)
    assert not any(name in s for name in item.issues for s in shown if "_" in name)
    only = next(s for s in at.selectbox if s.label == "Only images with issue")
    assert only.format_func("low_resolution") == "Low resolution"


def test_a_fix_that_blows_the_product_out_is_called_out(db):
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version
    from core.store.queries import list_images

    # A contrast gain of 3 on a flat poster: it scores lowest, so it is the first item.
    rec = next(r for r in list_images(db) if r.file_name == "rocket_poster_flat.jpg")
    recipe = Recipe((Step("brightness_contrast", {"alpha": 3.0}).validated(),))
    fix = save_fixed_version(db, rec, recipe, created_by="mia").version_id
    assert next_in_queue(db, "rita", order="lowest_score").version_id == fix
    at = make_app(REVIEWER, "pages/review.py")
    assert not at.exception
    assert any(
        "This fix blows out" in w.value and "of the product compared with the original" in w.value for w in at.warning
    )
    assert "Your decision applies to the submitted fix" in texts(at)
