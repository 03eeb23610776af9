"""Tables and computed sentences of the recognizer pages: seeds summarised, the learned-nothing row beside
them, and verdicts that follow the numbers, including the source study's claims checked on the results
table (:mod:`fslib.claims`).

A row of the study tables (pages 05 and 06) is ``(variant, teacher)``: a loss variant of
:data:`fslib.recognizer.config.LOSS_VARIANTS` and the distillation target ("" when the variant does not
distil); :func:`fslib.recognizer.experiment.train_rows` trains them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import claims
from ..teachers.registry import REFERENCE, upper_bounds

METRICS = ("letter_accuracy", "letter_accuracy_htk", "letter_accuracy_beam", "letter_accuracy_htk_beam")


def seed_table(test_metrics: Mapping[int, Mapping[str, float]], baseline: Mapping[str, float]) -> pd.DataFrame:
    """One row per seed, then mean and s.d. over seeds, then the constant-output row (test split)."""
    rows = [{"row": f"seed {s}", **{k: m.get(k, np.nan) for k in METRICS}} for s, m in test_metrics.items()]
    t = pd.DataFrame(rows).set_index("row")
    if len(t) > 1:
        t.loc["mean"] = t.mean()
        t.loc["s.d."] = t.iloc[: len(rows)].std(ddof=1)
    t.loc["constant output"] = {k: baseline.get(k, np.nan) for k in METRICS}
    return t


def learned_verdict(
    test_metrics: Mapping[int, Mapping[str, float]], baseline: Mapping[str, float], goal: float | None = None
) -> str:
    """Whether the model is above the constant output on the test signers, by how much, and whether it reaches
    ``goal`` (plain letter accuracy), as a sentence computed from the numbers."""
    accs = np.array([m["letter_accuracy"] for m in test_metrics.values()])
    base = baseline["letter_accuracy"]
    mean = accs.mean()
    n = len(accs)
    spread = f" (s.d. {accs.std(ddof=1):.3f} over {n} seeds)" if n > 1 else " (one seed)"
    if accs.min() > base + 0.05:
        head = (
            f"The recognizer learned: test letter accuracy {mean:.3f}{spread}, "
            f"{mean - base:+.3f} above the constant output ({base:.3f}) for every seed."
        )
    elif mean > base:
        head = (
            f"The recognizer is only marginally above the constant output: {mean:.3f}{spread} vs {base:.3f}; "
            "it has barely learned to read the hand at this budget."
        )
    else:
        head = (
            f"The recognizer did not learn: test letter accuracy {mean:.3f}{spread} is not above the "
            f"constant output ({base:.3f})."
        )
    if goal is not None:
        head += f" The goal of {goal:.2f} is {'reached' if mean >= goal else 'not reached'} at this profile's budget."
    return head


def parameter_table(model: Any) -> pd.DataFrame:
    """The recognizer's parameter counts per part (``model.parameter_counts()``), one column ``parameters``."""
    return pd.Series(model.parameter_counts(), name="parameters").to_frame()


def config_table(cfg: Any) -> pd.DataFrame:
    """Every field of a configuration dataclass as text, one column ``value``."""
    return pd.Series({k: str(v) for k, v in vars(cfg).items()}, name="value").to_frame()


def value_table(values: Mapping[str, Any]) -> pd.DataFrame:
    """A key -> number mapping as a one-column (``value``) table."""
    return pd.Series(values, name="value").to_frame()


def split_table(splits: Mapping[str, Any], sequences: Mapping[str, Any]) -> pd.DataFrame:
    """Per split (name -> :class:`~fslib.recognizer.data.RecognizerData`): sequences, frames, signers and
    mean label length; ``sequences``: the crop store's filename -> sequence (``signer``, ``label``)."""
    rows = []
    for name, d in splits.items():
        seqs = [sequences[f] for f in d.filenames]
        rows.append(
            {
                "split": name,
                "sequences": len(d),
                "frames": int(sum(d.lengths())),
                "signers": len({s.signer for s in seqs}),
                "mean label length": float(np.mean([len(s.label) for s in seqs])),
            }
        )
    return pd.DataFrame(rows).set_index("split")


