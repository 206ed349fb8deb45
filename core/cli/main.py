"""Command line (``python -m core`` / ``imagedesk``): ``score|optimize|profiles|users|store ...``.

Exit codes: 0 success, 1 some inputs could not be read (all others were processed),
2 usage error (bad arguments, unknown profile, unreadable recipe).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["add_scheduler_options", "build_parser", "main"]


def _progress(rows, total: int):  # type: ignore[no-untyped-def]
    if not sys.stderr.isatty():
        return rows
    from tqdm import tqdm

    return tqdm(rows, total=total, unit="img", file=sys.stderr)


def _cmd_score(args: argparse.Namespace) -> int:
    from core.engine.batch import assess_paths, discover, write_csv
    from core.engine.profiles import ProfileError

    try:
        profile = _load_profile(args, args.profile)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    total = sum(1 for _ in discover(args.paths))
    with contextlib.ExitStack() as stack:
        executor = _cluster(args, stack)
        if executor is False:
            return 2
        rows = _progress(
            assess_paths(
                args.paths,
                profile,
                workers=args.workers,
                executor=executor or None,
                max_pixels=_max_pixels(args),
                max_bytes=int(args.max_mb * 1e6),
            ),
            total,
        )
        if args.out and args.out != "-":
            with open(args.out, "w", newline="", encoding="utf-8") as fh:
                ok, bad = write_csv(rows, fh)
        else:
            ok, bad = write_csv(rows, sys.stdout)
    print(f"scored {ok} image(s), {bad} unreadable", file=sys.stderr)
    return 1 if bad else 0


def _cluster(args: argparse.Namespace, stack: contextlib.ExitStack):  # type: ignore[no-untyped-def]
    """The Dask executor for ``--scheduler`` (None without it); False after printing why it failed."""
    address = getattr(args, "scheduler", None)
    if not address:
        return None
    from core.services.cluster import ClusterError, cluster_executor

    try:
        return stack.enter_context(cluster_executor(address, timeout=args.connect_timeout))
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False


def add_scheduler_options(p: argparse.ArgumentParser) -> None:
    """``--scheduler`` / ``--connect-timeout`` for commands that can measure on a Dask cluster."""
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run decoding and measuring on this Dask cluster instead of local processes",
    )
    p.add_argument(
        "--connect-timeout", type=float, default=5.0, help="seconds to wait for the Dask scheduler (default 5)"
    )


def _cmd_optimize(args: argparse.Namespace) -> int:
    from core.engine.assess import analyze, assess
    from core.engine.autofix import auto_recipe
    from core.engine.export_image import save_image
    from core.engine.loading import ImageLoadError, load_image
    from core.engine.profiles import ProfileError
    from core.engine.recipe import Recipe, RecipeError

    try:
        image = load_image(args.input)
    except ImageLoadError as exc:
        print(f"error: {args.input}: {exc}", file=sys.stderr)
        return 1
    if args.auto:
        try:
            profile = _load_profile(args, args.profile)
        except ProfileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        result = assess(analyze(image), profile)
        recipe = auto_recipe(result.metrics, result.issues, geometry=args.geometry)
        print(json.dumps(recipe.to_dict(), indent=2))
    else:
        try:
            recipe = Recipe.from_json(Path(args.recipe).read_text(encoding="utf-8"))
        except OSError as exc:
            print(f"error: cannot read recipe {args.recipe}: {exc.strerror}", file=sys.stderr)
            return 2
        except RecipeError as exc:
            print(f"error: {args.recipe}: {exc}", file=sys.stderr)
            return 2
    try:
        save_image(recipe.apply(image.pixels), args.output)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    from core.engine.wording import rule_text

    for name in _profile_names(args):
        p = _load_profile(args, name)
        print(f"{p.name}: {p.title}")
        for line in p.rules_text:
            print(f"    - {line}")
        for issue, spec in p.checks.items():
            if not spec.enabled:
                continue
            rules = "; ".join(f"{r.metric} {rule_text(r)}" for r in spec.rules)
            print(f"    {issue:22s} {rules}")
        print()
    return 0


def _max_pixels(args: argparse.Namespace) -> int:
    from core.store.settings import max_pixels

    return int(args.max_megapixels * 1e6) if args.max_megapixels else max_pixels()


def _profile_dirs(args: argparse.Namespace) -> tuple[Path, ...]:
    from core.store.settings import profiles_dir

    return (profiles_dir(getattr(args, "data_dir", None)),)


def _existing_store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The store, if one exists (a database URL is set or the data folder has its SQLite file);
    ``None`` otherwise: looking up a profile never creates a database."""
    from core.store.settings import DATABASE_URL_ENV, data_dir

    url = getattr(args, "database_url", None) or os.environ.get(DATABASE_URL_ENV)
    if not url and not (data_dir(getattr(args, "data_dir", None)) / "imagedesk.sqlite3").exists():
        return None
    from core.store.database import open_store

    return open_store(getattr(args, "data_dir", None), database_url=url)


