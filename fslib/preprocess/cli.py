"""``fslib preprocess``: hand crops of a corpus from the command line (real data or a synthetic corpus)."""

from __future__ import annotations

import argparse
import dataclasses


def add_subcommand(sub: argparse._SubParsersAction) -> None:
    from .config import PreprocessConfig

    p = sub.add_parser(
        "preprocess",
        help="MediaPipe hand crops of a corpus into the crop cache (resumable; pool or Dask)",
        description="Read a corpus in the ChicagoFSWild layout (CSV + frame folders [+ BBox/]), crop the "
        "signing hand of every frame with MediaPipe Hands and cache the crops; print the preprocessing report.",
    )
    p.add_argument("corpus", help="corpus folder (or its CSV)")
    p.add_argument("--kind", default="auto", choices=["auto", "fswild", "fswildplus", "greek", "synthetic"])
    p.add_argument("--alphabet", default=None, choices=["fswild", "greek"])
    p.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    for f in dataclasses.fields(PreprocessConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(
                flag,
                type=lambda s: s.lower() in ("1", "true", "yes"),
                default=f.default,
                metavar="BOOL",
                help=f"default {f.default}",
            )
        else:
            p.add_argument(flag, type=type(f.default), default=f.default, help=f"default {f.default}")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..config import build_config
    from ..data import read_corpus
    from .config import PreprocessConfig
    from .store import preprocess_corpus

    cfg = build_config(PreprocessConfig, {f.name: getattr(args, f.name) for f in dataclasses.fields(PreprocessConfig)})
    corpus = read_corpus(args.corpus, kind=args.kind, alphabet=args.alphabet)
    store = preprocess_corpus(corpus, cfg, workers=args.workers, scheduler=args.scheduler)
    print(f"crops of {len(store.filenames)} sequences in {store.root}")
    print(store.report.to_markdown())
    return 0
