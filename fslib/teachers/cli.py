"""``fslib teachers``: check a HaMeR checkpoint, time the full-size network, pretrain the synthetic teacher."""

from __future__ import annotations

import argparse
import json


def _add_teachers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "teachers",
        help="hand-model teachers: checkpoint check, CPU latency, synthetic pretraining",
        description="Tools of the teacher stage (fslib.teachers).",
    )
    tsub = p.add_subparsers(dest="teachers_command", metavar="ACTION", required=True)
    c = tsub.add_parser("check", help="load an official hamer.ckpt strictly and report its size")
    c.add_argument("checkpoint", help="path to hamer.ckpt (Lightning file)")
    c.set_defaults(func=_check)
    lat = tsub.add_parser("latency", help="ms per crop of the full-size HaMeR on this CPU (random weights)")
    lat.add_argument("--crops", type=int, default=1)
    lat.add_argument("--repeats", type=int, default=2)
    lat.add_argument("--size", default="released", help="HaMeR preset (released, base, small, tiny)")
    lat.set_defaults(func=_latency)
    pre = tsub.add_parser("pretrain", help="pretrain (or load from the cache) the synthetic HaMeR teacher")
    pre.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a SyntheticTeacherConfig field, e.g. size=small, samples=2000, epochs=8 (repeatable)",
    )
    pre.set_defaults(func=_pretrain)


def _check(args: argparse.Namespace) -> int:
    import sys

    from .checkpoint import CheckpointError, load_hamer_checkpoint

    try:
        model = load_hamer_checkpoint(args.checkpoint)
    except CheckpointError as err:
        print(f"fslib teachers check: error: {err}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {"checkpoint": args.checkpoint, "parameters": model.parameter_counts(), "loaded": "strict"}, indent=2
        )
    )
    return 0


def _latency(args: argparse.Namespace) -> int:
    from .extract import measure_latency
    from .hamer import hamer_config

    print(json.dumps(measure_latency(hamer_config(args.size), crops=args.crops, repeats=args.repeats), indent=2))
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from ..study.plan import _parse_literal
    from .synthetic import make_config, pretrain

    overrides = {}
    for item in args.sets:
        if "=" not in item:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        overrides[k.strip()] = _parse_literal(v)
    result = pretrain(make_config(overrides))
    print(
        json.dumps(
            {
                "folder": str(result.folder),
                "hamer_val": result.report["hamer_val"],
                "kp_val": result.report["kp_val"],
                "seconds": result.report["seconds"],
            },
            indent=2,
        )
    )
    return 0
