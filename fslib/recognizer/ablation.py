"""The fingerspelling study's tables: which runs each row needs, training them (cached per configuration
and seed, so a run shared by two tables is trained once), and the claims of the source study computed
from the results table (:mod:`fslib.recognizer.comparison`).

A row is ``(variant, teacher)``: a loss variant of :data:`fslib.recognizer.config.LOSS_VARIANTS` and the
distillation target ("" when the variant does not distil).
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from . import comparison
from .config import LOSS_VARIANTS, make_config

VARIANT_LABELS = {"ctc_gru": "CTC on the BiGRU only", "ctc_both": "+ CTC on the 1D-CNN",
                  "ctc_both_kl": "+ KL between the stages", "full": "+ distillation (full model)",
                  "ctc_gru_distill": "CTC on the BiGRU + distillation"}


def ablation_rows(teacher: str) -> list[tuple[str, str]]:
    """The loss-ablation table's rows, in the source study's order."""
    return [("ctc_gru", ""), ("ctc_both", ""), ("ctc_both_kl", ""), ("full", teacher), ("ctc_gru_distill", teacher)]


def teacher_rows(teachers: Sequence[str]) -> list[tuple[str, str]]:
    """The teacher-comparison table's rows: the full model distilled from each teacher, and no teacher."""
    return [("full", t) for t in teachers] + [("ctc_both_kl", "")]


def train_rows(exp: Any, rows: Sequence[tuple[str, str]], seeds: Sequence[int]) -> pd.DataFrame:
    """Train (or load) every row at every seed with :class:`~fslib.recognizer.experiment.Experiment` ``exp``
    (its parameters give everything but the variant and teacher), evaluate and record each run in the
    profile's results table. Returns the rows of exactly these runs and of this corpus's constant-output
    baseline (other pages' runs, or runs on another corpus, in the same table are left out)."""
    from . import results as results_table

    exp.record_baseline()
    values = {k: v for k, v in exp.params.items() if k in make_config().__dataclass_fields__ and k != "seed"}
    for variant, _ in rows:
        if variant not in LOSS_VARIANTS:
            raise ValueError(f"unknown loss variant {variant!r}; choose from {', '.join(LOSS_VARIANTS)}")
    ids = [exp.baseline_id()]
    for variant, teacher in rows:
        for seed in seeds:
            cfg = make_config({**values, "teacher": teacher}, variant=variant, seed=seed)
            result = exp.train(cfg)
            exp.evaluate(result)
            ids.append(result.run_id)
    table = results_table.read(exp.results_path())
    return table[table["run_id"].isin(ids)].reset_index(drop=True)


def baseline_value(results: pd.DataFrame, metric: str = "letter_accuracy", split: str = "test") -> float:
    """The learned-nothing row's score (the best constant string) on ``split``."""
    t = results[(results["variant"] == "constant") & (results["metric"] == metric) & (results["split"] == split)]
    if t.empty:
        raise ValueError("the results table has no constant-output row; call Experiment.record_baseline() first")
    return float(t["value"].iloc[0])


def table(results: pd.DataFrame, rows: Sequence[tuple[str, str]],
          metrics: Sequence[str] = ("letter_accuracy", "letter_accuracy_htk"), split: str = "test") -> pd.DataFrame:
    """One line per row: its label, teacher, seeds and each metric as mean +- s.d., then the constant row."""
    out = None
    for m in metrics:
        s = comparison.summarise(results, rows, m, split)
        s = s.rename(columns={"mean": f"{m}_mean", "std": f"{m}_std"})
        out = s if out is None else out.merge(s[[m, f"{m}_mean", f"{m}_std"]], left_index=True, right_index=True)
    out.insert(0, "row", [VARIANT_LABELS.get(v, v) for v in out["variant"]])
    const = {"row": "constant output (learned nothing)", "variant": "constant", "teacher": "none", "seeds": 1}
    for m in metrics:
        v = baseline_value(results, m, split)
        const.update({m: f"{v:.3f}", f"{m}_mean": v, f"{m}_std": float("nan")})
    return pd.concat([out, pd.DataFrame([const])], ignore_index=True)


def _claim(results, claim, a, b, names, metric, split):
    missing = [n for n, r in zip(names, (a, b))
               if not len(comparison.summarise(results, [r], metric, split).query("seeds > 0"))]
    if missing:
        return f"{claim}: not run at this profile (no run of {' or '.join(missing)} in the table)."
    return comparison.check_claim(results, claim, a, b, names, metric, split,
                                  baseline=baseline_value(results, metric, split), label="letter accuracy")[1]


def learning_note(results: pd.DataFrame, rows: Sequence[tuple[str, str]], metric: str = "letter_accuracy",
                  split: str = "test") -> str:
    """A sentence on how far the table's best row is above the constant output, against that row's spread
    over seeds: within two seed s.d.s the models have barely learned, and every verdict on the table is
    weak however it comes out."""
    base = baseline_value(results, metric, split)
    s = comparison.summarise(results, rows, metric, split).query("seeds > 0")
    if s.empty:
        return "No row of this table was run."
    best = s.loc[s["mean"].idxmax()]
    label = VARIANT_LABELS.get(best["variant"], best["variant"])
    if best["mean"] <= base:
        return (f"Best row {label} ({best['teacher']}): {best['mean']:.3f}, at or below the constant output "
                f"({base:.3f}): no model learned anything the constant string does not already get right.")
    head = (f"Best row {label} ({best['teacher']}): {best['mean']:.3f}, {best['mean'] - base:+.3f} above the "
            f"constant output ({base:.3f})")
    if pd.isna(best["std"]):
        return f"{head}; one seed, so no spread to compare the margin with."
    if best["mean"] - base <= 2 * best["std"]:
        return (f"{head}, within two seed s.d.s ({best['std']:.3f}): these models have barely learned to read the "
                "hand, so every verdict on this table is weak.")
    return f"{head}, more than two seed s.d.s ({best['std']:.3f}): the models learned."


