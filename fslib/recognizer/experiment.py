"""The recognizer's pipeline from one set of parameters, shared by notebooks 04-07 and ``fslib train``:
corpus (synthetic or real) -> crops -> the teacher's vectors -> training (one run per seed) -> evaluation
-> rows of the profile's results table (:mod:`fslib.results`); :func:`train_rows` trains the rows of the
study tables (pages 05 and 06), :func:`loss_ablation` builds page 05's table for one corpus, and
:func:`teacher_separability` and :func:`throughput` hold the orchestration of pages 06 and 04.

The parameter names are the notebook's (:data:`PARAMS`); ``fslib train --profile P --set k=v`` resolves
them exactly as ``fslib study`` does for the notebook, so the CLI and the page train the same model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import alphabet as alph
from .. import results as results_table
from .config import LOSS_VARIANTS, RecognizerConfig, make_config
from .evaluate import predict, split_metrics
from .metrics import constant_baseline

NOTEBOOK = "04_recognizer"

DATA_PARAMS = (
    "seed",
    "corpus_path",
    "alphabet",
    "corpus_signers",
    "corpus_sequences",
    "image_size",
    "corpus_fps",
    "max_word_len",
    "crop_size",
    "margin",
    "min_detection",
    "workers",
)
TEACHER_PARAMS = (
    "hamer_checkpoint",
    "teacher_size",
    "teacher_input_size",
    "pretrain_samples",
    "pretrain_val_samples",
    "pretrain_signers",
    "pretrain_epochs",
)
RECOGNIZER_PARAMS = tuple(f.name for f in dataclasses.fields(RecognizerConfig) if f.name != "seed")
RUN_PARAMS = ("train_seeds", "beam", "out_dir", "profile")
PARAMS = DATA_PARAMS + TEACHER_PARAMS + RECOGNIZER_PARAMS + RUN_PARAMS


@dataclasses.dataclass
class Experiment:
    """Everything one recognizer page needs, built lazily from the page's parameters."""

    params: dict[str, Any]
    progress: bool = True
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_params(cls, namespace: Mapping[str, Any], progress: bool = True, **overrides: Any) -> Experiment:
        """Pick the known parameter names out of ``namespace`` (a notebook's globals, or a dict). A recognizer
        setting missing there takes the default of notebook 04's parameters cell: the table pages 05-07
        declare only what they change and get the rest from 04 (``inherit`` in ``fslib/study.yml``; the runner
        injects them, this fills them in when such a page runs by hand)."""
        from ..study.plan import load_plan

        params = {k: namespace[k] for k in PARAMS if k in namespace}
        missing = [k for k in PARAMS if k not in params and k not in RUN_PARAMS]
        if missing:
            defaults = load_plan().parameters(NOTEBOOK)
            params.update({k: defaults[k].default for k in missing if k in defaults})
        params.update(overrides)
        exp = cls(params, progress)
        exp.validate()
        return exp

    def validate(self) -> None:
        """Check every parameter before any work starts (a bad teacher name is an error now, not after minutes
        of rendering and cropping): the recognizer's settings, the corpus and crop sizes, the teacher's size,
        the alphabet, a given corpus path and the seeds. Raises :class:`~fslib.config.ConfigError`."""
        from ..config import ConfigError
        from ..teachers.hamer import PRESETS

        p = self.params
        self.config()  # the recognizer's own checks (teacher name, widths, weights, epochs, ...)
        self.alphabet  # noqa: B018 - an unknown alphabet raises here
        for name in ("corpus_signers", "corpus_sequences", "image_size", "crop_size", "corpus_fps", "max_word_len"):
            v = p.get(name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ConfigError(f"{name}={v!r}: a whole number >= 1")
        if p.get("teacher_size") is not None and p["teacher_size"] not in PRESETS:
            raise ConfigError(f"teacher_size={p['teacher_size']!r} is unknown; choose from {', '.join(PRESETS)}")
        if p.get("corpus_path") and not Path(p["corpus_path"]).exists():
            raise ConfigError(
                f"corpus_path={p['corpus_path']!r} does not exist; give the folder of a corpus in the ChicagoFSWild layout (book: Rerun this study)"
            )
        seeds = p.get("train_seeds", [0])
        if not isinstance(seeds, (list, tuple)) or not seeds or not all(isinstance(x, int) for x in seeds):
            raise ConfigError(f"train_seeds={seeds!r}: a non-empty list of whole numbers, e.g. [0, 1, 2]")

    def derive(self, **overrides: Any) -> Experiment:
        """A new experiment with these parameters changed (e.g. another corpus) and nothing computed yet."""
        return type(self)({**self.params, **overrides}, self.progress)

    @property
    def teacher_name(self) -> str:
        """The configured distillation target (``teacher``; "" for none)."""
        return self.params.get("teacher", "")

    # ------------------------------------------------------------------------------------------- data
    @property
    def synthetic(self) -> bool:
        return not self.params.get("corpus_path")

    @property
    def alphabet(self) -> alph.Alphabet:
        return alph.get(self.params.get("alphabet", "fswild"))

    def corpus_config(self):
        from ..synth import corpus as synth

        p = self.params
        return synth.make_config(
            alphabet=p.get("alphabet", "fswild"),
            signers=p["corpus_signers"],
            sequences=p["corpus_sequences"],
            image_size=p["image_size"],
            seed=p.get("seed", 0),
            fps=p.get("corpus_fps", 30),
            max_word_len=p.get("max_word_len", 10),
        )

    @property
    def corpus(self):
        if "corpus" not in self._cache:
            from ..data import read_corpus
            from ..synth import corpus as synth

            root = (
                synth.generate(self.corpus_config(), progress=self.progress)
                if self.synthetic
                else self.params["corpus_path"]
            )
            self._cache["corpus"] = read_corpus(root, alphabet=self.params.get("alphabet", "fswild"))
        return self._cache["corpus"]

    @property
    def store(self):
        if "store" not in self._cache:
            from ..config import build_config
            from ..preprocess import PreprocessConfig, crops_for

            p = self.params
            cfg = build_config(
                PreprocessConfig,
                dict(
                    crop_size=p["crop_size"],
                    margin=p.get("margin", 0.25),
                    min_detection=p.get("min_detection", 0.3),
                    min_tracking=p.get("min_detection", 0.3),
                ),
            )
            self._cache["store"] = crops_for(self.corpus, cfg, workers=p.get("workers") or None, progress=self.progress)
        return self._cache["store"]

    def describe_corpus(self) -> str:
        from .. import report

        p = self.params
        line = report.describe_corpus(
            p.get("corpus_path", ""),
            alphabet=p.get("alphabet", "fswild"),
            signers=p["corpus_signers"],
            sequences=p["corpus_sequences"],
            image_size=p["image_size"],
            seed=p.get("seed", 0),
        )
        if self.synthetic:
            line += f", {p.get('corpus_fps', 30)} frames/s, words of at most {p.get('max_word_len', 10)} letters"
        return line

    # ---------------------------------------------------------------------------------------- teacher
    def teacher_config(self):
        from ..teachers.synthetic import make_config as teacher_make_config

        p = self.params
        return teacher_make_config(
            size=p["teacher_size"],
            crop_size=p.get("teacher_input_size") or p["crop_size"],
            margin=p.get("margin", 0.25),
            samples=p["pretrain_samples"],
            val_samples=p["pretrain_val_samples"],
            signers=p["pretrain_signers"],
            epochs=p["pretrain_epochs"],
            seed=p.get("seed", 0),
        )

    def describe_teacher(self, name: str | None = None) -> str:
        """The provenance line of teacher ``name`` (default: the configured one), from its registry entry."""
        from .. import report
        from ..teachers import spec

        name = self.params.get("teacher", "") if name is None else name
        if not name:
            return "none (no distillation)"
        p = self.params
        hamer = report.describe_teacher(
            p.get("hamer_checkpoint", ""),
            size=p["teacher_size"],
            samples=p["pretrain_samples"],
            epochs=p["pretrain_epochs"],
        )
        return spec(name).provenance.format(hamer=hamer)

    def describe_teachers(self, names: Sequence[str], none: bool = True) -> str:
        """The provenance lines of several teachers, joined by "; " (and "; and none" for the row without a
        teacher when ``none``)."""
        return "; ".join(self.describe_teacher(t) for t in names) + ("; and none" if none else "")

    def features(self, name: str | None = None):
        """The FeatureStore of teacher ``name`` (default: the configured one) on this page's crops."""
        from ..teachers import build_teachers, spec, teacher_features, teachers_for_corpus

        name = self.params.get("teacher", "") if name is None else name
        if not name:
            return None
        key = f"features:{name}"
        if key not in self._cache:
            if not teachers_for_corpus([name], self.synthetic):
                raise ValueError(f"teacher {name!r} needs synthetic ground truth; this corpus is real")
            teacher = build_teachers(
                [name],
                checkpoint=self.params.get("hamer_checkpoint", ""),
                synthetic=self.teacher_config(),
                margin=self.params.get("margin", 0.25),
                progress=self.progress,
            )[name]
            workers = spec(name).processes(self.params.get("workers"))
            self._cache[key] = teacher_features(self.store, teacher, workers=workers, progress=self.progress)
        return self._cache[key]

    # --------------------------------------------------------------------------------------- training
    def config(self, seed: int = 0, **overrides: Any) -> RecognizerConfig:
        values = {k: self.params[k] for k in RECOGNIZER_PARAMS if k in self.params}
        values.update(overrides)
        return make_config(values, seed=seed)

    def row_config(self, variant: str, teacher: str, seed: int = 0) -> RecognizerConfig:
        """The configuration of one row of a study table: this experiment's recognizer settings with loss
        variant ``variant`` and distillation target ``teacher``."""
        values = {k: v for k, v in self.params.items() if k in make_config().__dataclass_fields__ and k != "seed"}
        return make_config({**values, "teacher": teacher}, variant=variant, seed=seed)

    def train(self, cfg: RecognizerConfig):
        from .train import train

        return train(
            cfg, self.store, self.alphabet, self.features(cfg.teacher) if cfg.distills else None, progress=self.progress
        )

    def train_each(self, seeds: Sequence[int], **overrides: Any) -> dict[int, Any]:
        """seed -> the trained (or cached) run of the configured model at that seed, in the order of ``seeds``."""
        return {s: self.train(self.config(seed=s, **overrides)) for s in seeds}

    def student(self, cfg: RecognizerConfig):
        """A fresh (untrained) recognizer of ``cfg``, with a projection into the configured teacher's space
        when there is one (what page 04 counts the parameters and the training FLOPs of)."""
        from .model import build_recognizer

        features = self.features()
        return build_recognizer(cfg, self.alphabet.size, features.dim if features is not None else 0)

    def splits(self) -> dict[str, Any]:
        from .data import RecognizerData

        if "splits" not in self._cache:
            cfg = self.config()
            self._cache["splits"] = {
                part: RecognizerData(
                    self.store, self.alphabet, [part], subsample=cfg.subsample, max_frames=cfg.max_frames
                )
                for part in ("train", "dev", "test")
            }
        return self._cache["splits"]

    def labels(self, split: str) -> list[str]:
        seqs = self.store.sequences
        return [seqs[f].label for f in self.splits()[split].filenames]

    def baseline(self) -> dict[str, dict[str, Any]]:
        """The learned-nothing row per split: the best constant string of the training labels."""
        train_labels = self.labels("train")
        return {split: constant_baseline(train_labels, self.labels(split)) for split in ("train", "dev", "test")}

    def corpus_name(self) -> str:
        return "synthetic" if self.synthetic else Path(self.params["corpus_path"]).name

    def results_path(self) -> Path:
        return Path(self.params.get("out_dir", "runs/interactive")) / "tables" / "results.csv"

    def evaluate(self, result, splits: Sequence[str] = ("dev", "test"), beam: int | None = None) -> dict[str, Any]:
        """Predictions and metrics of a trained run on ``splits``, greedy and (``beam`` > 0) beam search;
        rows written to the results table."""
        beam = self.params.get("beam", 0) if beam is None else beam
        out: dict[str, Any] = {"predictions": {}, "metrics": {}}
        for split in splits:
            data = self.splits()[split]
            pred = predict(result.model, data)
            m = split_metrics(pred)
            if beam:
                pb = predict(result.model, data, beam=beam)
                mb = split_metrics(pb)
                m.update(letter_accuracy_beam=mb["letter_accuracy"], letter_accuracy_htk_beam=mb["letter_accuracy_htk"])
                out["predictions"][f"{split}_beam"] = pb
            out["predictions"][split] = pred
            out["metrics"][split] = m
        rep = result.report
        out["metrics"]["train"] = {
            "train_frames_per_s": rep["train_frames_per_s"],
            "train_seconds": rep["train_seconds"],
            "best_epoch": rep["best_epoch"],
        }
        run = dict(
            run_id=rep["run_id"],
            study="fingerspelling",
            corpus=self.corpus_name(),
            alphabet=self.alphabet.name,
            variant=rep["variant"],
            teacher=rep["teacher"] or "none",
            seed=rep["config"]["seed"],
        )
        results_table.record(self.results_path(), run, out["metrics"], config=rep["config"])
        return out

    def save_model(self, runs: Mapping[int, Any], out_dir: str, test: Mapping[int, Mapping[str, Any]]) -> Any:
        """Keep the best-dev run of ``runs`` as ``<out_dir>/models/recognizer.pt`` with its provenance (what
        `fslib recognize` runs by default); ``test``: seed -> test metrics. Returns the path."""
        from .export import save_study_model

        return save_study_model(
            runs,
            out_dir,
            provenance={
                "profile": self.params.get("profile", ""),
                "corpus": self.describe_corpus(),
                "teacher": self.describe_teacher(),
                # frames/s of the corpus the crops were read at (the student sees 1 in cfg.subsample of them)
                "frame_rate": self.params.get("corpus_fps") if self.synthetic else self.corpus_frame_rate(),
                # how the crops were made (fslib recognize crops a video the same way)
                "preprocess": dataclasses.asdict(self.store.config),
            },
            test_accuracy={s: m["letter_accuracy"] for s, m in test.items()},
        )

    def corpus_frame_rate(self) -> float | None:
        """Frames/s of a real corpus when known: ``fslib ingest`` records the rate it resampled to in
        ``ingest.json``; the public corpora's frame rates vary by clip (None)."""
        import json

        record = Path(self.params["corpus_path"]) / "ingest.json"
        return float(json.loads(record.read_text())["fps"]) if record.is_file() else None

    def evaluate_each(self, runs: Mapping[int, Any], **kwargs: Any) -> dict[int, dict[str, Any]]:
        """:meth:`evaluate` of every run of ``runs`` (seed -> run, from :meth:`train_each`), in its order."""
        return {s: self.evaluate(r, **kwargs) for s, r in runs.items()}

    def baseline_id(self) -> str:
        """The run id of this corpus's learned-nothing row in the results table."""
        return f"constant-{self.corpus_name()}-{self.alphabet.name}"

    def record_baseline(self) -> pd.DataFrame:
        base = self.baseline()
        run = dict(
            run_id=self.baseline_id(),
            study="fingerspelling",
            corpus=self.corpus_name(),
            alphabet=self.alphabet.name,
            variant="constant",
            teacher="none",
            seed=0,
        )
        metrics = {s: {k: v for k, v in b.items() if k != "output"} for s, b in base.items()}
        results_table.record(self.results_path(), run, metrics, config={"output": base["train"]["output"]})
        return pd.DataFrame(
            [
                {
                    "split": s,
                    "constant output": b["output"],
                    "letter_accuracy": b["letter_accuracy"],
                    "letter_accuracy_htk": b["letter_accuracy_htk"],
                }
                for s, b in base.items()
            ]
        )


def run(params: Mapping[str, Any], progress: bool = True) -> pd.DataFrame:
    """Train and evaluate the configured model for every seed of ``train_seeds``; returns the test metrics
    (one row per seed) and writes the results table.

    Under torchrun (``WORLD_SIZE`` > 1) the processes train each seed together, and only rank 0 writes: it
    prepares the data (corpus, crops, the teacher and its features) while the others wait and then read them
    from the cache, and it alone evaluates and records the rows; the other ranks return an empty table."""
    import datetime

    import torch

    from .train import _distributed

    owned = not (torch.distributed.is_available() and torch.distributed.is_initialized())
    rank, world = _distributed()
    exp = Experiment.from_params(params, progress=progress and rank == 0)
    seeds = list(params.get("train_seeds", [0]))
    # the others wait for rank 0's data and evaluation in a gloo group of its own, with a timeout of hours
    # rather than the default group's minutes (on a real corpus the teacher's features take that long)
    waiting = torch.distributed.new_group(backend="gloo", timeout=datetime.timedelta(hours=48)) if world > 1 else None

    def rank0_done() -> None:
        if waiting is not None:
            torch.distributed.barrier(group=waiting)

    if rank != 0:
        rank0_done()
    else:
        cfg = exp.config(seeds[0]) if seeds else None
        if cfg is not None and cfg.distills:
            exp.features(cfg.teacher)  # the corpus, its crops, the teacher and its features
        exp.record_baseline()
        rank0_done()
    rows, runs, test = [], {}, {}
    for seed in seeds:
        res = exp.train(exp.config(seed))
        if rank == 0:
            ev = exp.evaluate(res)
            rows.append({"run_id": res.run_id, "seed": seed, **ev["metrics"]["test"]})
            runs[seed], test[seed] = res, ev["metrics"]["test"]
        rank0_done()
    if rank == 0 and runs and params.get("out_dir"):
        exp.save_model(runs, params["out_dir"], test)  # what `fslib recognize --checkpoint` runs
    if world > 1 and owned:
        torch.distributed.destroy_process_group()
    return pd.DataFrame(rows)


def train_rows(
    exp: Any,
    rows: Sequence[tuple[str, str]],
    seeds: Sequence[int],
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Train (or load) every ``(variant, teacher)`` row at every seed with :class:`Experiment` ``exp`` (its
    parameters give everything but the variant and teacher), evaluate and record each run in the profile's
    results table. ``overrides``: variant -> settings chosen for that row (:mod:`fslib.recognizer.sweep`).
    Returns the rows of exactly these runs and of this corpus's constant-output baseline (other pages' runs,
    or runs on another corpus, in the same table are left out)."""
    exp.record_baseline()
    values = {k: v for k, v in exp.params.items() if k in make_config().__dataclass_fields__ and k != "seed"}
    for variant, _ in rows:
        if variant not in LOSS_VARIANTS:
            raise ValueError(f"unknown loss variant {variant!r}; choose from {', '.join(LOSS_VARIANTS)}")
    ids = [exp.baseline_id()]
    for variant, teacher in rows:
        for seed in seeds:
            chosen = dict((overrides or {}).get(variant, {}))
            cfg = make_config({**values, "teacher": teacher, **chosen}, variant=variant, seed=seed)
            result = exp.train(cfg)
            exp.evaluate(result)
            ids.append(result.run_id)
    table = results_table.read(exp.results_path())
    return table[table["run_id"].isin(ids)].reset_index(drop=True)


def learning_curve(
    exp: Any, variants: Sequence[str], fractions: Sequence[float], seeds: Sequence[int]
) -> tuple[pd.DataFrame, dict[tuple[str, float, int], list[dict[str, Any]]]]:
    """Page 05's learning curves: every variant of ``variants`` (the distilled ones with the page's teacher)
    trained on each share of ``fractions`` of the training sequences (nested subsets) at every seed; returns
    one row per run (variant, teacher, fraction, train_sequences, seed, test letter accuracy in both conventions,
    best epoch) and the per-epoch histories keyed by (variant, fraction, seed). Runs on the whole training split
    are the loss table's own runs (the same cache entries); the smaller ones are not written to the results
    table, whose rows are the study's tables."""
    values = {k: v for k, v in exp.params.items() if k in make_config().__dataclass_fields__ and k != "seed"}
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad:
        raise ValueError(f"fractions={list(fractions)}: each must be in (0, 1]")
    test = exp.splits()["test"]
    rows, histories = [], {}
    for variant in variants:
        if variant not in LOSS_VARIANTS:
            raise ValueError(f"unknown loss variant {variant!r}; choose from {', '.join(LOSS_VARIANTS)}")
        teacher = exp.teacher_name if LOSS_VARIANTS[variant][2] else ""
        for frac in sorted(fractions):
            for seed in seeds:
                cfg = make_config({**values, "teacher": teacher, "train_fraction": frac}, variant=variant, seed=seed)
                result = exp.train(cfg)
                m = split_metrics(predict(result.model, test))
                rows.append(
                    {
                        "variant": variant,
                        "teacher": teacher or "none",
                        "fraction": frac,
                        "train_sequences": result.report["train_sequences"],
                        "seed": seed,
                        "letter_accuracy": m["letter_accuracy"],
                        "letter_accuracy_htk": m["letter_accuracy_htk"],
                        "best_epoch": result.report["best_epoch"],
                    }
                )
                histories[(variant, frac, seed)] = result.history
    return pd.DataFrame(rows), histories


