"""The review desk: the reviewer's queue, recording decisions, and showing them afterwards.

Rules that used to sit in the Review and Inspect pages live here: an approval carries no reasons,
which issue suggests which reason, what a reviewer compares (an original against the engine's
proposed fix, or a submitted fix against its original), and that merchants see the current
decisions on their images without the reviewers' names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.engine.autofix import auto_recipe
from core.engine.operations import PREVIEW_SIDE
from core.engine.recipe import Recipe, RecipeError
from core.engine.wording import operation_labels
from core.services.access import may_set_double_review, sees_reviewer_names
from core.services.optimize import Similarity, recipe_similarity
from core.store.blobs import display_pixels
from core.store.database import Store
from core.store.queries import ImageRecord, get_image, merchant_ids, versions_of
from core.store.reviews import (
    Decision,
    QueueItem,
    ReviewError,
    claim_next,
    decide,
    decide_batch,
    double_review_percent,
    history,
    is_open_for,
    mark_opened,
    next_in_queue,
    open_items,
    progress,
    release_leases,
    set_double_review_percent,
    undo_last,
    undo_last_batch,
)
from core.vocabulary import ISSUE_REASONS, reason_labels

__all__ = [
    "DecidedMeanwhile",
    "Decision",
    "QueueFilter",
    "QueueItem",
    "QueueProgress",
    "approve_all",
    "bulk_candidates",
    "bulk_rows",
    "current_item",
    "decide_shown",
    "double_review_share",
    "end_review_session",
    "set_double_review_share",
    "skip_item",
    "undo_last_decisions",
    "version_name",
    "upcoming_item",
    "upcoming_items",
    "skipped_still_open",
    "ReviewComparison",
    "ReviewError",
    "comparison_for",
    "decision_history",
    "fix_similarity",
    "mark_opened",
    "merchant_ids",
    "next_in_queue",
    "progress",
    "queue_progress",
    "record_decision",
    "suggested_reasons",
    "undo_last",
]


def suggested_reasons(issue_names: Iterable[str], *, copied: bool = False, reused: bool = False) -> list[str]:
    """The reasons the detected issues suggest, in issue order, each once; then "duplicate" when
    the merchant uploaded the very same file for another SKU too (``reused``: one photo for two
    products, which no check sees in the pixels); then "copied" when another merchant stored the
    very same file before this image (``copied``): no check flags a photo taken from another
    seller, and the one who stored it later is the one asked about it."""
    reasons = list(dict.fromkeys(ISSUE_REASONS[i] for i in issue_names if i in ISSUE_REASONS))
    if reused and "duplicate" not in reasons:
        reasons.append("duplicate")
    return [*reasons, "copied"] if copied else reasons


def record_decision(
    store: Store,
    *,
    version_id: int,
    reviewer: str,
    decision: str,
    reasons: Iterable[str] = (),
    comment: str = "",
    profile: str = "",
) -> Decision:
    """Record a decision; an approval carries no reasons (any chosen ones are dropped).

    Raises :class:`ReviewError` with the reason when it cannot be recorded (a rejection
    without a reason, an unknown reason, an over-long comment, ...).
    """
    kept = () if decision == "approved" else tuple(reasons)
    return decide(
        store,
        version_id=version_id,
        reviewer=reviewer,
        decision=decision,
        reasons=kept,
        comment=comment,
        profile=profile,
    )


def decision_history(store: Store, version_id: int, *, viewer_role: str) -> list[dict[str, Any]]:
    """The decisions on a version as table rows, oldest first.

    Staff see every decision ever recorded, with the reviewer and whether it is current. Each
    row names the profile it was decided under.
    Merchants see only the current decisions, without the reviewer's name.
    """
    rows = [
        {
            "reviewer": d.reviewer,
            "decision": d.decision,
            "reasons": reason_labels(d.reasons),
            "comment": d.comment,
            "decided": d.decided_at,
            "current": d.active,
            "profile": d.profile,  # what the image was judged against when it was decided
        }
        for d in history(store, version_id)
    ]
    if sees_reviewer_names(viewer_role):
        return rows
    return [{k: v for k, v in r.items() if k != "reviewer"} for r in rows if r["current"]]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewComparison:
    """What the reviewer sees side by side: ``before``, and ``after`` with ``recipe`` applied
    (``recipe`` is ``None`` when ``after`` is already the fixed image)."""

    before: ImageRecord
    after: ImageRecord
    recipe: Recipe | None
    caption: str
    #: What a decision is recorded on: the reviewer decides on one version, not on the pair.
    applies_to: str


def comparison_for(store: Store, record: ImageRecord, *, profile: str) -> ReviewComparison:
    """A submitted fix is shown against its original; an original against the fix the engine proposes."""
    if record.kind == "optimized":
        original = versions_of(store, record.image_id, profile=profile)[0]
        return ReviewComparison(
            before=original,
            after=record,
            recipe=None,
            caption=f"Original (left) vs the submitted fix (right): {_recipe_words(record.recipe_json)}",
            applies_to="Your decision applies to the submitted fix (right).",
        )
    proposal = auto_recipe(record.metrics, record.issues)
    return ReviewComparison(
        before=record,
        after=record,
        recipe=proposal,
        caption=(
            "Original (left) vs the automatic fix the engine proposes (right): "
            + operation_labels(s.op for s in proposal.steps)
            if proposal.steps
            else "The original, as uploaded: the engine finds nothing to fix, so both sides show it."
        ),
        applies_to="Your decision applies to the original (left), as uploaded"
        + ("; the fix on the right is a suggestion for the merchant." if proposal.steps else "."),
    )


def fix_similarity(store: Store, comp: ReviewComparison) -> Similarity | None:
    """What a submitted fix did to its original, for the reviewer's warnings: the share of the
    product it blew out and how far it moved the product's colours (:class:`Similarity`'s
    ``blows_out`` and ``shifts_colours``). The score judges the fix alone and sees neither: a
    blown-out light product looks like a product on white, an oversaturated one like a colourful
    product.

    The same measurement as the merchant's Optimize page (:func:`recipe_similarity`): the fix's
    recipe run again on the original's preview (without its crops, pads and resizes), not the
    fix's stored JPEG, whose ringing moved the figure by a few points. ``None`` for the engine's
    own proposal, and for a fix whose recipe cannot be read."""
    if comp.recipe is not None or comp.after.kind != "optimized":
        return None
    try:
        recipe = Recipe.from_json(comp.after.recipe_json)
    except RecipeError:
        return None
    before = display_pixels(store, comp.before.sha256, comp.before.blob_path, side=PREVIEW_SIDE)
    try:
        return recipe_similarity(before, recipe)
    except RecipeError:
        return None


def _recipe_words(recipe_json: str) -> str:
    try:
        steps = Recipe.from_json(recipe_json).steps
    except RecipeError:
        return "its recipe cannot be read"
    return operation_labels(s.op for s in steps) or "no steps"


# --- The shared queue (issue 10): leases, prefetch, bulk approve -------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueFilter:
    """What a reviewer's queue is narrowed to (the Review page's sidebar)."""

    order: str = "lowest_score"
    profile: str = "generic"
    merchant_id: str | None = None
    issue: str | None = None
    #: Only the images whose very file another merchant stored too (staff's look at copied photos).
    copied: bool = False

    @property
    def narrows(self) -> bool:
        """Whether a filter (not the order) leaves images of the whole queue out."""
        return bool(self.merchant_id or self.issue or self.copied)

    def store_args(self) -> dict[str, Any]:
        """The filter as the store's queue functions take it (order, profile and filters)."""
        return {
            "order": self.order,
            "profile": self.profile,
            "merchant_id": self.merchant_id,
            "issue": self.issue,
            "copied": self.copied,
        }


