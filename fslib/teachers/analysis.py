"""Tables and figures of the teacher page (notebook 03): pretraining curves, held-out errors, how well each
teacher's per-frame vectors separate the letters, UMAP embeddings, corpus pose errors, latency."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from .components.rotation import axis_angle_to_matrix, geodesic_angle
from .features import FeatureStore, coverage, load_truth, teacher_features


# ------------------------------------------------------------------------------------------ pretraining
def pretraining_curves(report: Mapping[str, Any]):
    """Figure (2 x 2): training loss and held-out errors per epoch of the synthetic HaMeR and the keypoint
    regressor."""
    from .. import style

    h = pd.DataFrame(report["hamer_history"])
    k = pd.DataFrame(report["kp_history"])
    size = report["config"]["crop_size"]
    fig, ax = style.grid(4, ncols=2)
    ax[0].plot(h["epoch"], h["train_loss"], "o-", label="synthetic HaMeR")
    ax[0].plot(k["epoch"], k["train_loss"], "s-", label="keypoint regressor")
    ax[0].set(title="training loss", xlabel="epoch", ylabel="loss (weighted sum, no unit)")
    ax[0].legend()
    ax[1].plot(h["epoch"], h["val_global_orient_deg"], "o-", label="global orientation")
    ax[1].plot(h["epoch"], h["val_finger_joint_deg"], "o-", label="finger joints")
    ax[1].set(title="held-out pose error", xlabel="epoch", ylabel="rotation error (degrees)")
    ax[1].legend()
    for col, label in (("val_keypoint2d_px", "2D decoder"), ("val_reprojection_px", "reprojected via camera")):
        if col in h:
            ax[2].plot(h["epoch"], h[col], "o-", label=label)
    ax[2].set(title="held-out 2D keypoint error", xlabel="epoch", ylabel=f"error (px of the {size}-px crop)")
    ax[2].legend()
    if "val_keypoint3d_mm" in h:
        ax[3].plot(h["epoch"], h["val_keypoint3d_mm"], "o-", label="synthetic HaMeR (hand model)")
    ax[3].plot(k["epoch"], k["val_keypoint3d_mm"], "s-", label="keypoint regressor")
    ax[3].set(title="held-out 3D keypoint error", xlabel="epoch", ylabel="error (mm)")
    ax[3].legend()
    return fig


def heldout_table(report: Mapping[str, Any], prior: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Final held-out errors (unseen hand shapes and looks) of the pretrained teachers, one row per metric,
    with, when ``prior`` (:func:`prior_errors`) is given, the error of a network that learned nothing from
    the image (column ``learned-nothing baseline``) and the relative gain over it (``gain``)."""
    h, k = report["hamer_val"], report["kp_val"]
    rows = [
        ("synthetic HaMeR", "global orientation error (deg)", h.get("val_global_orient_deg"), "global_orient_deg"),
        ("synthetic HaMeR", "finger joint rotation error (deg)", h.get("val_finger_joint_deg"), "finger_joint_deg"),
        (
            "synthetic HaMeR",
            f"2D keypoint error (px of {report['config']['crop_size']})",
            h.get("val_keypoint2d_px"),
            "keypoint2d_px",
        ),
        (
            "synthetic HaMeR",
            "3D keypoint error through the hand model, wrist-relative (mm)",
            h.get("val_keypoint3d_mm"),
            "keypoint3d_mm",
        ),
        (
            "synthetic HaMeR",
            f"reprojected keypoint error via its camera (px of {report['config']['crop_size']})",
            h.get("val_reprojection_px"),
            "keypoint2d_px",
        ),
        ("synthetic HaMeR", "shape error (standardised RMSE)", h.get("val_shape_rmse"), "shape_rmse"),
        ("keypoint regressor", "3D keypoint error, wrist-relative (mm)", k.get("val_keypoint3d_mm"), "keypoint3d_mm"),
    ]
    table = pd.DataFrame([r[:3] for r in rows], columns=["model", "metric", "value"])
    if prior is not None:
        table["learned-nothing baseline"] = [prior.get(r[3]) for r in rows]
        table["gain"] = 1 - table["value"] / table["learned-nothing baseline"]
    return table


