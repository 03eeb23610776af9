"""``fslib recognize`` (letters from a video, a folder of frames or a camera) and ``fslib export`` (the trained
student as ONNX). Bad input ends with one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_BAD_INPUT = 2


def add_subcommand(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recognize",
        help="fingerspelled letters in a video, a folder of frames or a camera, with the study's trained student",
        description="MediaPipe finds and crops the signing hand exactly as the study's preprocessing does, the "
        "trained student reads the crops and CTC decodes the letters. Prints the letters and the time each "
        "stage took. Default model: runs/full/models/recognizer.pt (committed with the full run), else the newest runs/<profile>/models/recognizer.pt.",
    )
    p.add_argument("input", nargs="?", help="a video file (mp4/mov/avi) or a folder of frames")
    p.add_argument("--camera", type=int, metavar="N", help="read camera N instead of a file")
    p.add_argument("--seconds", type=float, default=10.0, help="with --camera: stop after this long (default 10)")
    p.add_argument("--checkpoint", metavar="PATH", help="a recognizer.pt saved by a study run")
    p.add_argument("--onnx", metavar="PATH", help="run an exported student (fslib export) in ONNX Runtime instead")
    p.add_argument("--alphabet", choices=["fswild", "greek"], help="refuse a model trained on another alphabet")
    p.add_argument("--beam", type=int, default=0, metavar="K", help="prefix beam search of width K (default greedy)")
    p.add_argument("--stream", action="store_true", help="print partial hypotheses as frames arrive")
    p.add_argument(
        "--partial-every", type=int, default=4, metavar="N", help="with --stream: a partial hypothesis every N frames"
    )
    p.add_argument(
        "--fps", type=float, help="frame rate of the input (needed for a folder of frames; default: the model's)"
    )
    p.add_argument("--threads", type=int, default=1, help="PyTorch / ONNX Runtime threads of the student (default 1)")
    p.add_argument("--no-overlap", action="store_true", help="run MediaPipe and the student one after the other")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_recognize)

    e = sub.add_parser(
        "export",
        help="write the trained student as an ONNX model",
        description="Export the student (ResNet34 -> 1D-CNN -> BiGRU, dynamic sequence length) with its alphabet "
        "and configuration in the model's metadata, for ONNX Runtime and `fslib recognize --onnx`.",
    )
    e.add_argument("--checkpoint", metavar="PATH", help="a recognizer.pt (default: runs/full/models/recognizer.pt)")
    e.add_argument("--onnx", metavar="PATH", required=True, help="where to write the .onnx file")
    e.set_defaults(func=_export)

    b = sub.add_parser(
        "bench",
        help="time the recognizer against MediaPipe and designs with a pose stream (the efficiency page's table)",
        description="Measure, side by side on this machine: the student alone (PyTorch and ONNX Runtime), MediaPipe "
        "Hands alone and with the crop rule, the whole fslib recognize pipeline, and the pipeline with a HaMeR pass "
        "on every crop (the released ViT-H and the study's synthetic one). The efficiency page adds a trained "
        "two-stream model. Ratios within one run carry the verdicts; absolute times depend on the machine.",
    )
    b.add_argument("--checkpoint", metavar="PATH", help="a recognizer.pt (default: runs/full/models/recognizer.pt)")
    b.add_argument("--frames", type=int, default=60, help="640x480 frames through MediaPipe and the pipeline")
    b.add_argument("--repeats", type=int, default=5, help="timed calls per student measurement (median kept)")
    b.add_argument("--hamer-repeats", type=int, default=1, help="released-size HaMeR passes (0 skips its build)")
    b.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    b.add_argument("--csv", metavar="PATH", help="also write the table as CSV")
    b.set_defaults(func=_bench)

    c = sub.add_parser(
        "clip",
        help="render a synthetic fingerspelling clip as an mp4 (something to try fslib recognize on)",
        description="Render WORD spelled by a synthetic signer with the study's corpus generator and write it as an "
        "mp4. The default corpus seed (2026) is used by no profile, so the signer is new to every trained model.",
    )
    c.add_argument("word", help="the letters to spell (of the chosen alphabet)")
    c.add_argument("out", help="the mp4 to write")
    c.add_argument("--alphabet", default="fswild", choices=["fswild", "greek"])
    c.add_argument("--seed", type=int, default=None, help="corpus seed of the signer (default 2026)")
    c.add_argument("--signer", type=int, default=0, help="signer number within that corpus seed (default 0)")
    c.add_argument("--image-size", type=int, default=256, help="frame side in pixels (default 256)")
    c.add_argument("--fps", type=int, default=15, help="frames per second (default 15, the study's corpora)")
    c.set_defaults(func=_clip)


def _fail(command: str, err: Exception) -> int:
    print(f"fslib {command}: error: {err}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _recognize(args: argparse.Namespace) -> int:
    from ..data.video import VideoError, open_source, resample
    from .pipeline import RecognizeError, load_model, recognize

    try:
        if args.input is None and args.camera is None:
            raise RecognizeError("give a video file, a folder of frames, or --camera N")
        if args.beam < 0 or args.threads < 1 or args.partial_every < 1 or (args.fps is not None and args.fps <= 0):
            raise RecognizeError("--beam must be >= 0, --threads and --partial-every >= 1, and --fps > 0")
        src = open_source(args.input, camera=args.camera, fps=args.fps)
        if args.onnx:
            from .onnx_export import load_onnx_model

            sm, student = load_onnx_model(args.onnx, threads=args.threads)
            if args.alphabet and sm.alphabet.name != _alphabet_name(args.alphabet):
                raise RecognizeError(f"{args.onnx}: trained on the {sm.alphabet.name} alphabet, not {args.alphabet}")
        else:
            import torch

            torch.set_num_threads(args.threads)
            sm, student = load_model(args.checkpoint, alphabet=args.alphabet), None
        if args.camera is not None:
            src.limit = int(args.seconds * (src.fps or 30))
        target = sm.frame_rate or src.fps
        frames = resample(src.frames(), src.fps or sm.frame_rate, sm.frame_rate)

        def show(n: int, letters: str) -> None:
            if letters:
                print(f"  [{n:4d} frames] {letters}", flush=True)

        result = recognize(
            frames,
            sm,
            student=student,
            beam=args.beam,
            stream=args.stream,
            overlap=not args.no_overlap,
            on_partial=None if args.json else show,
            source=src.name,
            partial_every=args.partial_every,
        )
    except (RecognizeError, VideoError) as err:
        return _fail("recognize", err)
    out = result.as_dict()
    out.update(
        input=src.name,
        model=str(sm.path),
        backend=getattr(student, "name", "pytorch"),
        input_fps=src.fps,
        model_fps=target,
        beam=args.beam,
    )
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"letters: {result.letters!r}")
    print(f"model: {sm.describe()} [{out['backend']}]")
    print(
        f"input: {src.name} at {src.fps or '?'} frames/s, read at {target or '?'} frames/s; signing hand "
        f"{result.side}, found in {result.detection_rate:.0%} of the frames"
    )
    print(f"timings: {result.timings.line()}")
    return 0


def _alphabet_name(key: str) -> str:
    from ..alphabet import get

    return get(key).name


def _export(args: argparse.Namespace) -> int:
    from .onnx_export import export_onnx
    from .pipeline import RecognizeError, load_model

    try:
        sm = load_model(args.checkpoint)
    except RecognizeError as err:
        return _fail("export", err)
    path = export_onnx(sm, args.onnx)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) from {sm.describe()}")
    return 0


def _clip(args: argparse.Namespace) -> int:
    from ..alphabet import AlphabetError
    from ..synth.clip import DEMO_SEED, write_clip
    from ..synth.corpus import CorpusError

    try:
        path = write_clip(
            args.word,
            args.out,
            fps=args.fps,
            alphabet=args.alphabet,
            seed=DEMO_SEED if args.seed is None else args.seed,
            signer=args.signer,
            image_size=args.image_size,
        )
    except (CorpusError, AlphabetError, ValueError) as err:
        return _fail("clip", err)
    print(f"wrote {path}: {args.word!r} spelled at {args.fps} frames/s")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import pandas as pd

    from . import efficiency
    from .pipeline import RecognizeError, load_model

    settings = efficiency.BenchSettings(
        frames=args.frames, repeats=args.repeats, hamer_repeats=args.hamer_repeats, memory=not args.no_memory
    )
    try:
        settings.validate()
        sm = load_model(args.checkpoint)
    except (RecognizeError, ValueError) as err:
        return _fail("bench", err)
    size, side = sm.provenance.get("teacher_size", "small"), sm.preprocess.crop_size
    table = efficiency.design_table(
        sm, settings, synthetic_hamer=(size, side), progress=lambda m: print(f"timing {m} ...", file=sys.stderr)
    )
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.set_index(["design", "backend"]).round(3).to_string())
    for line in efficiency.verdict_lines(table):
        print(line)
    return 0