def current_item(
    store: Store, *, reviewer: str, where: QueueFilter, skip: tuple[int, ...] = (), restart: bool = False
) -> QueueItem | None:
    """The item to show ``reviewer`` now, leased to them (the same one on every rerun while it is
    theirs); ``None`` when nothing is open for them. ``restart``: the reviewer has just changed
    ``where`` (the order or a filter), so the image they hold goes back to the team and they are
    handed the first image of the new queue."""
    return claim_next(store, reviewer, **where.store_args(), skip=skip, restart=restart)


def upcoming_item(
    store: Store, *, reviewer: str, where: QueueFilter, shown: int | None, skip: tuple[int, ...] = ()
) -> QueueItem | None:
    """The item likely to come after ``shown`` (not leased; for prefetching its images)."""
    return next_in_queue(store, reviewer, **where.store_args(), skip=(*skip, *(() if shown is None else (shown,))))


def upcoming_items(
    store: Store, *, reviewer: str, where: QueueFilter, shown: int | None, skip: tuple[int, ...] = (), count: int = 3
) -> list[QueueItem]:
    """The next ``count`` items likely to come after ``shown`` (not leased). With a team on one
    queue, the next free item goes to whoever asks first, so prefetching a few covers everyone."""
    left_out = {*skip, *(() if shown is None else (shown,))}
    items = open_items(store, reviewer, **where.store_args(), limit=count + len(left_out))
    return [i for i in items if i.version_id not in left_out][:count]