def learning_verdict(heldout: pd.DataFrame, min_gain: float = 0.10) -> str:
    """One sentence, computed from :func:`heldout_table` (with a baseline), saying on which metrics the
    teachers are at least ``min_gain`` below the learned-nothing baseline and on which they are not."""
    rows = heldout.dropna(subset=["learned-nothing baseline"])
    good, weak = rows[rows["gain"] >= min_gain], rows[rows["gain"] < min_gain]
    gains = "; ".join(f"{r.model}, {r.metric}: {r.gain:+.0%}" for r in rows.itertuples())
    if weak.empty:
        return f"Every measured error is at least {min_gain:.0%} below the learned-nothing baseline ({gains})."
    return (
        f"At least {min_gain:.0%} below the learned-nothing baseline: "
        f"{', '.join(good['metric']) if len(good) else 'none'}. NOT {min_gain:.0%} below it: "
        f"{', '.join(weak['metric'])}; with this profile's pretraining budget the teacher has learned little "
        f"of that, and its embedding carries correspondingly little of it. Gains: {gains}."
    )


def mean_rotation(pose: np.ndarray) -> torch.Tensor:
    """(N, J, 3) axis-angle -> (J, 3, 3) float64: per joint the rotation closest to the mean rotation matrix
    (the mean projected onto SO(3) by SVD), i.e. the best constant prediction under the matrix MSE."""
    u, _, vt = torch.linalg.svd(axis_angle_to_matrix(torch.from_numpy(np.asarray(pose)).double()).mean(0))
    d = torch.sign(torch.linalg.det(u @ vt))
    return u @ torch.diag_embed(torch.stack([torch.ones_like(d), torch.ones_like(d), d], -1)) @ vt


def constant_rotation_errors(train: Mapping[str, np.ndarray], val: Mapping[str, np.ndarray]) -> torch.Tensor:
    """(N, 16) float64 degrees: per held-out crop and joint, the geodesic error of the best constant prediction
    (:func:`mean_rotation` of the training poses)."""
    rot_va = axis_angle_to_matrix(torch.from_numpy(val["pose"]).double())
    return torch.rad2deg(geodesic_angle(mean_rotation(train["pose"]).expand_as(rot_va), rot_va))


