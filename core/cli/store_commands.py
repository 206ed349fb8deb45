"""Store commands for ``python -m core``: accounts, ingest, export, rescore, the database schema."""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import os
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from core.vocabulary import DECISIONS, ROLES

__all__ = ["add_store_commands"]


class _CannotOpen(RuntimeError):
    """The database cannot be opened: newer than this program, unreachable, a URL that is not one,
    or one whose driver is not installed."""


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import ArgumentError, OperationalError

    from core.store.database import open_store

    try:
        return open_store(args.data_dir, database_url=getattr(args, "database_url", None))
    except RuntimeError as exc:  # a database newer than this program
        raise _CannotOpen(str(exc)) from exc
    except (OperationalError, ArgumentError, ImportError, ValueError) as exc:  # the host or driver, never the password
        why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise _CannotOpen(f"cannot open the database ({why}); check $IMAGEDESK_DATABASE_URL") from exc


def _store_command(func: Any) -> Any:
    """``func``, saying in a sentence (exit code 1) why the database cannot be opened, not in a traceback."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except _CannotOpen as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def _new_password(args: argparse.Namespace, username: str) -> str | None:
    """The new password: ``--password``, else ``$IMAGEDESK_NEW_PASSWORD``, else asked twice on
    the terminal. ``None`` (after saying why on stderr) when there is none."""
    password = args.password or os.environ.get("IMAGEDESK_NEW_PASSWORD")
    if password:
        return str(password)
    if not sys.stdin.isatty():
        print("error: set IMAGEDESK_NEW_PASSWORD (no terminal to ask the password on)", file=sys.stderr)
        return None
    first = getpass.getpass(f"Password for {username}: ")
    if getpass.getpass("The same password again: ") != first:
        print("error: the two passwords differ; nothing was changed", file=sys.stderr)
        return None
    return first


def _users_add(args: argparse.Namespace) -> int:
    from core.services.accounts import check_account_merchant
    from core.store.accounts import AuthError, check_password, create_user

    password = _new_password(args, args.username)
    if password is None:
        return 2
    try:
        check_password(password, username=args.username)
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = _open(args)
    try:
        if args.role == "merchant":
            check_account_merchant(store, args.merchant)
        user = create_user(
            store, username=args.username, password=password, role=args.role, merchant_id=args.merchant, actor="cli"
        )
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    print(f"created {user.role} '{user.username}'" + (f" for merchant {user.merchant_id}" if user.merchant_id else ""))
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from core.store.accounts import list_users

    store = _open(args)
    for u in list_users(store):
        print(f"{u.username:24s} {u.role:9s} {u.merchant_id or '':20s} {'active' if u.active else 'disabled'}")
    store.dispose()
    return 0


def _users_passwd(args: argparse.Namespace) -> int:
    from core.store.accounts import AuthError, get_user, set_password

    store = _open(args)
    try:
        if get_user(store, args.username) is None:
            print(f"error: no such user: '{args.username}'", file=sys.stderr)
            return 2
        password = _new_password(args, args.username)
        if password is None:
            return 2
        set_password(store, username=args.username, password=password, actor="cli")
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    print(f"password changed for '{args.username}'; their sessions were ended")
    return 0


def _users_change(args: argparse.Namespace) -> int:
    """``users disable|enable|delete NAME``: each ends the account's sessions (enable excepted)."""
    from core.store.accounts import AuthError, delete_user, set_active

    store = _open(args)
    try:
        if args.users_command == "delete":
            delete_user(store, args.username, actor="cli")
            done = "deleted; their sessions were ended"
        else:
            set_active(store, args.username, args.users_command == "enable", actor="cli")
            done = "enabled" if args.users_command == "enable" else "disabled; their sessions were ended"
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    print(f"'{args.username}' {done}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.cli.main import _cluster
    from core.services.upload import ingest_uploads, upload_file_count
    from core.store.intake import IngestError, IngestReport, folder_files, ingest_folder

    missing = [raw for raw in args.paths if not Path(raw).exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    report = IngestReport()
    unmatched: list[tuple[str, str]] = []  # manifest rows that named no file, and where they were
    with contextlib.ExitStack() as stack:
        executor = _cluster(args, stack)  # measuring on a Dask cluster with --scheduler
        if executor is False:
            return 2
        store = _open(args)
        stack.callback(store.dispose)
        loose = [(p.name, p.read_bytes()) for raw in args.paths if (p := Path(raw)).is_file()]
        # Every file the report will name, counted as it is measured or refused (on stderr).
        total = upload_file_count(loose) + sum(len(folder_files(raw)) for raw in args.paths if Path(raw).is_dir())
        # Shown after a second: a refusal before any file is read stands alone on stderr.
        bar = stack.enter_context(
            tqdm(total=total, unit="file", desc="scoring", file=sys.stderr, delay=1, disable=total == 0)
        )
        try:
            for raw in args.paths:
                if Path(raw).is_dir():
                    part = ingest_folder(
                        store,
                        Path(raw),
                        merchant_id=args.merchant,
                        uploaded_by="cli",
                        executor=executor or None,
                        on_file=bar.update,
                    )
                    report.results.extend(part.results)
                    unmatched += [(f"manifest.csv in {raw}", row) for row in part.manifest_unmatched]
            # Single images in one map over all of them, then each zip (the same rule as the Upload page).
            uploads = ingest_uploads(
                store,
                loose,
                merchant_id=args.merchant,
                uploaded_by="cli",
                executor=executor or None,
                stop_at_refused_zip=True,
                on_file=bar.update,
            )
            report.results.extend(uploads.report.results)
            uploads.add_unmatched(unmatched, first=True)  # the folders' manifests were read first
        except IngestError as exc:
            bar.close()  # the message on a line of its own
            print(f"error: {exc}", file=sys.stderr)
            return 1
    for r in report.results:
        extra = f"score {r.score:.0f}" if r.score is not None else r.reason
        print(f"{r.status:9s} {r.name}  {extra}")
    # Whose catalogue the files went to: a folder's manifest.csv may name other merchants than --merchant.
    for merchant, n in sorted(Counter(r.merchant_id for r in report.results if r.status == "added").items()):
        named = "" if merchant == args.merchant else f" (named by a manifest.csv; --merchant was '{args.merchant}')"
        print(f"{n} added under merchant '{merchant}'{named}")
    note = uploads.unmatched_note()
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 1 if report.refused else 0


def _calendar_day(text: str) -> str:
    """``--from``/``--to``: a real day as YYYY-MM-DD (dates are compared as text in the database,
    so '30/11/2026' or '2026-13-01' would silently match nothing)."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day; use YYYY-MM-DD, e.g. 2026-11-30") from None


def _export(args: argparse.Namespace) -> int:
    from core.store.feedback import FeedbackFilter, feedback_csv, feedback_frame

    if args.date_from and args.date_to and args.date_from > args.date_to:
        print(f"error: --from {args.date_from} is after --to {args.date_to}", file=sys.stderr)
        return 2
    store = _open(args)
    flt = FeedbackFilter(
        date_from=args.date_from,
        date_to=args.date_to,
        reviewer=args.reviewer,
        merchant_id=args.merchant,
        decision=args.decision,
        profile=args.profile,
    )
    data = feedback_csv(feedback_frame(store, flt))
    store.dispose()
    if args.out and args.out != "-":
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.services.measuring import ENGINE_VERSION, remeasure, stale_count

    store = _open(args)
    try:
        stale = stale_count(store)
        if not args.remeasure:
            print(
                f"{stale} stored image(s) were measured by an older engine than {ENGINE_VERSION}; "
                "run 'rescore --remeasure' to measure them again."
            )
            return 0
        if args.limit is not None and args.limit < 1:
            print("error: --limit must be at least 1", file=sys.stderr)
            return 2
        total = min(stale, args.limit) if args.limit else stale
        with tqdm(total=total, unit="image", desc="re-measuring", file=sys.stderr, disable=total == 0) as bar:
            report = remeasure(store, limit=args.limit, progress=lambda done, _n: bar.update(done - bar.n))
        for vid, reason in report.failed:
            print(f"version {vid}: could not be read: {reason}", file=sys.stderr)
        left = stale_count(store)
        print(
            f"re-measured {report.remeasured} image(s) with engine {ENGINE_VERSION}; "
            f"{len(report.failed)} unreadable; {left} still stale"
        )
        return 1 if report.failed else 0
    finally:
        store.dispose()


def _db_upgrade(args: argparse.Namespace) -> int:
    """``db upgrade``: what every app server does on start (under the migration lock), on its own."""
    try:
        store = _open(args)
    except RuntimeError as exc:  # a database newer than this program
        print(f"error: {exc}", file=sys.stderr)
        return 1
    version = store.schema_version()
    store.dispose()
    print(f"the database is at schema version {version} (revision {version:04d}), the newest this program knows")
    return 0


def _db_revision(args: argparse.Namespace) -> int:
    """``db revision -m MESSAGE``: a new numbered revision file in the checkout, for a developer."""
    from core.store import database

    path = database.new_revision(args.message)
    number = int(path.name.split("_", 1)[0])
    print(f"next: write its upgrade(), then set SCHEMA_VERSION = {number} in {Path(database.__file__).name}")
    return 0


def add_store_commands(sub: Any) -> None:
    """Register ``users``, ``ingest``, ``rescore``, ``export`` and ``db`` sub-commands."""
    users = sub.add_parser("users", help="manage accounts")
    us = users.add_subparsers(dest="users_command", required=True)
    add = us.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--merchant", help="merchant id (required for --role merchant)")
    add.add_argument("--password", help=argparse.SUPPRESS)  # visible in shell history: prefer the prompt
    add.set_defaults(func=_store_command(_users_add))
    ls = us.add_parser("list", help="list accounts")
    ls.set_defaults(func=_store_command(_users_list))
    pw = us.add_parser("passwd", help="change a password (asked twice; or $IMAGEDESK_NEW_PASSWORD)")
    pw.add_argument("username")
    pw.add_argument("--password", help=argparse.SUPPRESS)
    pw.set_defaults(func=_store_command(_users_passwd))
    for verb, text in (
        ("disable", "disable an account (its sessions end)"),
        ("enable", "enable an account"),
        ("delete", "delete an account (its sessions end; its decisions stay)"),
    ):
        cmd = us.add_parser(verb, help=text)
        cmd.add_argument("username")
        cmd.set_defaults(func=_store_command(_users_change))

    ing = sub.add_parser("ingest", help="add images (files, folders, zips) to the store")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--merchant", required=True, help="merchant id (a manifest.csv may override per file)")
    from core.cli.main import add_scheduler_options

    add_scheduler_options(ing)
    ing.set_defaults(func=_store_command(_ingest))

    rs = sub.add_parser("rescore", help="bring stored scores up to date with this engine")
    rs.add_argument(
        "--remeasure",
        action="store_true",
        help="decode stale images from their stored originals and measure them again (resumable)",
    )
    rs.add_argument("--limit", type=int, help="re-measure at most N images in this run")
    rs.set_defaults(func=_store_command(_rescore))

    ex = sub.add_parser("export", help="export reviewer feedback as CSV")
    ex.add_argument("--out", help="file (default: standard output)")
    ex.add_argument("--from", dest="date_from", type=_calendar_day, help="decided on or after (YYYY-MM-DD)")
    ex.add_argument("--to", dest="date_to", type=_calendar_day, help="decided on or before (YYYY-MM-DD)")
    ex.add_argument("--reviewer")
    ex.add_argument("--merchant")
    ex.add_argument("--decision", choices=DECISIONS)
    ex.add_argument("--profile")
    ex.set_defaults(func=_store_command(_export))

    db = sub.add_parser("db", help="the database schema (Alembic revisions)")
    dbs = db.add_subparsers(dest="db_command", required=True)
    up = dbs.add_parser("upgrade", help="bring the database to the newest revision (app servers also do on start)")
    up.set_defaults(func=_db_upgrade)
    rev = dbs.add_parser("revision", help="developers: add the next numbered revision file to core/store/migrations")
    rev.add_argument("-m", "--message", required=True, help="what the revision changes, in a few words")
    rev.set_defaults(func=_db_revision)
