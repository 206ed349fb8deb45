"""Review decisions, the reviewer queue, undo, and the audit trail.

Each decision is a row; changing or undoing one never deletes anything: the old row is marked
inactive and the audit log records who changed what, when, from what to what. A reviewer has at
most one active decision per image version; several reviewers may judge the same version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import and_, exists, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from core.store.database import Store, images, now, review_opens, reviews, scores, versions
from core.vocabulary import DECISIONS

__all__ = [
    "QUEUE_ORDERS",
    "REASONS",
    "Decision",
    "QueueItem",
    "ReviewError",
    "active_decision",
    "decide",
    "history",
    "mark_opened",
    "next_in_queue",
    "progress",
    "undo_last",
]

REASONS: Final = (
    "blurry", "too dark", "too bright", "background not white", "product too small", "low resolution",
    "watermark/text", "wrong product", "other",
)
QUEUE_ORDERS: Final = ("lowest_score", "oldest", "merchant", "issue")
MAX_COMMENT: Final = 2000


class ReviewError(ValueError):
    """A decision that cannot be recorded, with the reason."""


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    version_id: int
    reviewer: str
    decision: str
    reasons: tuple[str, ...]
    comment: str
    profile: str
    opened_at: str | None
    decided_at: str
    active: bool


@dataclass(frozen=True, slots=True)
class QueueItem:
    version_id: int
    image_id: int
    merchant_id: str
    file_name: str
    kind: str
    score: float | None
    issues: tuple[str, ...]
    created_at: str


def _row_to_decision(r: Any) -> Decision:
    return Decision(id=r.id, version_id=r.version_id, reviewer=r.reviewer, decision=r.decision,
                    reasons=tuple(x for x in r.reasons.split(";") if x), comment=r.comment, profile=r.profile,
                    opened_at=r.opened_at, decided_at=r.decided_at, active=bool(r.active))


def _as_json(d: Decision | None) -> str:
    if d is None:
        return ""
    return json.dumps({"decision": d.decision, "reasons": list(d.reasons), "comment": d.comment, "review_id": d.id})


def _active(conn: Connection, version_id: int, reviewer: str) -> Decision | None:
    r = conn.execute(select(reviews).where(and_(reviews.c.version_id == version_id, reviews.c.reviewer == reviewer,
                                                 reviews.c.active.is_(True)))).first()
    return _row_to_decision(r) if r else None


def active_decision(store: Store, version_id: int, reviewer: str) -> Decision | None:
    """This reviewer's current decision on a version, if any."""
    with store.read() as conn:
        return _active(conn, version_id, reviewer)


def mark_opened(store: Store, version_id: int, reviewer: str) -> str:
    """Record when ``reviewer`` first opened the version (for lead time); returns that time."""
    with store.write() as conn:
        got = conn.execute(select(review_opens.c.opened_at).where(
            and_(review_opens.c.version_id == version_id, review_opens.c.reviewer == reviewer))).scalar()
        if got:
            return str(got)
        stamp = now()
        conn.execute(insert(review_opens).values(version_id=version_id, reviewer=reviewer, opened_at=stamp))
        return stamp


