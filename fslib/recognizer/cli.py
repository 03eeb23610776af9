"""``fslib train``: train and evaluate the recognizer with notebook 04's parameters, outside the book."""

from __future__ import annotations

import argparse


def add_subcommand(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train and evaluate the fingerspelling recognizer (the parameters of notebook 04)",
        description="Train the recognizer exactly as notebook 04_recognizer does: the same parameter names, "
        "resolved from a profile of fslib/study.yml and --set overrides. Runs are cached and resumable "
        "(rerun the same command after an interruption); results rows go to OUT_DIR/tables/results.csv. "
        "Under torchrun the training is data-parallel over the processes.",
    )
    p.add_argument(
        "--profile",
        default="smoke",
        choices=["smoke", "ci", "full", "paper"],
        help="take the notebook's parameters from this profile (default smoke)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter of notebook 04, e.g. teacher=oracle_pose, epochs=10, "
        "train_seeds=[0,1,2] (repeatable)",
    )
    p.add_argument(
        "--variant",
        default=None,
        help="train this row of page 05's loss ablation instead of the full model, e.g. ctc_gru (the rows are "
        "fslib.recognizer.LOSS_VARIANTS; the terms a row lacks get weight 0; an unknown name lists them)",
    )
    p.add_argument("--out-dir", default="runs/interactive", help="where the results table goes")
    p.add_argument("--list", action="store_true", help="print the resolved parameters and stop")
    p.set_defaults(func=_run)


def resolve_params(profile: str, sets: list[str], out_dir: str, variant: str | None = None) -> dict:
    """Notebook 04's parameters: its defaults, then the profile's values, then ``sets``; then, with ``variant``
    (a loss-ablation row), the weights of the loss terms that row lacks set to 0."""
    from ..study.plan import load_plan
    from .experiment import NOTEBOOK

    plan = load_plan()
    declared = plan.parameters(NOTEBOOK)
    params = {name: p.default for name, p in declared.items()}
    sets = [s if ":" in s.split("=", 1)[0] else f"{NOTEBOOK}:{s}" for s in sets]
    params.update(plan.resolve(profile, [NOTEBOOK], sets, out_dir=out_dir)[NOTEBOOK])
    params.update(profile=profile, out_dir=out_dir)
    if variant is not None:
        from .config import variant_overrides

        params.update(variant_overrides(variant))
    return params


def _run(args: argparse.Namespace) -> int:
    import json
    import os

    from .experiment import run

    params = resolve_params(args.profile, args.sets, args.out_dir, args.variant)
    if args.list:
        print(json.dumps(params, indent=2))
        return 0
    table = run(params)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and rank != 0:  # under torchrun rank 0 evaluates, writes and prints
        print(f"rank {rank} of {world}: trained its share; rank 0 reports")
        return 0
    print(table.to_string(index=False))
    print(f"results rows in {args.out_dir}/tables/results.csv")
    if len(table):
        print(f"the best-dev seed's model in {args.out_dir}/models/recognizer.pt (fslib recognize --checkpoint)")
    return 0
