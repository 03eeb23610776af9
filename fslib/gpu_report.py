"""The book's GPU page: the tables of a committed ``fslib.gpu_probe`` run (``runs/gpu/*_probe.csv``), rendered
as Markdown when the book is staged, with the source study's inference claim checked on them.

The probe runs where a GPU is (``python -m fslib.gpu_probe --out DIR``); no profile of the study needs one.
Every number on the page comes from the CSV; nothing is typed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PRECISIONS = ["fp32", "tf32", "bf16", "fp16"]
CLAIMED_FACTOR = 3.0  # the source: the RGB-only student is "over 3x" faster than pose-stream methods


def _pivot(d: pd.DataFrame, measurement: str, metrics: dict[str, str], index: str = "precision") -> pd.DataFrame:
    part = d[(d["measurement"] == measurement) & d["metric"].isin(list(metrics))]
    t = part.pivot_table(index=[index, "variant"], columns="metric", values="value", aggfunc="first")
    t = t[[m for m in metrics if m in t.columns]].rename(columns=metrics)
    return t.reset_index()


def _order(t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    t["_p"] = t["precision"].map({p: i for i, p in enumerate(PRECISIONS)})
    return t.sort_values(["_p", "variant"]).drop(columns="_p")


def tables(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The page's tables from the probe's long CSV: matmul rate, the student's inference, the released HaMeR,
    the per-frame ratio of a HaMeR pose stream to the student, and the paper-sized training step."""
    out = {}
    out["matmul"] = _order(_pivot(d, "matmul", {"tflops": "TFLOP/s"}))
    out["student"] = _order(
        _pivot(
            d,
            "inference",
            {"per_frame_ms": "ms per frame", "frames_per_s": "frames/s", "peak_memory_gb": "peak memory (GB)"},
        )
    )
    out["hamer"] = _order(
        _pivot(
            d, "hamer", {"per_crop_ms": "ms per crop", "crops_per_s": "crops/s", "peak_memory_gb": "peak memory (GB)"}
        )
    ).query("variant != 'build'")
    out["ratio"] = _order(
        _pivot(
            d,
            "ratio",
            {
                "student_ms_per_frame": "student (ms/frame)",
                "hamer_ms_per_frame": "HaMeR (ms/frame)",
                "slowdown_x": "student + HaMeR / student (x)",
            },
        )
    )
    out["train"] = _pivot(
        d,
        "train",
        {"frames_per_s": "frames/s", "step_s": "s per step", "peak_memory_gb": "peak memory (GB)"},
    )
    return out


def verdict(ratio: pd.DataFrame, factor: float = CLAIMED_FACTOR) -> str:
    """The source's "over ``factor``x faster than a pose stream" on this GPU: in how many of the measured
    regimes and precisions the pipeline with HaMeR in the loop is more than ``factor`` times slower per frame."""
    col = "student + HaMeR / student (x)"
    if ratio.empty:
        return "The probe measured no ratio."
    above = ratio[ratio[col] > factor]
    low = ratio.loc[ratio[col].idxmin()]
    head = (
        f"A pose stream with the released-size HaMeR in the loop is {ratio[col].min():.1f}x to "
        f"{ratio[col].max():.1f}x slower per frame than the RGB student alone; more than {factor:g}x in "
        f"{len(above)} of {len(ratio)} regime/precision pairs (smallest: {low['variant']}, {low['precision']})"
    )
    return head + (
        f", so 'over {factor:g}x faster' replicates on this GPU."
        if len(above) == len(ratio)
        else f", so 'over {factor:g}x faster' holds only in some settings on this GPU."
    )


def environment_line(d: pd.DataFrame, meta: dict | None = None) -> str:
    """One line on the machine: GPU, memory, driver and library versions (from the probe's environment rows)."""
    env = d[d["measurement"] == "environment"]
    note = str(env["note"].dropna().iloc[0]) if env["note"].notna().any() else ""
    fields = dict(kv.split("=", 1) for kv in note.split("; ") if "=" in kv)
    mem = env.loc[env["metric"] == "memory_gb", "value"]
    line = (
        f"{fields.get('gpu_name', 'GPU')} ({float(mem.iloc[0]):.0f} GB), driver {fields.get('driver_version', '?')}, "
        f"CUDA {fields.get('cuda_build', '?')}, torch {fields.get('torch', '?')}"
    )
    if meta:
        line += f"; measured {meta.get('finished_utc', '?')} (UTC) in {meta.get('elapsed_s', 0):.0f} s"
    return line


def _number(v: object) -> str:
    if not isinstance(v, float):
        return str(v)
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _markdown(t: pd.DataFrame) -> str:
    return t.map(_number).to_markdown(index=False, colalign=["left", "left"] + ["right"] * (t.shape[1] - 2))


def render(csv: Path) -> str:
    """The Markdown of the GPU page's measured part, from one probe CSV (and its JSON beside it, if any)."""
    import json

    d = pd.read_csv(csv)
    meta_file = csv.with_suffix(".json")
    meta = json.loads(meta_file.read_text()).get("probe", {}) if meta_file.exists() else None
    t = tables(d)
    parts = [
        f"**Machine:** {environment_line(d, meta)}. Source: `{csv.name}` in `runs/gpu/`.",
        "",
        verdict(t["ratio"]),
        "",
        "Matrix-multiply rate (8192 x 8192 x 8192):",
        "",
        _markdown(t["matmul"]),
        "",
        "The RGB student at the `paper` size (full-width ResNet34, 224 px crops, 1D-CNN, BiGRU), as it runs at "
        "test time (`clip_b1`: one 48-frame clip; `frame_b1_backbone`: one frame at a time through the ResNet34; "
        "`throughput_b32`: 32 clips at once):",
        "",
        _markdown(t["student"]),
        "",
        "The released-size HaMeR (ViT-H/16 and its transformer head, random weights; timing only) per crop:",
        "",
        _markdown(t["hamer"]),
        "",
        "Per-frame cost of a pose stream that runs HaMeR on every crop before the student, against the student "
        "alone (`frame`: frame by frame; `clip`: a 48-frame clip; `throughput`: batched):",
        "",
        _markdown(t["ratio"]),
        "",
        "A `paper`-sized training step (batch 16 sequences x 48 frames, every loss term, AdamW; `ddp_1gpu`: the "
        "same under DistributedDataParallel on one GPU, NCCL):",
        "",
        _markdown(t["train"]),
    ]
    return "\n".join(parts) + "\n"


def render_all(folder: Path) -> str:
    """:func:`render` for every ``*_probe.csv`` in ``folder``, or a line saying none was committed."""
    files = sorted(Path(folder).glob("*_probe.csv"))
    if not files:
        return "No GPU measurement is committed in `runs/gpu/` yet.\n"
    return "\n\n".join(render(f) for f in files)