def decide(store: Store, version_id: int, reviewer: str, decision: str, *, reasons: tuple[str, ...] | list[str] = (),
           comment: str = "", profile: str = "") -> Decision:
    """Record ``reviewer``'s decision on a version, replacing (not deleting) their previous one.

    Raises
    ------
    ReviewError
        Unknown decision or reason, an over-long comment, a rejection without a reason, or an
        unknown version.
    """
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
    reasons = tuple(dict.fromkeys(reasons))
    bad = [r for r in reasons if r not in REASONS]
    if bad:
        raise ReviewError(f"unknown reason(s): {', '.join(bad)}; choose from: {', '.join(REASONS)}")
    if decision != "approved" and not reasons:
        raise ReviewError("a rejection or change request needs at least one reason")
    if len(comment) > MAX_COMMENT:
        raise ReviewError(f"the comment is {len(comment)} characters; the limit is {MAX_COMMENT}")
    if not reviewer:
        raise ReviewError("a decision needs a reviewer")
    with store.write() as conn:
        if conn.execute(select(versions.c.id).where(versions.c.id == version_id)).scalar() is None:
            raise ReviewError(f"there is no image version {version_id}")
        previous = _active(conn, version_id, reviewer)
        opened = conn.execute(select(review_opens.c.opened_at).where(
            and_(review_opens.c.version_id == version_id, review_opens.c.reviewer == reviewer))).scalar()
        if previous is not None:
            conn.execute(update(reviews).where(reviews.c.id == previous.id).values(active=False))
        stamp = now()
        new_id = conn.execute(insert(reviews).values(
            version_id=version_id, reviewer=reviewer, decision=decision, reasons=";".join(reasons),
            comment=comment, profile=profile, opened_at=opened, decided_at=stamp, active=True,
            replaces_id=previous.id if previous else None)).inserted_primary_key[0]
        result = Decision(int(new_id), version_id, reviewer, decision, reasons, comment, profile, opened, stamp, True)
        store.audit(conn, reviewer, "decide" if previous is None else "change_decision", "version", version_id,
                    before=_as_json(previous), after=_as_json(result))
        return result


def undo_last(store: Store, reviewer: str) -> Decision | None:
    """Undo ``reviewer``'s most recent decision. The decision it replaced (if any) becomes
    current again; otherwise the version returns to the queue. Returns the undone decision."""
    with store.write() as conn:
        r = conn.execute(select(reviews).where(and_(reviews.c.reviewer == reviewer, reviews.c.active.is_(True),
                                                     reviews.c.undone_at.is_(None)))
                         .order_by(reviews.c.decided_at.desc(), reviews.c.id.desc()).limit(1)).first()
        if r is None:
            return None
        undone = _row_to_decision(r)
        stamp = now()
        conn.execute(update(reviews).where(reviews.c.id == undone.id).values(active=False, undone_at=stamp))
        restored = None
        if r.replaces_id is not None:
            conn.execute(update(reviews).where(reviews.c.id == r.replaces_id).values(active=True))
            prev = conn.execute(select(reviews).where(reviews.c.id == r.replaces_id)).first()
            restored = _row_to_decision(prev) if prev else None
        store.audit(conn, reviewer, "undo", "version", undone.version_id, before=_as_json(undone),
                    after=_as_json(restored))
        return undone


def history(store: Store, version_id: int) -> list[Decision]:
    """Every decision ever recorded for a version, oldest first (inactive ones included)."""
    with store.read() as conn:
        rows = conn.execute(select(reviews).where(reviews.c.version_id == version_id).order_by(reviews.c.id)).all()
    return [_row_to_decision(r) for r in rows]


def _queue_query(reviewer: str, profile: str, merchant_id: str | None, issue: str | None):  # type: ignore[no-untyped-def]
    decided = exists().where(and_(reviews.c.version_id == versions.c.id, reviews.c.reviewer == reviewer,
                                  reviews.c.active.is_(True)))
    q = (select(versions.c.id, versions.c.image_id, images.c.merchant_id, images.c.file_name, versions.c.kind,
                scores.c.score, scores.c.issues, versions.c.created_at)
         .select_from(versions.join(images, images.c.id == versions.c.image_id))
         .join(scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == profile), isouter=True)
         .where(and_(versions.c.submitted.is_(True), ~decided)))
    if merchant_id:
        q = q.where(images.c.merchant_id == merchant_id)
    if issue:
        # issues are stored ';'-joined; match whole names only
        wrapped = literal(";") + func.coalesce(scores.c.issues, "") + literal(";")
        q = q.where(wrapped.like(f"%;{issue};%"))
    return q