def curve_line(curve: pd.DataFrame, baseline: float, distilled: str = "full", plain: str = "ctc_gru") -> str:
    """One computed sentence: distillation's gain (``distilled`` minus ``plain``, mean over seeds) at the
    smallest and the largest share of the training data, and whether it grows or shrinks with data."""
    g = curve.groupby(["variant", "train_sequences"])["letter_accuracy"].mean().unstack(0)
    if distilled not in g or plain not in g or len(g) < 2:
        return "The learning curve needs both rows at two or more data sizes; not measured in this run."
    gain = (g[distilled] - g[plain]).dropna()
    lo_n, hi_n = gain.index.min(), gain.index.max()
    lo, hi = gain.loc[lo_n], gain.loc[hi_n]
    learned = g.loc[hi_n].max() > baseline + 0.05
    trend = "grows" if hi > lo + 0.01 else ("shrinks" if hi < lo - 0.01 else "stays about the same")
    line = (
        f"Distillation's gain ({distilled} minus {plain}, test letter accuracy, mean over seeds) is {lo:+.3f} with "
        f"{lo_n} training sequences and {hi:+.3f} with {hi_n}: it {trend} with more data here."
    )
    if not learned:
        line += (
            f" Neither row is 0.05 above the constant output ({baseline:.3f}) even on all the data, so these "
            "differences are between models that did not learn and say nothing about distillation."
        )
    return line