def skipped_line(splits: Mapping[str, Any]) -> str:
    """What :func:`fslib.recognizer.data.skip_report` says of the splits' unusable sequences, as one line."""
    from .data import skip_report

    skipped = skip_report(*splits.values())
    return f"skipped sequences: {skipped if skipped else 'none'}"


def final_epochs(runs: Mapping[int, Any]) -> pd.DataFrame:
    """One row per run (seed -> trained run): its last epoch's history row and the epoch that was kept."""
    return pd.DataFrame([{"seed": s, **r.history[-1], "best epoch": r.report["best_epoch"]} for s, r in runs.items()])


def teacher_latency(path: str | Path) -> pd.DataFrame:
    """Notebook 03's per-crop timing of the hand models (index ``network``), or an empty table of the same
    column when that page did not write it."""
    path = Path(path)
    return pd.read_csv(path).set_index("network") if path.exists() else pd.DataFrame(columns=["ms_per_crop_best"])


def speed_table(student_fps: float, latency: pd.DataFrame) -> pd.DataFrame:
    """Per-frame cost of the RGB student against a pose stream that must run a hand model on every frame
    first. ``latency``: notebook 03's table (index network, column ``ms_per_crop_best``). Rows: the student
    alone, then hand model + student for each network; with frames/s and the slowdown against the student."""
    student_ms = 1000.0 / student_fps
    rows = [{"pipeline": "RGB student (this page)", "ms_per_frame": student_ms}]
    for net, row in latency.iterrows():
        rows.append({"pipeline": f"{net} + student", "ms_per_frame": float(row["ms_per_crop_best"]) + student_ms})
    t = pd.DataFrame(rows).set_index("pipeline")
    t["frames_per_s"] = 1000.0 / t["ms_per_frame"]
    t["times_slower_than_student"] = t["ms_per_frame"] / student_ms
    return t


def speed_verdict(speed: pd.DataFrame, video_fps: float = 30.0, claimed_factor: float = 3.0) -> str:
    """The source study's inference claims, read off :func:`speed_table`: the RGB student runs in real time
    (at least ``video_fps``), and more than ``claimed_factor`` times faster than a pose stream built on the
    released HaMeR (when that row was measured)."""
    student = speed.iloc[0]
    rt = student["frames_per_s"] >= video_fps
    out = (
        f"Real time: the RGB student decodes {student['frames_per_s']:.0f} frames/s on this CPU, "
        f"{'above' if rt else 'below'} {video_fps:.0f} frames/s video, so the claim "
        f"{'replicates' if rt else 'does not replicate'} here."
    )
    released = [i for i in speed.index if i.startswith("released")]
    if released:
        f = float(speed.loc[released[0], "times_slower_than_student"])
        out += (
            f" A pose stream that first runs the released HaMeR on each crop is {f:.0f}x slower per frame, so "
            f"'more than {claimed_factor:.0f}x faster than pose-stream methods' "
            f"{'replicates' if f > claimed_factor else 'does not replicate'} (measured on CPU, batch of one clip)."
        )
    else:
        out += " The released HaMeR was not timed in this run (notebook 03's latency_crops = 0), so the speed-up over a pose stream is not measured."
    return out


VARIANT_LABELS = {
    "ctc_gru": "CTC on the BiGRU only",
    "ctc_both": "+ CTC on the 1D-CNN",
    "ctc_both_kl": "+ KL between the stages",
    "full": "+ distillation (full model)",
    "ctc_gru_distill": "CTC on the BiGRU + distillation",
}


def ablation_rows(teacher: str) -> list[tuple[str, str]]:
    """The loss-ablation table's rows, in the source study's order."""
    return [("ctc_gru", ""), ("ctc_both", ""), ("ctc_both_kl", ""), ("full", teacher), ("ctc_gru_distill", teacher)]


