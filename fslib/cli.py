"""The ``fslib`` command. Each pipeline stage adds its subcommand in ``_SUBCOMMANDS``."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

# module path -> function(subparsers) that registers its subcommand(s)
_SUBCOMMANDS = [
    "fslib.cli:_add_study",
    "fslib.cli:_add_book",
    "fslib.cli:_add_check_book",
    "fslib.synth.corpus:_add_cli",
    "fslib.teachers.cli:_add_teachers",
    "fslib.preprocess.cli:add_subcommand",
    "fslib.recognizer.cli:add_subcommand",
    "fslib.recognizer.recognize_cli:add_subcommand",
    "fslib.islr.extract:_add_cli",
    "fslib.ingest:add_subcommand",
]


def _add_study(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "study",
        help="execute the study's notebooks for a profile (cached, resumable)",
        description="Execute the notebooks listed in fslib/study.yml with papermill, injecting the profile's "
        "parameters. A notebook whose source, parameters, the fslib modules it imports and the notebooks it reads "
        "(`reads:` in study.yml) are unchanged is reused from the cache; an interrupted run resumes at the first "
        "unfinished notebook.",
    )
    p.add_argument("--profile", required=True, choices=["smoke", "ci", "full", "paper"])
    p.add_argument(
        "--only", nargs="+", default=[], metavar="NAME", help="run only these notebooks (full name or NN prefix)"
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter: key=value, or NOTEBOOK:key=value for one notebook (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="re-execute even when the cache is valid")
    p.add_argument("--no-progress", action="store_true", help="no per-cell progress bars")
    p.set_defaults(func=_run_study)


def _run_study(args: argparse.Namespace) -> int:
    from .study import run_study

    run_study(args.profile, only=args.only, sets=args.sets, force=args.force, progress=not args.no_progress)
    return 0


def _add_book(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "book",
        help="stage a profile's executed notebooks and build the Jupyter Book",
        description="Copy runs/<profile>/notebooks into book/study, render the run manifest, and run "
        "jupyter-book build with warnings as errors. Without --profile: the published `full` run if present.",
    )
    p.add_argument("--profile", choices=["smoke", "ci", "full", "paper"])
    p.add_argument("--stage-only", action="store_true", help="stage the pages but do not build")
    p.add_argument(
        "--dest",
        metavar="DIR",
        help="build in DIR (a copy of the book's sources; the site is DIR/_build/html) instead of the repository: "
        "what the publishing workflow deploys (`make pages`)",
    )
    p.set_defaults(func=_run_book)


def _run_book(args: argparse.Namespace) -> int:
    from .book import build, build_copy, default_profile, stage
    from .paths import repo_root

    t0 = time.perf_counter()
    if args.dest:
        profile = args.profile or default_profile(repo_root())
        index = build_copy(profile, Path(args.dest))
        print(f"book: built the `{profile}` run in {index} in {time.perf_counter() - t0:.0f} s")
        return 0
    profile = stage(args.profile)
    print(f"book: staged the `{profile}` run")
    if not args.stage_only:
        index = build()
        print(f"book: built {index} in {time.perf_counter() - t0:.0f} s")
    return 0


def _add_check_book(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-book",
        help="open every page of the built book in headless Chromium and report what a reader would see broken",
        description="Serve the built book on 127.0.0.1 and open each page in the system's headless Chromium "
        "(Debian: apt-get install chromium chromium-driver). Reports broken images, broken internal links and "
        "anchors, unresolved glue references, error outputs and JavaScript console errors, one line each; "
        "exit status 0 when there are none, 2 otherwise.",
    )
    p.add_argument("--html", type=Path, metavar="DIR", help="the built site (default: _build/html of the study)")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="save a full-page PNG of each page here")
    p.set_defaults(func=_run_check_book)


def _run_check_book(args: argparse.Namespace) -> int:
    from .browser import BrowserMissing, check_site, site_pages
    from .paths import repo_root

    html = args.html or repo_root() / "_build" / "html"
    if not html.is_dir() or not site_pages(html):
        print(f"fslib check-book: no built book in {html}: run `fslib book` first", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        problems = check_site(html, args.screenshots)
    except BrowserMissing as err:
        print(f"fslib check-book: {err}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    pages = site_pages(html)
    shots = f"; screenshots in {args.screenshots}" if args.screenshots else ""
    where = (
        f"{len(problems)} problem(s) on {len({p.page for p in problems})} of" if problems else "no problem on any of"
    )
    print(f"check-book: {where} {len(pages)} pages in {time.perf_counter() - t0:.0f} s{shots}", file=sys.stderr)
    return 2 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fslib",
        description="A reproducible study of fingerspelling recognition distilled from a 3D hand model "
        "(HaMeR), and of pose-based isolated sign recognition.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for spec in _SUBCOMMANDS:
        mod, fn = spec.split(":")
        getattr(importlib.import_module(mod), fn)(sub)
    return parser


def is_user_error(err: BaseException) -> bool:
    """Whether ``err`` is about the user's input rather than a bug: an exception class that fslib defines
    (DatasetError, ParameterError, CorpusError, RecognizeError, ...: each names the input and the fix) or a
    missing / unreadable path. Anything else is a bug and keeps its traceback."""
    if isinstance(err, (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)):
        return True
    return any(c.__module__.split(".")[0] == "fslib" for c in type(err).__mro__)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an error instead of its one-line message"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line, before or after the subcommand
    args = parser.parse_args([a for a in argv if a != "--debug"])
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"fslib {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except Exception as err:
        if debug or not is_user_error(err):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"fslib {args.command}: error: {first} (--debug shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