def metrics_of(evals: Mapping[int, Mapping[str, Any]], split: str = "test") -> dict[int, dict[str, Any]]:
    """seed -> the metrics of ``split`` from :meth:`Experiment.evaluate_each`'s result."""
    return {s: e["metrics"][split] for s, e in evals.items()}


def first_batch(exp: Any, cfg: RecognizerConfig) -> dict[str, Any]:
    """The first training batch of ``cfg`` on ``exp``'s data, collated as the trainer sees it (teacher vectors
    included when ``cfg`` distils): what the benchmarks count FLOPs and time steps on."""
    from .data import collate
    from .train import make_splits

    train_data, _ = make_splits(cfg, exp.store, exp.alphabet, exp.features())
    return collate([train_data[i] for i in range(min(cfg.batch_size, len(train_data)))])


def throughput(exp: Any, cfg: RecognizerConfig, runs: Mapping[int, Any], repeats: int = 3) -> dict[str, float]:
    """Page 04's training and inference rates: the training frames/s of ``runs`` (mean over seeds) as GFLOP/s
    and as a fraction of this machine's float32 matmul rate (:func:`fslib.recognizer.bench.efficiency`, the
    FLOPs of one training step on the first batch the trainer sees, teacher vectors included), the first
    run's inference rate on the first test clip (:func:`~fslib.recognizer.bench.inference_frames_per_s`) and
    the minutes one run trained for."""
    import numpy as np

    from .. import bench as machine
    from . import bench

    batch = first_batch(exp, cfg)
    model = next(iter(runs.values())).model
    flops = bench.training_flops_per_frame(exp.student(cfg), batch)
    rate = np.mean([r.report["train_frames_per_s"] for r in runs.values()])
    eff = bench.efficiency(rate, flops, machine.matmul_gflops())
    eff["inference_frames_per_s"] = bench.inference_frames_per_s(model, exp.splits()["test"][0], repeats)
    eff["train_minutes_per_run"] = np.mean([r.report["train_seconds"] for r in runs.values()]) / 60
    return eff