def teacher_rows(teachers: Sequence[str]) -> list[tuple[str, str]]:
    """The teacher-comparison table's rows: the full model distilled from each teacher, and no teacher."""
    return [("full", t) for t in teachers] + [("ctc_both_kl", "")]


def baseline_value(results: pd.DataFrame, metric: str = "letter_accuracy", split: str = "test") -> float:
    """The learned-nothing row's score (the best constant string) on ``split``."""
    t = results[(results["variant"] == "constant") & (results["metric"] == metric) & (results["split"] == split)]
    if t.empty:
        raise ValueError("the results table has no constant-output row; call Experiment.record_baseline() first")
    return float(t["value"].iloc[0])


def table(
    results: pd.DataFrame,
    rows: Sequence[tuple[str, str]],
    metrics: Sequence[str] = ("letter_accuracy", "letter_accuracy_htk"),
    split: str = "test",
) -> pd.DataFrame:
    """One line per row: its label, teacher, seeds and each metric as mean +- s.d., then the constant row."""
    out = None
    for m in metrics:
        s = claims.summarise(results, rows, m, split)
        s = s.rename(columns={"mean": f"{m}_mean", "std": f"{m}_std"})
        out = s if out is None else out.merge(s[[m, f"{m}_mean", f"{m}_std"]], left_index=True, right_index=True)
    out.insert(0, "row", [VARIANT_LABELS.get(v, v) for v in out["variant"]])
    const = {"row": "constant output (learned nothing)", "variant": "constant", "teacher": "none", "seeds": 1}
    for m in metrics:
        v = baseline_value(results, m, split)
        const.update({m: f"{v:.3f}", f"{m}_mean": v, f"{m}_std": float("nan")})
    return pd.concat([out, pd.DataFrame([const])], ignore_index=True)


def _claim(results, claim, a, b, names, metric, split) -> claims.Verdict:
    """:func:`fslib.claims.compare` against the table's constant output, in letter accuracy."""
    return claims.compare(
        results,
        claim,
        a,
        b,
        names,
        metric,
        split,
        baseline=baseline_value(results, metric, split),
        label="letter accuracy",
    )


LEARNED_SDS = 2.0  # a margin above the constant output within this many seed s.d.s is "barely learned"


def learning_outcome(mean: float, std: float, base: float, sds: float = LEARNED_SDS) -> str:
    """Did a row learn? "nothing" (mean at or below the constant output ``base``), "one seed" (no spread to judge
    the margin by: ``std`` NaN), "barely" (margin within ``sds`` seed s.d.s) or "learned". The one rule of the
    recognizer pages, the findings page and the front page."""
    if mean <= base:
        return "nothing"
    if pd.isna(std):
        return "one seed"
    return "barely" if mean - base <= sds * std else "learned"


def learning_note(
    results: pd.DataFrame, rows: Sequence[tuple[str, str]], metric: str = "letter_accuracy", split: str = "test"
) -> str:
    """A sentence on how far the table's best row is above the constant output, against that row's spread
    over seeds: within two seed s.d.s the models have barely learned, and every verdict on the table is
    weak however it comes out."""
    base = baseline_value(results, metric, split)
    s = claims.summarise(results, rows, metric, split).query("seeds > 0")
    if s.empty:
        return "No row of this table was run."
    best = s.loc[s["mean"].idxmax()]
    label = VARIANT_LABELS.get(best["variant"], best["variant"])
    outcome = learning_outcome(best["mean"], best["std"], base)
    if outcome == "nothing":
        return (
            f"Best row {label} ({best['teacher']}): {best['mean']:.3f}, at or below the constant output "
            f"({base:.3f}): no model learned anything the constant string does not already get right."
        )
    head = (
        f"Best row {label} ({best['teacher']}): {best['mean']:.3f}, {best['mean'] - base:+.3f} above the "
        f"constant output ({base:.3f})"
    )
    if outcome == "one seed":
        return f"{head}; one seed, so no spread to compare the margin with."
    if outcome == "barely":
        return (
            f"{head}, within two seed s.d.s ({best['std']:.3f}): these models have barely learned to read the "
            "hand, so every verdict on this table is weak."
        )
    return f"{head}, more than two seed s.d.s ({best['std']:.3f}): the models learned."