def _load_profile(args: argparse.Namespace, name: str):  # type: ignore[no-untyped-def]
    """A built-in profile (no database touched), else a tuned one from the store's database."""
    from core.engine.profiles import ProfileError, load_profile

    try:
        return load_profile(name, search=_profile_dirs(args))
    except ProfileError:
        store = _existing_store(args)
        if store is None:
            raise
        try:
            from core.store.profiles import get_profile

            return get_profile(store, name)
        finally:
            store.dispose()


def _profile_names(args: argparse.Namespace) -> list[str]:
    from core.engine.profiles import list_profiles

    names = list_profiles(search=_profile_dirs(args))
    store = _existing_store(args)
    if store is not None:
        from core.store.profiles import stored_profile_names

        try:
            names += [n for n in stored_profile_names(store) if n not in names]
        finally:
            store.dispose()
    return names


def build_parser() -> argparse.ArgumentParser:
    # "imagedesk" when run as the installed console script, "python -m core" otherwise.
    prog = "imagedesk" if os.path.basename(sys.argv[0]) == "imagedesk" else "python -m core"
    parser = argparse.ArgumentParser(prog=prog, description="Product-image quality engine.")
    parser.add_argument("--data-dir", help="data folder (default: $IMAGEDESK_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score images and write one CSV row per image")
    s.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    s.add_argument("--profile", default="generic", help="marketplace profile (see 'profiles')")
    s.add_argument("--out", help="CSV file to write (default: standard output)")
    s.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    s.add_argument(
        "--max-megapixels",
        type=float,
        default=None,
        help="refuse larger images without decoding them (default: $IMAGEDESK_MAX_MEGAPIXELS or 50)",
    )
    s.add_argument("--max-mb", type=float, default=50.0, help="refuse larger files (default 50)")
    add_scheduler_options(s)
    s.set_defaults(func=_cmd_score)

    o = sub.add_parser("optimize", help="write an optimized copy of an image")
    o.add_argument("input")
    o.add_argument("output", help="output file; its extension picks the format (.jpg, .png, .webp)")
    g = o.add_mutually_exclusive_group(required=True)
    g.add_argument("--auto", action="store_true", help="fix what the checks find; prints the recipe")
    g.add_argument("--recipe", help="recipe JSON file")
    o.add_argument("--profile", default="generic")
    o.add_argument("--geometry", action="store_true", help="with --auto: also crop/pad to the marketplace's framing")
    o.set_defaults(func=_cmd_optimize)

    p = sub.add_parser("profiles", help="list profiles and their rules")
    p.set_defaults(func=_cmd_profiles)

    try:
        from core.cli.store_commands import add_store_commands
    except ImportError:  # the store is optional for engine-only installs
        pass
    else:
        add_store_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "workers", None) is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        return int(args.func(args))
    except BrokenPipeError:  # piped into `head`: the reader left; not an error worth a traceback
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