def step_rate_table(exp: Any, cfg: RecognizerConfig, sizes: Sequence[int], steps: int = 5) -> pd.DataFrame:
    """Page 04's precision table: the training step's rate in float32 and under bfloat16 autocast at each input
    size of ``sizes``, on the first training batch (:func:`fslib.recognizer.bench.step_rates`), beside this
    CPU's float32 matmul rate, and whether the CPU has native bfloat16."""
    from .. import bench as machine
    from . import bench
    from .train import cpu_has_bf16

    batch = first_batch(exp, cfg)
    dim = exp.features().dim if cfg.distills else 0
    rows = bench.step_rates(
        cfg, batch, exp.alphabet.size, dim, input_sizes=sizes, steps=steps, matmul_gflops=machine.matmul_gflops()
    )
    table = pd.DataFrame(rows)
    table["cpu_has_bf16"] = cpu_has_bf16()
    return table


def step_rate_line(table: pd.DataFrame) -> str:
    """One computed sentence on the precision table: bf16's speed-up at each size and the best fraction of the
    float32 matmul rate."""
    parts = []
    for size, g in table.groupby("input_size"):
        r = g.set_index("precision")["frames_per_s"]
        if {"fp32", "bf16"} <= set(r.index):
            parts.append(f"{r['bf16'] / r['fp32']:.2f}x at {int(size)} px")
    native = "has" if bool(table["cpu_has_bf16"].iloc[0]) else "does not have"
    line = (
        f"bfloat16 autocast against float32 (frames/s): {', '.join(parts) or 'not measured'}; this CPU {native} "
        "native bfloat16."
    )
    if table["fraction_of_matmul"].isna().all():  # step_rates without matmul_gflops
        return line + " The float32 matmul rate was not measured."
    best = table.loc[table["fraction_of_matmul"].idxmax()]
    return (
        f"{line} The fastest step ({best.precision}, {int(best.input_size)} px) reaches "
        f"{best.fraction_of_matmul:.1%} of the float32 matmul rate (goal: 50%)."
    )