def coverage_note(
    results: pd.DataFrame,
    rows: Sequence[tuple[str, str]],
    wanted: int = 3,
    metric: str = "letter_accuracy",
    split: str = "test",
) -> str:
    """A sentence saying which rows have fewer than ``wanted`` seeds (or none) in ``results``, so a page
    states what was cut instead of hiding it."""
    s = claims.summarise(results, rows, metric, split)
    short = [
        f"{VARIANT_LABELS.get(r.variant, r.variant)} ({r.teacher}): {r.seeds} seed(s)"
        for r in s.itertuples()
        if r.seeds < wanted
    ]
    if not short:
        return f"Every row has at least {wanted} seeds."
    return f"Rows with fewer than {wanted} seeds: " + "; ".join(short) + "."


def run_configs(
    results: pd.DataFrame,
    results_path,
    fields: Sequence[str] = ("w_ctc_gru", "w_ctc_cnn", "w_kl", "w_distill", "teacher", "epochs", "width", "input_size"),
) -> pd.DataFrame:
    """One line per trained run of ``results``: its id, the loss weights and sizes that tell the rows apart,
    and the file holding its whole configuration (``configs/<run_id>.json`` beside the results table)."""
    import json
    from pathlib import Path

    folder = Path(results_path).parent / "configs"
    out = []
    for run_id in results.loc[results["variant"] != "constant", "run_id"].drop_duplicates():
        f = folder / f"{run_id}.json"
        cfg = json.loads(f.read_text()) if f.exists() else {}
        out.append(
            {
                "run_id": run_id,
                **{k: cfg.get(k, "") for k in fields},
                "configuration": f"tables/configs/{f.name}" if f.exists() else "missing",
            }
        )
    return pd.DataFrame(out)


def ablation_claims(
    results: pd.DataFrame, teacher: str, metric: str = "letter_accuracy", split: str = "test"
) -> list[claims.Verdict]:
    """The source study's loss-ablation claims, each checked on the table."""
    L = VARIANT_LABELS
    return [
        _claim(
            results,
            "Distillation helps the full model",
            ("full", teacher),
            ("ctc_both_kl", ""),
            ("full model", "full model without distillation"),
            metric,
            split,
        ),
        _claim(
            results,
            "Distillation alone helps",
            ("ctc_gru_distill", teacher),
            ("ctc_gru", ""),
            (L["ctc_gru_distill"], L["ctc_gru"]),
            metric,
            split,
        ),
        _claim(
            results,
            "CTC on the 1D-CNN contributes",
            ("ctc_both", ""),
            ("ctc_gru", ""),
            (L["ctc_both"], L["ctc_gru"]),
            metric,
            split,
        ),
        _claim(
            results,
            "The KL term contributes",
            ("ctc_both_kl", ""),
            ("ctc_both", ""),
            (L["ctc_both_kl"], L["ctc_both"]),
            metric,
            split,
        ),
    ]


def teacher_claims(
    results: pd.DataFrame,
    teachers: Sequence[str],
    best: str = REFERENCE,
    metric: str = "letter_accuracy",
    split: str = "test",
) -> list[claims.Verdict]:
    """ "HaMeR teaches better than the other hand models": one paired comparison per other hand model. A
    reference that is not a hand model (an upper bound of the teacher registry: the ground-truth pose) is not
    part of the claim: :func:`upper_bound_gaps` says how far ``best`` is from it instead."""
    return [
        _claim(results, f"{best} teaches better than {t}", ("full", best), ("full", t), (best, t), metric, split)
        for t in teachers
        if t != best and t not in upper_bounds()
    ]