def next_in_queue(store: Store, reviewer: str, *, order: str = "lowest_score", profile: str = "generic",
                  merchant_id: str | None = None, issue: str | None = None, skip: tuple[int, ...] = ()) -> QueueItem | None:
    """The next version for ``reviewer``, skipping what they already decided.

    ``order``: ``lowest_score`` (worst first), ``oldest``, ``merchant`` (grouped by merchant,
    oldest first within), or ``issue`` (images with the most issues first).
    """
    if order not in QUEUE_ORDERS:
        raise ValueError(f"order must be one of {', '.join(QUEUE_ORDERS)}")
    q = _queue_query(reviewer, profile, merchant_id, issue)
    if skip:
        q = q.where(versions.c.id.not_in(skip))
    if order == "lowest_score":
        q = q.order_by(func.coalesce(scores.c.score, 101.0), versions.c.id)
    elif order == "oldest":
        q = q.order_by(versions.c.created_at, versions.c.id)
    elif order == "merchant":
        q = q.order_by(images.c.merchant_id, versions.c.created_at, versions.c.id)
    else:
        n_issues = func.length(func.coalesce(scores.c.issues, "")) - func.length(
            func.replace(func.coalesce(scores.c.issues, ""), ";", ""))
        has = func.length(func.coalesce(scores.c.issues, "")) > 0
        q = q.order_by(has.desc(), n_issues.desc(), func.coalesce(scores.c.score, 101.0), versions.c.id)
    with store.read() as conn:
        r = conn.execute(q.limit(1)).first()
    if r is None:
        return None
    return QueueItem(version_id=r.id, image_id=r.image_id, merchant_id=r.merchant_id, file_name=r.file_name,
                     kind=r.kind, score=r.score, issues=tuple(i for i in (r.issues or "").split(";") if i),
                     created_at=r.created_at)


def progress(store: Store, reviewer: str, *, profile: str = "generic", merchant_id: str | None = None,
             issue: str | None = None) -> tuple[int, int]:
    """(decided by this reviewer, still in their queue) under the same filters as the queue."""
    with store.read() as conn:
        remaining = conn.execute(select(func.count()).select_from(
            _queue_query(reviewer, profile, merchant_id, issue).subquery())).scalar() or 0
        done_q = (select(func.count()).select_from(reviews.join(versions, versions.c.id == reviews.c.version_id)
                                                   .join(images, images.c.id == versions.c.image_id))
                  .where(and_(reviews.c.reviewer == reviewer, reviews.c.active.is_(True))))
        if merchant_id:
            done_q = done_q.where(images.c.merchant_id == merchant_id)
        done = conn.execute(done_q).scalar() or 0
    return int(done), int(remaining)


def status_counts(store: Store, *, merchant_id: str | None = None) -> dict[str, int]:
    """Original images by their latest active decision (any reviewer): approved, rejected,
    needs_changes, or unreviewed."""
    latest = (select(reviews.c.version_id, func.max(reviews.c.id).label("rid"))
              .where(reviews.c.active.is_(True)).group_by(reviews.c.version_id).subquery())
    q = (select(func.coalesce(reviews.c.decision, "unreviewed").label("status"), func.count().label("n"))
         .select_from(versions.join(images, images.c.id == versions.c.image_id)
                      .join(latest, latest.c.version_id == versions.c.id, isouter=True)
                      .join(reviews, reviews.c.id == latest.c.rid, isouter=True))
         .group_by("status"))
    if merchant_id:
        q = q.where(images.c.merchant_id == merchant_id)
    with store.read() as conn:
        out = {k: 0 for k in (*DECISIONS, "unreviewed")}
        out.update({r.status: int(r.n) for r in conn.execute(q).all()})
    return out


def latest_decisions(store: Store) -> dict[int, str]:
    """version_id -> the most recent active decision on it (any reviewer)."""
    latest = (select(reviews.c.version_id, func.max(reviews.c.id).label("rid"))
              .where(reviews.c.active.is_(True)).group_by(reviews.c.version_id).subquery())
    q = select(reviews.c.version_id, reviews.c.decision).join(latest, latest.c.rid == reviews.c.id)
    with store.read() as conn:
        return {int(r.version_id): str(r.decision) for r in conn.execute(q).all()}