SHOWN_COLUMNS = ("row", "teacher", "seeds", "letter_accuracy", "letter_accuracy_htk")


@dataclasses.dataclass
class Ablation:
    """Page 05's loss-ablation table on one corpus (:func:`loss_ablation`): the runs' ``results`` rows, the
    table's ``rows`` and ``table``, the coverage and learning sentences, the claims checked on it, the labels
    of the ablation rows left out of it (``not_run``) and the title of its figure."""

    results: pd.DataFrame
    rows: list[tuple[str, str]]
    table: pd.DataFrame
    coverage: str
    learning: str
    claims: list[Any]
    not_run: list[str]
    title: str

    @property
    def shown(self) -> pd.DataFrame:
        """The table's columns a page displays (label, teacher, seeds, both accuracies)."""
        return self.table[list(SHOWN_COLUMNS)]

    @property
    def claim_lines(self) -> str:
        """The claims' sentences, one "- " line each."""
        return "\n".join(f"- {v.sentence}" for v in self.claims)

    def notes(self, not_run_on: str = "") -> str:
        """The coverage and learning sentences; with ``not_run_on`` (the corpus's name) a third line naming the
        ablation rows not run on it, when there are any."""
        lines = [self.coverage, self.learning]
        if not_run_on and self.not_run:
            lines.append(f"Not run on {not_run_on} at this profile: " + "; ".join(self.not_run))
        return "\n".join(lines)

    def figure(self):
        """:func:`fslib.recognizer.figures.rows_figure` of the table (made on each call)."""
        from . import figures, tables

        return figures.rows_figure(
            self.results,
            self.rows,
            [tables.VARIANT_LABELS[v] for v, _ in self.rows],
            tables.baseline_value(self.results),
            title=self.title,
        )