def upper_bound_gaps(
    results: pd.DataFrame,
    teachers: Sequence[str],
    best: str = REFERENCE,
    metric: str = "letter_accuracy",
    split: str = "test",
) -> list[str]:
    """:func:`upper_bound_gap` for each teacher of ``teachers`` that the registry calls an upper bound."""
    return [upper_bound_gap(results, best, t, metric, split) for t in teachers if t in upper_bounds()]


def upper_bound_gap(
    results: pd.DataFrame, best: str, bound: str, metric: str = "letter_accuracy", split: str = "test"
) -> str:
    """A sentence on ``best`` against a teacher that is an upper bound rather than a competitor (the oracle
    pose): the paired per-seed difference and whether ``best`` is below it, level with it within seed noise,
    or above it. Not a verdict on the source study's claim."""
    c = claims.paired(results, ("full", best), ("full", bound), metric, split)
    head = f"{best} against {bound} (an upper bound, not a hand model; not part of the claim)"
    if c["outcome"] == "not testable":
        return f"{head}: not comparable here ({c['seeds']} seed(s) in common)."
    where = {
        "worse": "below the upper bound",
        "better": "above the upper bound",
        "within noise": "level with the upper bound within seed noise",
    }[c["outcome"]]
    diffs = ", ".join(f"{x:+.3f}" for x in c["differences"])
    return f"{head}: {where} ({best} - {bound} per seed: {diffs}; mean {c['mean']:+.3f}, s.d. {c['std']:.3f})."


# ------------------------------------------------------------------------------ the teacher comparison page
SEPARABILITY_COLUMNS = {"nearest_centroid": "teacher separability (NC)", "linear_probe": "teacher separability (LP)"}
COMPARISON_COLUMNS = (
    "row",
    "teacher",
    "seeds",
    "letter_accuracy",
    "letter_accuracy_htk",
    *SEPARABILITY_COLUMNS.values(),
)


def with_separability(table_: pd.DataFrame, sep: pd.DataFrame) -> pd.DataFrame:
    """The teacher-comparison :func:`table` with each teacher's letter separability (columns
    ``nearest_centroid`` and ``linear_probe`` of ``sep``, renamed to :data:`SEPARABILITY_COLUMNS`) beside it."""
    both = table_.merge(sep[["teacher", *SEPARABILITY_COLUMNS]], on="teacher", how="left")
    return both.rename(columns=SEPARABILITY_COLUMNS)