def skipped_still_open(store: Store, *, reviewer: str, where: QueueFilter, skipped: Iterable[int]) -> list[int]:
    """Which of the images ``reviewer`` skipped still wait for them under ``where``: a teammate
    may have decided some meanwhile, and a filter may leave others out."""
    ids = list(dict.fromkeys(int(v) for v in skipped))
    if not ids:
        return []
    return [i.version_id for i in open_items(store, reviewer, **where.store_args(), only=ids, limit=len(ids))]


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueProgress:
    """How far a reviewer is through their queue: decided by them, and still open for them
    (items others hold count as open) under the same filters."""

    done: int
    remaining: int

    @property
    def fraction(self) -> float:
        """The share decided, 0 to 1; an empty queue counts as done (1.0)."""
        total = self.done + self.remaining
        return self.done / total if total else 1.0

    def empty_note(self, *, filtered: bool) -> str:
        """What an empty queue says: under the sidebar's filters, that nothing left matches them
        (other images may still wait); otherwise praise once the reviewer decided something, and
        before that, that no uploads are waiting."""
        if filtered:
            decided = f" You decided {self.done} of those that did." if self.done else ""
            return f"No image waiting for review matches the sidebar's filters.{decided}"
        if self.done:
            return "Your queue is empty. Nice work."
        return "Nothing is waiting for review. Merchants' uploads appear here as soon as they are scored."


def queue_progress(store: Store, *, reviewer: str, where: QueueFilter) -> QueueProgress:
    """The reviewer's progress through the queue ``where`` narrows (its order does not matter)."""
    args = where.store_args()
    del args["order"]  # counts do not depend on it
    done, remaining = progress(store, reviewer, **args)
    return QueueProgress(done=done, remaining=remaining)


class DecidedMeanwhile(ReviewError):
    """A decision refused because the reviewer's hold on the image had expired and someone else
    decided it meanwhile: the queue has moved on, and what the reviewer chose and wrote was not
    recorded anywhere (the page keeps it on screen for them)."""


def decide_shown(
    store: Store,
    *,
    version_id: int,
    reviewer: str,
    decision: str,
    reasons: Iterable[str] = (),
    comment: str = "",
    profile: str = "",
) -> Decision:
    """Record a decision on the queue item the reviewer was shown. If their hold on it expired and
    someone else decided it meanwhile (and no second review is asked for it), nothing is recorded:
    :class:`DecidedMeanwhile` (a :class:`ReviewError`) says so, and the queue moves on."""
    if not is_open_for(store, reviewer, version_id):
        release_leases(store, reviewer, version_id=version_id)
        raise DecidedMeanwhile(
            "Another reviewer decided this image while it was open here (your hold on it had "
            "expired); your decision was not recorded. The queue has moved on."
        )
    return record_decision(
        store,
        version_id=version_id,
        reviewer=reviewer,
        decision=decision,
        reasons=reasons,
        comment=comment,
        profile=profile,
    )