def coverage_note(results: pd.DataFrame, rows: Sequence[tuple[str, str]], wanted: int = 3,
                  metric: str = "letter_accuracy", split: str = "test") -> str:
    """A sentence saying which rows have fewer than ``wanted`` seeds (or none) in ``results``, so a page
    states what was cut instead of hiding it."""
    s = comparison.summarise(results, rows, metric, split)
    short = [f"{VARIANT_LABELS.get(r.variant, r.variant)} ({r.teacher}): {r.seeds} seed(s)"
             for r in s.itertuples() if r.seeds < wanted]
    if not short:
        return f"Every row has at least {wanted} seeds."
    return f"Rows with fewer than {wanted} seeds: " + "; ".join(short) + "."


def run_configs(results: pd.DataFrame, results_path, fields: Sequence[str] = (
        "w_ctc_gru", "w_ctc_cnn", "w_kl", "w_distill", "teacher", "epochs", "width", "input_size")) -> pd.DataFrame:
    """One line per trained run of ``results``: its id, the loss weights and sizes that tell the rows apart,
    and the file holding its whole configuration (``configs/<run_id>.json`` beside the results table)."""
    import json
    from pathlib import Path

    folder = Path(results_path).parent / "configs"
    out = []
    for run_id in results.loc[results["variant"] != "constant", "run_id"].drop_duplicates():
        f = folder / f"{run_id}.json"
        cfg = json.loads(f.read_text()) if f.exists() else {}
        out.append({"run_id": run_id, **{k: cfg.get(k, "") for k in fields},
                    "configuration": f"tables/configs/{f.name}" if f.exists() else "missing"})
    return pd.DataFrame(out)


def ablation_claims(results: pd.DataFrame, teacher: str, metric: str = "letter_accuracy",
                    split: str = "test") -> list[str]:
    """The source study's loss-ablation claims, each computed from the table."""
    L = VARIANT_LABELS
    return [
        _claim(results, "Distillation helps the full model", ("full", teacher), ("ctc_both_kl", ""),
               ("full model", "full model without distillation"), metric, split),
        _claim(results, "Distillation alone helps", ("ctc_gru_distill", teacher), ("ctc_gru", ""),
               (L["ctc_gru_distill"], L["ctc_gru"]), metric, split),
        _claim(results, "CTC on the 1D-CNN contributes", ("ctc_both", ""), ("ctc_gru", ""),
               (L["ctc_both"], L["ctc_gru"]), metric, split),
        _claim(results, "The KL term contributes", ("ctc_both_kl", ""), ("ctc_both", ""),
               (L["ctc_both_kl"], L["ctc_both"]), metric, split),
    ]


# teachers that are references, not hand models: compared with HaMeR on their own line, outside the claim
UPPER_BOUNDS = ("oracle_pose",)


def teacher_claims(results: pd.DataFrame, teachers: Sequence[str], best: str = "hamer",
                   metric: str = "letter_accuracy", split: str = "test") -> list[str]:
    """"HaMeR teaches better than the other hand models": one paired comparison per other hand model. A
    reference that is not a hand model (:data:`UPPER_BOUNDS`: the ground-truth pose) is not part of the
    claim: its line says how far ``best`` is from that upper bound instead."""
    lines = [_claim(results, f"{best} teaches better than {t}", ("full", best), ("full", t), (best, t), metric, split)
             for t in teachers if t != best and t not in UPPER_BOUNDS]
    lines += [upper_bound_gap(results, best, t, metric, split) for t in teachers if t in UPPER_BOUNDS]
    return lines


def upper_bound_gap(results: pd.DataFrame, best: str, bound: str, metric: str = "letter_accuracy",
                    split: str = "test") -> str:
    """A sentence on ``best`` against a teacher that is an upper bound rather than a competitor (the oracle
    pose): the paired per-seed difference and whether ``best`` is below it, level with it within seed noise,
    or above it. Not a verdict on the source study's claim."""
    c = comparison.paired(results, ("full", best), ("full", bound), metric, split)
    head = f"{best} against {bound} (an upper bound, not a hand model; not part of the claim)"
    if c["outcome"] == "not testable":
        return f"{head}: not comparable here ({c['seeds']} seed(s) in common)."
    where = {"worse": "below the upper bound", "better": "above the upper bound",
             "within noise": "level with the upper bound within seed noise"}[c["outcome"]]
    diffs = ", ".join(f"{x:+.3f}" for x in c["differences"])
    return f"{head}: {where} ({best} - {bound} per seed: {diffs}; mean {c['mean']:+.3f}, s.d. {c['std']:.3f})."