def teacher_labels(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Figure labels of the teacher-comparison rows: the teacher's name for the full model, otherwise the
    variant's label and its teacher (or "no teacher")."""
    return [f"{VARIANT_LABELS[v]}, {t or 'no teacher'}" if v != "full" else t for v, t in rows]


class SeparabilityRelation(NamedTuple):
    """:func:`separability_relation`'s answer: the distilled students with both numbers, whether to plot
    them, and the sentence to print ("" for none)."""

    models: pd.DataFrame
    plot: bool
    sentence: str


def separability_relation(
    both: pd.DataFrame,
    teachers: Sequence[str],
    baseline: float,
    x: str = SEPARABILITY_COLUMNS["nearest_centroid"],
    minimum: int = 3,
) -> SeparabilityRelation:
    """Whether a teacher whose vectors separate the letters better (column ``x`` of :func:`with_separability`)
    also teaches better: over the students distilled from ``teachers`` that have both numbers, the Spearman
    rank correlation of ``x`` with the mean letter accuracy, read only when at least ``minimum`` teachers
    have one and at least ``minimum`` of their students are above the constant output (``baseline``)."""
    models = both[both["teacher"].isin(teachers)].dropna(subset=[x, "letter_accuracy_mean"])
    learned = int((models["letter_accuracy_mean"] > baseline).sum())
    if len(models) < minimum:
        return SeparabilityRelation(models, False, "")
    if learned < minimum:
        return SeparabilityRelation(
            models,
            False,
            (
                f"Only {learned} of {len(models)} distilled students are above the constant output: "
                "no relation between teacher separability and student accuracy to read at this profile."
            ),
        )
    rho = models[x].corr(models["letter_accuracy_mean"], method="spearman")
    return SeparabilityRelation(
        models,
        True,
        (
            f"Spearman rank correlation of teacher separability and student accuracy over {len(models)} teachers: "
            f"{rho:+.2f} (with so few teachers, only a sign, not a test)"
        ),
    )


def teacher_claim_lines(results: pd.DataFrame, teachers: Sequence[str], best: str = REFERENCE) -> str:
    """Page 06's claim lines, "- " each: ``best`` against every other hand model (:func:`teacher_claims`),
    its gap to each upper bound (:func:`upper_bound_gaps`) and distillation from ``best`` against none (the
    first of :func:`ablation_claims`)."""
    lines = [v.sentence for v in teacher_claims(results, teachers, best)] + upper_bound_gaps(results, teachers, best)
    lines.append(ablation_claims(results, best)[0].sentence)
    return "\n".join(f"- {line}" for line in lines)


# ------------------------------------------------------------------ what the teacher of pages 05-07 reads
HELDOUT_FILE, FINGERS_FILE = "teacher_heldout_errors.csv", "teacher_finger_errors.csv"


def _below(gain: float) -> str:
    """A relative gain over a baseline as words: "12% lower" or "30% higher"."""
    return f"{abs(gain):.0%} {'lower' if gain >= 0 else 'higher'}"


def teacher_pose_line(tables_dir: str | Path, hamer_checkpoint: str = "") -> str:
    """How well the synthetic teachers read the hand, as notebook 03 measured it on held-out hands, in one
    sentence built from its tables in ``tables_dir`` (:data:`HELDOUT_FILE`: rows ``model``, ``metric``,
    ``value``, ``learned-nothing baseline``, ``gain``; :data:`FINGERS_FILE`: rows ``finger``, ``gain``):
    the synthetic HaMeR's finger-joint error against the best constant prediction, the range of its
    per-finger gains, and the keypoint regressor's 3D error against its constant. Says so when notebook 03
    did not write the tables, and when ``hamer_checkpoint`` names the official weights (then HaMeR's rows of
    the recognizer pages do not come from the synthetic teacher)."""
    tables_dir = Path(tables_dir)
    lead = (
        "The HaMeR teacher of this run is the official checkpoint; notebook 03's held-out errors describe the "
        "synthetic teacher, which only the keypoint regressor's row still uses. "
        if hamer_checkpoint
        else ""
    )
    path = tables_dir / HELDOUT_FILE
    if not path.exists():
        return lead + f"Notebook 03's held-out errors ({HELDOUT_FILE}) are not among this run's tables."
    held = pd.read_csv(path).dropna(subset=["learned-nothing baseline"])
    parts = []
    finger = held[(held["model"] == "synthetic HaMeR") & held["metric"].str.startswith("finger joint")]
    if len(finger):
        r = finger.iloc[0]
        parts.append(
            f"the synthetic HaMeR's finger-joint rotation error is {r['value']:.1f} deg against "
            f"{r['learned-nothing baseline']:.1f} deg for the best constant prediction ({_below(r['gain'])})"
        )
    fpath = tables_dir / FINGERS_FILE
    if fpath.exists():
        fingers = pd.read_csv(fpath).sort_values("gain")
        if len(fingers) > 1:
            lo, hi = fingers.iloc[0], fingers.iloc[-1]
            parts.append(
                f"per finger, from {_below(lo['gain'])} ({lo['finger']}) to {_below(hi['gain'])} ({hi['finger']})"
            )
    kp = held[held["model"] == "keypoint regressor"]
    if len(kp):
        r = kp.iloc[0]
        parts.append(
            f"the keypoint regressor's 3D keypoint error is {r['value']:.1f} mm against "
            f"{r['learned-nothing baseline']:.1f} mm ({_below(r['gain'])})"
        )
    if not parts:
        return lead + f"Notebook 03's {HELDOUT_FILE} has no row with a learned-nothing baseline."
    return lead + "On notebook 03's held-out hands, " + "; ".join(parts) + "."