def skip_item(store: Store, *, reviewer: str, version_id: int) -> None:
    """Give the item back to the team's queue (it stays in this reviewer's queue for later)."""
    release_leases(store, reviewer, version_id=version_id)


def end_review_session(store: Store, *, reviewer: str) -> None:
    """Sign-out: everything the reviewer held goes back to the queue at once."""
    release_leases(store, reviewer)


def bulk_candidates(
    store: Store, *, reviewer: str, where: QueueFilter, min_score: float | None, no_issues: bool
) -> list[QueueItem]:
    """The open items a bulk approval would act on, in queue order (e.g. no issue and score >= 90).

    Never an image whose file another merchant stored too: no check flags a seller's photo copied
    by another seller (its pixels are fine), so it would pass every limit; a person decides it.
    Never a fix a merchant submitted either: what an edit does to the product (blown out, its
    colours moved, cream pearls turned bronze by a contrast stretch) the score cannot see, as it
    judges the fix alone; the queue shows each fix beside its original, with its warnings."""
    if where.copied:
        return []  # every image the filter lists is a copy
    return open_items(
        store,
        reviewer,
        **where.store_args(),
        min_score=min_score,
        no_issues=no_issues,
        not_copied=True,
        originals_only=True,
    )


def bulk_rows(candidates: Iterable[QueueItem]) -> list[dict[str, Any]]:
    """The items of a bulk approval as the table that asks to confirm it: file, merchant, score (to
    one decimal, as every page shows it; None when not scored: an empty string made the column
    text, and the table wrote 95.0 as "95" beside "94.8") and version number. Every one is an
    original (:func:`bulk_candidates`)."""
    return [
        {
            "image": c.shown_name,
            "merchant": c.merchant_id,
            "score": round(c.score, 1) if c.score is not None else None,
            "version": c.version_id,
        }
        for c in candidates
    ]


def approve_all(
    store: Store, *, reviewer: str, version_ids: Iterable[int], confirmed_count: int, profile: str
) -> list[Decision]:
    """Approve exactly the items shown, after the reviewer confirmed their number: one audited
    decision each, one batch (one undo takes it back). Items decided or leased by someone else
    since they were shown are left out, and so are those whose file another merchant has stored
    meanwhile, and fixes (see :func:`bulk_candidates`)."""
    ids = list(dict.fromkeys(int(v) for v in version_ids))
    if confirmed_count != len(ids):
        raise ReviewError(f"{len(ids)} images are selected but {confirmed_count} were confirmed; nothing was approved")
    still_open = {
        i.version_id
        for i in open_items(
            store, reviewer, profile=profile, only=ids, limit=len(ids), not_copied=True, originals_only=True
        )
    }
    keep = [v for v in ids if v in still_open]
    if not keep:
        raise ReviewError("none of these images is still waiting for you; nothing was approved")
    return decide_batch(store, keep, reviewer, decision="approved", profile=profile)


def undo_last_decisions(store: Store, *, reviewer: str) -> list[Decision]:
    """Undo the reviewer's last decision, or the whole bulk approval it was part of. Their lease
    is released, so the queue hands them the undone image again (it comes first in their order)."""
    undone = undo_last_batch(store, reviewer)
    if undone:
        release_leases(store, reviewer)
    return undone


def version_name(store: Store, version_id: int) -> str:
    """The name a reviewer knows a version by: the file name as the merchant gave it, marked
    "(optimized)" for a fixed version (never the internal version number alone)."""
    rec = get_image(store, version_id)
    if rec is None:
        return f"image version #{version_id}"
    return rec.shown_name if rec.kind == "original" else f"{rec.shown_name} (optimized)"


def double_review_share(store: Store) -> int:
    """Percent of items an admin asked to have reviewed by two reviewers (for agreement figures)."""
    return double_review_percent(store)


def set_double_review_share(store: Store, *, percent: int, actor_role: str, actor: str) -> None:
    """Admins only: ask for two independent reviews on ``percent`` % of the items."""
    if not may_set_double_review(actor_role):
        raise ReviewError("only an administrator can change the double-review share")
    set_double_review_percent(store, percent, actor=actor)