def loss_ablation(
    exp: Any,
    variants: Sequence[str],
    seeds: Sequence[int],
    corpus: str,
    wanted: int = 3,
    chosen: Mapping[str, Mapping[str, Any]] | None = None,
) -> Ablation:
    """Train (or load) the loss-ablation rows of ``variants`` (in the source study's order,
    :func:`fslib.recognizer.tables.ablation_rows`, distilled from ``exp``'s teacher) at every seed of ``seeds``
    on ``exp``'s corpus, each with its ``chosen`` settings when given (a dev sweep's), and tabulate them: the
    table, the notes on seed coverage (``wanted`` seeds a row) and on learning, the source study's ablation
    claims, and a figure titled with ``corpus``."""
    from . import tables

    teacher = exp.params.get("teacher", "")
    every = tables.ablation_rows(teacher)
    rows = [r for r in every if r[0] in variants]
    results = train_rows(exp, rows, seeds, overrides=chosen)
    return Ablation(
        results,
        rows,
        tables.table(results, rows),
        tables.coverage_note(results, rows, wanted),
        tables.learning_note(results, rows),
        tables.ablation_claims(results, teacher),
        [tables.VARIANT_LABELS[v] for v, _ in every if v not in variants],
        f"loss ablation, {corpus}, teacher {teacher}",
    )


def teacher_separability(exp: Any, names: Sequence[str]) -> pd.DataFrame:
    """Page 06's letter separability of each teacher of ``names`` on the hold frames of ``exp``'s corpus
    (:func:`fslib.teachers.analysis.letter_separability`); on a real corpus, which has no per-frame letters,
    a table of the same teacher and measure columns left empty."""
    if not exp.synthetic:
        return pd.DataFrame({"teacher": list(names), "nearest_centroid": float("nan"), "linear_probe": float("nan")})
    from ..teachers import analysis

    frames = analysis.hold_frames(exp.store, exp.store.filenames)
    return analysis.letter_separability({t: exp.features(t) for t in names}, frames)
