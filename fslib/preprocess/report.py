"""The preprocessing report: per-sequence statistics and every piece of bad input, counted with examples."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd

from ..data.readers import ISSUE_ACTIONS, Issue

ISSUE_COLUMNS = ["kind", "filename", "frame", "detail", "action"]
# kinds listed in the report even when none occurred (so a zero is a measured zero)
REPORTED_KINDS = [
    "corrupt_jpeg",
    "missing_frame",
    "frame_count_mismatch",
    "label_outside_alphabet",
    "no_hand",
    "missing_folder",
    "bad_row",
    "no_readable_frames",
    "size_mismatch",
]


@dataclasses.dataclass
class PreprocessReport:
    """sequences: one row per sequence (detection rate, interpolated / BBox / fallback frames, chosen side,
    tracklets, timings in seconds); issues: one row per piece of bad input (kind, filename, frame, detail,
    action)."""

    sequences: pd.DataFrame
    issues: pd.DataFrame

    @classmethod
    def build(cls, stats: list[dict], issues: list[Issue]) -> PreprocessReport:
        seqs = pd.DataFrame(stats)
        iss = pd.DataFrame([dataclasses.asdict(i) for i in issues], columns=ISSUE_COLUMNS)
        return cls(seqs, iss)

    def counts(self, examples: int = 3) -> pd.DataFrame:
        """One row per kind of bad input: count, sequences affected, the documented action, examples."""
        rows = []
        kinds = REPORTED_KINDS + sorted(set(self.issues["kind"]) - set(REPORTED_KINDS))
        for kind in kinds:
            sub = self.issues[self.issues["kind"] == kind]
            ex = "; ".join(
                f"{r.filename}" + (f" #{int(r.frame)}" if int(r.frame) else "") + f" ({r.detail})"
                for r in sub.head(examples).itertuples()
            )
            rows.append(
                dict(
                    kind=kind,
                    count=len(sub),
                    sequences=sub["filename"].nunique(),
                    action=ISSUE_ACTIONS.get(kind, ""),
                    examples=ex,
                )
            )
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """Corpus-level numbers: sequences, frames, cropped / skipped, detection rates, hand sides."""
        s = self.sequences
        if s.empty:
            return dict(sequences=0)
        done = s[~s["skipped"].astype(bool)]
        frames = int(done["n_frames"].sum())
        return dict(
            sequences=int(len(s)),
            cropped=int(len(done)),
            skipped=int(s["skipped"].astype(bool).sum()),
            frames=frames,
            detection_rate=float(done["n_detected"].sum() / max(frames, 1)),
            any_hand_rate=float((done["any_hand_rate"] * done["n_frames"]).sum() / max(frames, 1)),
            interpolated_frames=int(done["n_interpolated"].sum()),
            bbox_frames=int(done["n_bbox"].sum()),
            fallback_frames=int(done["n_fallback"].sum()),
            right_hands=int((done["side"] == "right").sum()),
            left_hands=int((done["side"] == "left").sum()),
            issues=int(len(self.issues)),
        )

    def to_markdown(self, examples: int = 3) -> str:
        lines = [
            "| " + " | ".join(f"{k}" for k in self.summary()) + " |",
            "|" + "---|" * len(self.summary()),
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in self.summary().values()) + " |",
            "",
            self.counts(examples).to_markdown(index=False)
            if _has_tabulate()
            else self.counts(examples).to_string(index=False),
        ]
        return "\n".join(lines)

    def save(self, path: str | Path) -> None:
        from ..cache import write_json_atomic

        write_json_atomic(
            path,
            dict(
                summary=self.summary(),
                sequences=self.sequences.to_dict("records"),
                issues=self.issues.to_dict("records"),
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> PreprocessReport:
        d = json.loads(Path(path).read_text())
        return cls(pd.DataFrame(d["sequences"]), pd.DataFrame(d["issues"], columns=ISSUE_COLUMNS))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False