def prior_errors(train: Mapping[str, np.ndarray], val: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Held-out errors of the best constant prediction, i.e. of a network that learned nothing from the image:
    per joint the rotation closest to the mean training rotation matrix (projected onto SO(3)), and the
    mean training keypoint layouts (2D in crop pixels, wrist-relative 3D in mm). Same units as
    :func:`~fslib.teachers.synthetic.evaluate_hamer` and
    :func:`~fslib.teachers.synthetic.evaluate_keypoint_regressor`."""
    ang = constant_rotation_errors(train, val)  # (N, 16)
    kp_mean = train["keypoints2d"].mean(0)
    kp_err = np.linalg.norm(val["keypoints2d"] - kp_mean, axis=-1).mean() * val["images"].shape[1]
    kp3d_err = np.linalg.norm(val["keypoints3d"] - train["keypoints3d"].mean(0), axis=-1).mean() * 1000.0
    return {
        "global_orient_deg": float(ang[:, 0].mean()),
        "finger_joint_deg": float(ang[:, 1:].mean()),
        "keypoint2d_px": float(kp_err),
        "keypoint3d_mm": float(kp3d_err),
    }


@torch.no_grad()
def per_finger_errors(
    model: Any, train: Mapping[str, np.ndarray], val: Mapping[str, np.ndarray], crop_size: int, batch: int = 256
) -> pd.DataFrame:
    """Held-out joint-rotation error per finger (degrees, mean over the finger's three joints and the crops)
    of a HaMeR-style ``model`` on pretraining-format data, beside the learned-nothing baseline (per joint the
    mean training rotation, as :func:`prior_errors`) and the gain over it. The average finger-joint error
    hides which fingers the teacher reads; this table shows them."""
    from ..synth.hand import FINGER_JOINTS
    from .preprocess import to_model_input

    model.eval()
    pred = []
    for s in range(0, len(val["images"]), batch):
        out = model(to_model_input(val["images"][s : s + batch], crop_size))
        pred.append(out["hand_pose"].double())
    pred = torch.cat(pred)  # (N, 15, 3, 3)
    truth = axis_angle_to_matrix(torch.from_numpy(val["pose"][:, 1:]).double())
    err = torch.rad2deg(geodesic_angle(pred, truth))
    base = constant_rotation_errors(train, val)[:, 1:]
    rows = []
    for finger, joints in FINGER_JOINTS.items():
        idx = [j - 1 for j in joints]
        e, b = float(err[:, idx].mean()), float(base[:, idx].mean())
        rows.append({"finger": finger, "error_deg": e, "learned-nothing baseline": b, "gain": 1 - e / b})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ corpus frames
def hold_frames(store: Any, filenames: Sequence[str]) -> pd.DataFrame:
    """One row per frame in which a letter is held (synthetic ground truth ``letters`` >= 0): filename,
    frame, letter, signer, partition."""
    rows = []
    seqs = store.sequences
    for f in filenames:
        gt = load_truth(store.corpus, f)
        if gt is None:
            continue
        label = str(gt["label"]) if "label" in gt else seqs[f].label
        for t, li in enumerate(np.asarray(gt["letters"])):
            if li >= 0:
                rows.append(
                    {
                        "filename": f,
                        "frame": t,
                        "letter": label[li],
                        "signer": seqs[f].signer,
                        "partition": seqs[f].partition,
                    }
                )
    return pd.DataFrame(rows, columns=["filename", "frame", "letter", "signer", "partition"])


def frame_vectors(fs: FeatureStore, frames: pd.DataFrame) -> np.ndarray:
    """(len(frames), D) vectors of the listed frames."""
    out = []
    for f, grp in frames.groupby("filename", sort=False):
        out.append((grp.index.to_numpy(), fs.vectors(f)[grp["frame"].to_numpy()]))
    vec = np.zeros((len(frames), out[0][1].shape[1]), np.float32) if out else np.zeros((0, 0), np.float32)
    for idx, v in out:
        vec[frames.index.get_indexer(idx)] = v
    return vec


MIN_BOOTSTRAP_SIGNERS = 3


def separability(
    vectors: Mapping[str, np.ndarray],
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    groups: np.ndarray,
    reference: str | None = None,
    probe: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
    min_groups: int = MIN_BOOTSTRAP_SIGNERS,
) -> pd.DataFrame:
    """How well each system's vectors separate ``labels`` on held-out rows: the measure behind the letter
    and signer separability tables.

    vectors: name -> (N, D) array, one row per sample (all in the same order); labels, groups: (N,);
    train, test: (N,) boolean masks (disjoint). Standardise with the training rows' mean and s.d. (each
    s.d. floored at a tenth of the median one, so nearly constant dimensions do not dominate distances);
    nearest-centroid accuracy (one centroid per label from the training rows) and optionally a linear probe
    (multinomial logistic regression, 300 L-BFGS iterations: a measure of separability, not a tuned
    classifier, so its convergence warnings are silenced). Test rows whose label never occurs in training
    are left out. Intervals: ``<measure>_lo`` / ``_hi`` the 95 % interval of a bootstrap over the test
    ``groups`` (:func:`fslib.stats.signer_bootstrap`), ``<measure>_vs_ref_lo`` / ``_hi`` the paired interval
    of (this system - ``reference``) on the same resamples; NaN with fewer than ``min_groups`` test groups.
    One row per system with chance (1 / labels), the majority-label rate and the row counts.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from ..stats import interval, signer_bootstrap

    labels, groups = np.asarray(labels), np.asarray(groups)
    train = np.asarray(train, bool)
    test = np.asarray(test, bool) & np.isin(labels, np.unique(labels[train]))
    y_tr, y_te = labels[train], labels[test]
    classes = np.unique(y_tr)
    rows, hits = [], {}
    for name, x in vectors.items():
        x = np.asarray(x, np.float32)
        if not train.any() or not test.any():
            rows.append({"system": name, "dim": x.shape[1], "nearest_centroid": np.nan, "linear_probe": np.nan})
            continue
        mu, sd = x[train].mean(0), x[train].std(0)
        # a nearly constant dimension (a ReLU unit that rarely fires) would dominate every distance once
        # divided by its tiny s.d.: floor the s.d. at a tenth of the median dimension's
        sd = np.maximum(sd, 0.1 * np.median(sd) + 1e-6)
        z = (x - mu) / sd
        cents = np.stack([z[train][y_tr == c].mean(0) for c in classes])
        d = ((z[test][:, None, :] - cents[None]) ** 2).sum(-1)
        hits[(name, "nearest_centroid")] = classes[d.argmin(1)] == y_te
        if probe and len(classes) > 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf = LogisticRegression(max_iter=300, C=0.5).fit(z[train], y_tr)
            hits[(name, "linear_probe")] = clf.predict(z[test]) == y_te
        rows.append(
            {
                "system": name,
                "dim": x.shape[1],
                **{
                    m: float(hits[(name, m)].mean()) if (name, m) in hits else np.nan
                    for m in ("nearest_centroid", "linear_probe")
                },
            }
        )
    out = pd.DataFrame(rows)
    enough = len(set(groups[test])) >= min_groups
    boot = signer_bootstrap(hits, groups[test], n_boot, seed) if hits and enough else {}
    for m in ("nearest_centroid", "linear_probe"):
        for suffix in ("lo", "hi", "vs_ref_lo", "vs_ref_hi"):
            out[f"{m}_{suffix}"] = np.nan
        for i, name in enumerate(out["system"]):
            if (name, m) not in boot:
                continue
            out.loc[i, [f"{m}_lo", f"{m}_hi"]] = interval(boot[(name, m)])
            if reference is not None and (reference, m) in boot:
                out.loc[i, [f"{m}_vs_ref_lo", f"{m}_vs_ref_hi"]] = interval(boot[(name, m)] - boot[(reference, m)])
    out["chance"] = 1.0 / max(len(classes), 1)
    out["majority"] = float(pd.Series(y_te).value_counts(normalize=True).max()) if len(y_te) else np.nan
    out["train_frames"], out["test_frames"], out["classes"] = int(train.sum()), int(test.sum()), len(classes)
    out["test_groups"] = int(len(set(groups[test])))
    return out


def hold_frame_separability(
    systems: Mapping[str, Any],
    frames: pd.DataFrame,
    reference: str | None = None,
    train_partitions: Sequence[str] = ("train", "dev"),
    test_partition: str = "test",
    probe: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """How well each system's vectors separate the letters on the hold ``frames`` of unseen signers
    (:func:`separability` with centroids / probe fitted on the ``train_partitions`` signers and tested on
    the ``test_partition`` signers, who are disjoint; intervals from a bootstrap over the test signers, and
    ``<measure>_vs_ref_lo`` / ``_hi`` the paired interval of (this system - ``reference``)). ``systems``:
    name -> anything with ``vectors(filename) -> (T, D)`` (a teacher's store or a student's features). With
    fewer than ``MIN_BOOTSTRAP_SIGNERS`` test signers the intervals are NaN: resampling one or two signers
    says nothing about the spread."""
    frames = frames.reset_index(drop=True)
    vectors = {name: frame_vectors(fs, frames) for name, fs in systems.items()}
    return separability(
        vectors,
        frames["letter"].to_numpy(),
        frames["partition"].isin(train_partitions).to_numpy(),
        (frames["partition"] == test_partition).to_numpy(),
        frames["signer"].to_numpy(),
        reference=reference,
        probe=probe,
        n_boot=n_boot,
        seed=seed,
    )


def letter_separability(
    stores: Mapping[str, FeatureStore],
    frames: pd.DataFrame,
    train_partitions: Sequence[str] = ("train", "dev"),
    test_partition: str = "test",
    probe: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """The teachers' letter separability (:func:`hold_frame_separability` with HaMeR as the reference), in
    the teacher tables' naming: ``teacher``, ``letters``, ``test_signers`` and ``<measure>_vs_hamer_lo`` /
    ``_hi``."""
    out = hold_frame_separability(stores, frames, "hamer", train_partitions, test_partition, probe, n_boot, seed)
    out = out.rename(columns=lambda c: c.replace("_vs_ref_", "_vs_hamer_"))
    return out.rename(columns={"system": "teacher", "classes": "letters", "test_groups": "test_signers"})


def signer_separability(
    vectors: Mapping[str, np.ndarray],
    frames: pd.DataFrame,
    partition: str = "test",
    probe: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """How well each system's vectors tell the signers apart: on the hold frames of the ``partition`` signers,
    centroids / probe fitted on every other sequence of each signer and tested on the rest (sequences, not
    frames, are split, so a test frame's neighbours in time are never in training); intervals from a
    bootstrap over the test sequences. ``vectors``: name -> (len(frames), D), in the order of ``frames``. A
    feature that encodes the hand shape and not the person scores near chance here."""
    frames = frames.reset_index(drop=True)
    keep = (frames["partition"] == partition).to_numpy()
    rank = frames.groupby("signer")["filename"].transform(
        lambda f: f.map({n: i for i, n in enumerate(dict.fromkeys(f))})
    )
    train = keep & (rank.to_numpy() % 2 == 0)
    test = keep & (rank.to_numpy() % 2 == 1)
    out = separability(
        vectors,
        frames["signer"].astype(str).to_numpy(),
        train,
        test,
        frames["filename"].to_numpy(),
        probe=probe,
        n_boot=n_boot,
        seed=seed,
    )
    return out.rename(columns={"classes": "signers", "test_groups": "test_sequences"})


def separability_text(
    scores: pd.DataFrame, key: str = "system", reference: str | None = None, label: str | None = None, tag: str = "ref"
) -> pd.DataFrame:
    """A separability table for reading, indexed by ``key``: each accuracy with its 95 % bootstrap interval
    and, with ``reference``, each row's difference from the reference row with the paired interval
    (columns ``<measure>_vs_<tag>_lo`` / ``_hi``), as text headed ``<measure> - <label>``. A missing value
    reads "-"; the reference's own difference is empty."""

    def fmt(v, lo, hi, signed=False):
        if pd.isna(v):
            return "-"
        f = "{:+.3f}" if signed else "{:.3f}"
        return f"{f.format(v)} [{f.format(lo)}, {f.format(hi)}]" if pd.notna(lo) else f.format(v)

    base = scores.set_index(key)
    rows = []
    for _, r in scores.iterrows():
        row = {key: r[key], "dim": r["dim"]}
        for m in ("nearest_centroid", "linear_probe"):
            name = m.replace("_", " ")
            row[name] = fmt(r[m], r.get(f"{m}_lo", np.nan), r.get(f"{m}_hi", np.nan))
            if reference is not None:
                d = r[m] - base.loc[reference, m] if reference in base.index else np.nan
                row[f"{name} - {label or reference}"] = (
                    ""
                    if r[key] == reference
                    else fmt(d, r.get(f"{m}_vs_{tag}_lo", np.nan), r.get(f"{m}_vs_{tag}_hi", np.nan), signed=True)
                )
        rows.append(row)
    return pd.DataFrame(rows).set_index(key)


def separability_display(sep: pd.DataFrame) -> pd.DataFrame:
    """:func:`letter_separability`'s table for reading (:func:`separability_text` with HaMeR as the
    reference); chance and frame counts in ``attrs["note"]``."""
    out = separability_text(sep, key="teacher", reference="hamer", label="HaMeR", tag="hamer")
    out.attrs["note"] = (
        f"chance {sep['chance'].iloc[0]:.3f}, majority letter {sep['majority'].iloc[0]:.3f}; "
        f"{int(sep['test_frames'].iloc[0])} test hold frames of "
        f"{int(sep['test_signers'].iloc[0]) if 'test_signers' in sep else '?'} unseen signers"
    )
    return out


def separability_verdict(sep: pd.DataFrame) -> str:
    """Sentence on :func:`letter_separability`'s table: the accuracies of HaMeR beside chance, majority and
    oracle, the ranking of the non-oracle teachers under each measure, and whether HaMeR ranks first under
    both (the source study's claim, at the level of letter separability), under one only, or under none.
    Where the table has paired bootstrap intervals, a teacher whose difference from HaMeR has an interval
    containing zero is named as not separable from HaMeR on these test signers."""
    real = sep[sep["teacher"] != "oracle_pose"]
    if "hamer" not in set(real["teacher"]):
        return "HaMeR is not among the teachers of this run: its ranking cannot be checked."

    def row(name):
        return sep.loc[sep["teacher"] == name].iloc[0]

    h = row("hamer")
    text = (
        f"On unseen signers HaMeR's vectors reach {h.nearest_centroid:.3f} nearest-centroid and {h.linear_probe:.3f} "
        f"linear-probe accuracy (chance {h.chance:.3f}, majority letter {h.majority:.3f}"
    )
    if "oracle_pose" in set(sep["teacher"]):
        o = row("oracle_pose")
        text += f", ground-truth pose {o.nearest_centroid:.3f} / {o.linear_probe:.3f}"
    text += "). "
    first, clear = [], []
    for measure in ("nearest_centroid", "linear_probe"):
        order = real.sort_values(measure, ascending=False)["teacher"].tolist()
        text += f"Ranking by {measure.replace('_', '-')}: {' > '.join(order)}"
        first.append(order[0] == "hamer")
        lo, hi = f"{measure}_vs_hamer_lo", f"{measure}_vs_hamer_hi"
        few = "test_signers" in real and real["test_signers"].iloc[0] < MIN_BOOTSTRAP_SIGNERS
        if few:
            text += " (too few test signers for a bootstrap interval)"
        elif lo in real and real[lo].notna().any():
            others = real[real["teacher"] != "hamer"]
            tied = others.loc[(others[lo] <= 0) & (others[hi] >= 0), "teacher"].tolist()
            clear.append(not tied)
            text += (
                f" (within the 95 % signer-bootstrap interval of HaMeR: {', '.join(tied)})"
                if tied
                else " (every other teacher differs from HaMeR beyond the 95 % signer-bootstrap interval)"
            )
        text += ". "
    claim = (
        "The source study reports that HaMeR guides the student better than other hand models; at the level "
        "of letter separability this "
    )
    if all(first) and (not clear or all(clear)):
        return text + claim + "replicates here (HaMeR ranks first under both measures)."
    if all(first):
        return (
            text
            + claim
            + (
                "replicates only within noise here (HaMeR ranks first under both measures, but "
                "not beyond the bootstrap interval of every other teacher)."
            )
        )
    if any(first):
        return (
            text
            + claim
            + (
                "replicates only partly here (HaMeR ranks first under one measure, not the "
                "other); whether it helps the student most is for the distillation pages."
            )
        )
    return text + claim + "does NOT replicate here (HaMeR ranks first under neither measure)."


def umap_grid(
    stores: Mapping[str, FeatureStore],
    frames: pd.DataFrame,
    max_frames: int = 1500,
    seed: int = 0,
    method: str = "umap",
    colour_by: str | Sequence[str] = "letter",
):
    """Figure: a 2D UMAP (or, with ``method="pca"``, a PCA: no numba compilation, for quick runs) of each
    system's hold-frame vectors (standardised), one panel per system, at most three a row; one block of rows
    per column name of ``colour_by`` (e.g. "letter", or ("letter", "signer")): the same embeddings coloured by
    that column. ``stores``: anything with ``vectors(filename) -> (T, D)``."""
    import matplotlib.pyplot as plt

    from .. import style

    if method not in ("umap", "pca"):
        raise ValueError(f"embedding method {method!r}: use 'umap' or 'pca'")
    colourings = [colour_by] if isinstance(colour_by, str) else list(colour_by)
    frames = frames.reset_index(drop=True)
    if len(frames) > max_frames:
        frames = frames.sample(max_frames, random_state=seed).reset_index(drop=True)
    n = len(stores)
    ncols = style.balanced_ncols(n)
    block = -(-n // ncols)  # rows of one colouring
    panel = style.PAGE_WIDTH / ncols
    fig, axes = style.subplots(
        block * len(colourings), ncols, height=panel * 0.95 * block * len(colourings), squeeze=False
    )
    for ax in axes.ravel():
        ax.set_visible(False)
    axis = "UMAP" if method == "umap" else "PC"  # the embedding's axes have no unit
    for j, (name, fs) in enumerate(stores.items()):
        x = frame_vectors(fs, frames)
        sd = x.std(0)
        x = (x - x.mean(0)) / np.maximum(sd, 0.1 * np.median(sd) + 1e-6)  # as in separability()
        if method == "umap":
            with warnings.catch_warnings():  # umap imports tqdm.auto, which warns without ipywidgets
                warnings.simplefilter("ignore")
                import umap

            emb = umap.UMAP(n_neighbors=min(15, max(2, len(x) - 1)), random_state=seed, n_jobs=1).fit_transform(x)
        else:
            from sklearn.decomposition import PCA

            emb = PCA(2, random_state=seed).fit_transform(x)
        for i, col in enumerate(colourings):
            ax = axes[i * block + j // ncols, j % ncols]
            ax.set_visible(True)
            values = frames[col].to_numpy()
            names = sorted(set(values), key=str)
            colour = {
                v: plt.cm.tab20(k % 20) if len(names) <= 20 else plt.cm.gist_ncar(k / len(names))
                for k, v in enumerate(names)
            }
            ax.scatter(emb[:, 0], emb[:, 1], c=[colour[v] for v in values], s=5)
            for v in names:  # names at their cluster medians
                m = np.median(emb[values == v], axis=0)
                ax.text(m[0], m[1], str(v) if v != " " else "␣", fontsize=9 if col == "letter" else 7, weight="bold")
            ax.set(
                title=f"{name}, by {col}",
                xticks=[],
                yticks=[],
                xlabel=f"{axis} 1",
                ylabel=f"{axis} 2",
            )
    return fig


def corpus_pose_errors(store: Any, fs: FeatureStore, filenames: Sequence[str]) -> pd.DataFrame:
    """Pose and 2D keypoint errors of a HaMeR teacher on the corpus crops, against the synthetic ground truth.

    Per sequence: global-orientation and finger-joint geodesic errors (degrees) and, when the teacher has a
    keypoint decoder, the 2D keypoint error in crop pixels (ground truth mapped into each crop's box, mirrored
    when the crop was). Frames where MediaPipe did not detect the hand are included (their crops are
    interpolated boxes).
    """
    rows = []
    size = store.config.crop_size
    for f in filenames:
        gt = load_truth(store.corpus, f)
        if gt is None:
            continue
        out = fs.load(f)
        rot_gt = axis_angle_to_matrix(torch.from_numpy(np.asarray(gt["pose"], np.float64)))
        ang = torch.rad2deg(geodesic_angle(torch.from_numpy(out["pose"]).double(), rot_gt)).numpy()
        row = {
            "filename": f,
            "partition": store.sequences[f].partition,
            "frames": len(ang),
            "global_orient_deg": float(ang[:, 0].mean()),
            "finger_joint_deg": float(ang[:, 1:].mean()),
        }
        if "keypoints2d" in out:
            meta = store.meta(f)
            box = meta["boxes"].astype(np.float64)
            side = (box[:, 2] - box[:, 0])[:, None]
            uv = (np.asarray(gt["keypoints2d"], np.float64) - box[:, None, :2]) / side[:, None]
            if meta["mirrored"]:
                uv[..., 0] = 1 - uv[..., 0]
            err = np.linalg.norm(out["keypoints2d"] - (uv - 0.5), axis=-1).mean(1) * size
            row["keypoint2d_px"] = float(np.nanmean(err))
        rows.append(row)
    return pd.DataFrame(rows)


def errors_by_partition(per_sequence: pd.DataFrame) -> pd.DataFrame:
    """Frame-weighted means of the ``*_deg`` / ``*_px`` columns of :func:`corpus_pose_errors`, per partition."""
    cols = [c for c in per_sequence.columns if c.endswith(("_deg", "_px"))]
    w = per_sequence["frames"]
    out = per_sequence[cols].mul(w, axis=0).groupby(per_sequence["partition"]).sum()
    out = out.div(w.groupby(per_sequence["partition"]).sum(), axis=0)
    out["frames"] = w.groupby(per_sequence["partition"]).sum()
    return out


# ------------------------------------------------------------------------------------------ goals
GOALS = {"finger_gain": 0.30, "keypoint3d_mm": 25.0, "linear_probe": 0.6, "nearest_centroid": 0.5}


def goal_table(
    heldout: pd.DataFrame, fingers: pd.DataFrame | None, sep: pd.DataFrame | None, goals: Mapping[str, float] = GOALS
) -> pd.DataFrame:
    """The synthetic teacher's targets (held-out hands of unseen shape and look; letters of unseen signers),
    each with the measured value and whether it is met: finger-joint error at least ``finger_gain`` below
    the constant prediction, overall and for every finger; the keypoint regressor's wrist-relative 3D error
    at most ``keypoint3d_mm``; HaMeR's letter separability by linear probe above MediaPipe's and at least
    ``linear_probe``, by nearest centroid at least ``nearest_centroid``. Rows whose inputs are missing are
    left out."""
    rows = []

    def add(goal, value, met):
        rows.append({"goal": goal, "measured": value, "met": bool(met)})

    h = heldout.set_index(["model", "metric"])
    fj = (
        h.loc[("synthetic HaMeR", "finger joint rotation error (deg)")]
        if ("synthetic HaMeR", "finger joint rotation error (deg)") in h.index
        else None
    )
    if fj is not None and "gain" in heldout:
        add(
            f"finger-joint error >= {goals['finger_gain']:.0%} below the constant prediction",
            f"{fj['gain']:.0%} below",
            fj["gain"] >= goals["finger_gain"],
        )
    if fingers is not None and len(fingers):
        worst = fingers.sort_values("gain").iloc[0]
        add(
            "every finger clearly below its constant (gain >= 10 %)",
            f"weakest: {worst['finger']} {worst['gain']:.0%}",
            worst["gain"] >= 0.10,
        )
    kp = heldout[(heldout["model"] == "keypoint regressor")]
    if len(kp):
        v = float(kp["value"].iloc[0])
        add(
            f"keypoint regressor 3D error <= {goals['keypoint3d_mm']:.0f} mm",
            f"{v:.1f} mm",
            v <= goals["keypoint3d_mm"],
        )
    if sep is not None and "hamer" in set(sep["teacher"]):
        s = sep.set_index("teacher")
        lp, nc = s.loc["hamer", "linear_probe"], s.loc["hamer", "nearest_centroid"]
        if "mediapipe" in s.index:
            add(
                "HaMeR linear probe above MediaPipe's landmarks",
                f"{lp:.3f} vs {s.loc['mediapipe', 'linear_probe']:.3f}",
                lp > s.loc["mediapipe", "linear_probe"],
            )
        add(f"HaMeR linear probe >= {goals['linear_probe']}", f"{lp:.3f}", lp >= goals["linear_probe"])
        add(f"HaMeR nearest centroid >= {goals['nearest_centroid']}", f"{nc:.3f}", nc >= goals["nearest_centroid"])
    return pd.DataFrame(rows, columns=["goal", "measured", "met"])


# ----------------------------------------------------------------------------------------- the page's set-up
def pretrain_config(params: Mapping[str, Any]):
    """The synthetic teacher's :class:`~fslib.teachers.synthetic.SyntheticTeacherConfig` from the teacher
    page's parameters (``teacher_size``, ``teacher_input_size`` (0: ``crop_size``), ``margin``,
    ``pretrain_samples``, ``pretrain_val_samples``, ``pretrain_signers``, ``pretrain_epochs``, ``seed``)."""
    from .synthetic import make_config

    return make_config(
        size=params["teacher_size"],
        crop_size=params.get("teacher_input_size") or params["crop_size"],
        margin=params["margin"],
        samples=params["pretrain_samples"],
        val_samples=params["pretrain_val_samples"],
        signers=params["pretrain_signers"],
        epochs=params["pretrain_epochs"],
        seed=params["seed"],
    )


class TeacherPage(NamedTuple):
    """What the teacher page's set-up gives the rest of the page."""

    synthetic: bool  # the corpus is the synthetic one (no ``corpus_path``)
    teachers: list[str]  # the page's ``teachers`` that can run on this corpus
    pretrain_config: Any  # :func:`pretrain_config`
    tables: Path
    figures: Path


def open_page(params: Mapping[str, Any]) -> TeacherPage:
    """The set-up of the teacher page (notebook 03) from its parameters (the notebook's globals): keeps the
    teachers this corpus allows (the oracle needs synthetic ground truth; a message names those left out),
    builds the synthetic teacher's configuration, displays the provenance box and creates the output folders."""
    from .. import report
    from .registry import teachers_for_corpus

    synthetic = not params.get("corpus_path")
    teachers = teachers_for_corpus(params["teachers"], synthetic)
    cfg = pretrain_config(params)
    dirs = report.open_page(
        params["profile"],
        params["out_dir"],
        data=report.describe_corpus_params(params),
        teacher=report.describe_teacher_params(params),
    )
    return TeacherPage(synthetic, teachers, cfg, dirs.tables, dirs.figures)


def teacher_stores(store: Any, models: Mapping[str, Any]) -> dict[str, FeatureStore]:
    """Each teacher's :class:`FeatureStore` on the crop store ``store`` (computed or read from the cache), by
    name, in the order of ``models``."""
    return {name: teacher_features(store, teacher) for name, teacher in models.items()}


def teacher_overview(models: Mapping[str, Any], stores: Mapping[str, FeatureStore]) -> pd.DataFrame:
    """One row per teacher: its name, table label, vector size and the share of frames with a vector
    (:func:`~fslib.teachers.features.coverage`)."""
    return pd.DataFrame(
        [
            dict(teacher=name, description=t.label, dim=stores[name].dim, frames_with_vector=coverage(stores[name]))
            for name, t in models.items()
        ]
    )
