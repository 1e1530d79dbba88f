"""The ``chaingrad`` command line: parses arguments and calls the functions that do the work."""

from __future__ import annotations

import argparse
import math
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")
        raise SystemExit(2)


DEMO_REPLAY = "demo_replay.html"  # chaingrad demo --animate with no PATH, in the --out folder
REPLAY_SUFFIXES = (".html", ".gif")


def build_parser() -> argparse.ArgumentParser:
    """The parser for every ``chaingrad`` command."""
    from chaingrad import __version__

    parser = _Parser(
        prog="chaingrad", description="chaingrad: backprop you can read, speed you can use."
    )
    parser.add_argument("--version", action="version", version=f"chaingrad {__version__}")
    # no command prints the help and exits 0, as git and pip do (main handles it)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = commands.add_parser(
        "demo",
        help="a two-layer sigmoid network worked by hand, forward and backward, drawn as SVG",
        description="Work a two-layer sigmoid network example with Values, print its forward "
        "values and gradients, check one gradient against the formula by hand, and write its "
        "graph as SVG.",
    )
    demo.add_argument(
        "--out", default="runs/demo", help="folder for graph.svg (default: runs/demo)"
    )
    demo.add_argument(
        "--animate",
        nargs="?",
        const=True,  # --animate alone: DEMO_REPLAY in the --out folder
        metavar="PATH",
        help=f"also write the backward pass step by step: .html (a slider) or .gif, chosen by "
        f"the suffix (default: {DEMO_REPLAY} in the --out folder)",
    )
    _add_train(commands)
    _add_predict(commands)
    sample = commands.add_parser(
        "sample",
        help="generate text with a model written by chaingrad train rnn|lstm|gru",
        description="Feed the prompt to a trained character model and let it continue.",
    )
    sample.add_argument(
        "--model", required=True, help="a model.npz from chaingrad train rnn|lstm|gru"
    )
    sample.add_argument("--prompt", required=True, help="the text to start from")
    sample.add_argument(
        "--length", type=_positive_int, default=200, help="characters to generate (default 200)"
    )
    sample.add_argument(
        "--temperature",
        type=_non_negative_float,
        default=0.6,
        help="randomness: 0 is greedy, 1 samples as trained (default 0.6)",
    )
    sample.add_argument("--seed", type=_seed, help="seed for the sampling")
    export = commands.add_parser(
        "export",
        help="write a model from chaingrad train as ONNX or a PyTorch state dict",
        description="Rebuild a model file written by chaingrad train and write it as ONNX "
        "(opset 17, dynamic batch axis; an image model includes its input standardisation) "
        "or as a PyTorch state dict saved with torch.save (same names as the chaingrad "
        "model; load it into chaingrad.export.to_torch(model)). Needs the export extra: "
        "pip install 'chaingrad[export]'.",
    )
    export.add_argument("model", help="a model.npz written by chaingrad train")
    export.add_argument("--to", required=True, choices=("onnx", "torch"), help="the format")
    export.add_argument("--out", help="the file to write (default: beside the model, .onnx or .pt)")
    bench = commands.add_parser(
        "bench",
        help="run the benchmark suite side by side with PyTorch and micrograd",
        description="Run the benchmark suite (chaingrad bench --help lists its options): every "
        "workload timed against its anchor in one process with the same threads; prints the "
        "ratios.",
        add_help=False,  # --help goes through to the suite, which prints its own options
    )
    del bench
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number != int(number):
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text}") from None
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def _number(text: str) -> float:
    """``float(text)``, or argparse's one-line error naming what was expected."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text}") from None


def _positive_float(text: str) -> float:
    value = _number(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite positive number, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _number(text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text}") from None
    if not 0 <= value < 2**63:  # NumPy's generators take non-negative seeds only
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 2**63 - 1, got {text}")
    return value


def _add_predict(commands: argparse._SubParsersAction) -> None:
    predict = commands.add_parser(
        "predict",
        help="classify images with a model written by chaingrad train mlp|cnn",
        description="Print one line per image: the predicted class and its probability (the "
        "top few with --top). Images are .npy/.npz arrays (raw pixels, as the model was trained "
        "on) or PNG files; or an IDX file with --data, and the accuracy with --labels.",
    )
    predict.add_argument("--model", required=True, help="a model.npz from chaingrad train mlp|cnn")
    predict.add_argument("images", nargs="*", metavar="IMAGE", help=".npy, .npz or .png files")
    predict.add_argument("--data", help="an IDX image file to classify")
    predict.add_argument("--labels", help="the IDX label file for --data: prints the accuracy")
    predict.add_argument(
        "--top", type=_positive_int, default=1, help="classes to show per image (default 1)"
    )


def _add_train(commands: argparse._SubParsersAction) -> None:
    from chaingrad.nn.app.runs import DEFAULTS, MODELS, OPTIMIZER_LR, OPTIMIZERS, SCHEDULERS

    train = commands.add_parser(
        "train",
        help="train a model on an embedded data set and write model.npz, curves.png, graph.svg",
        description="Train a model with a progress bar, print its metrics and write model.npz, "
        "curves.png (loss/accuracy), graph.svg (one training step) and, for text models, "
        "sample.txt into --out. mlp and cnn learn the 8×8 digits; rnn, lstm and gru learn the "
        "Zen of Python character by character.",
    )
    train.add_argument("model", choices=MODELS, help="what to train")
    train.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        help="text models: batches per epoch (default 50, so an epoch on any file takes seconds)",
    )
    train.add_argument("--epochs", type=_positive_int, help="passes over the training data")
    train.add_argument("--batch-size", type=_positive_int, help="examples per step")
    train.add_argument("--lr", type=_positive_float, help="learning rate")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help="sgd means SGD with momentum 0.9")
    train.add_argument(
        "--scheduler", choices=SCHEDULERS, help="learning-rate schedule over the epochs"
    )
    train.add_argument(
        "--seed", type=_seed, default=0, help="seed for initialisation and shuffling"
    )
    train.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show the progress bar even when the output is not a terminal",
    )
    train.add_argument("--out", help="output folder (default: runs/<model>)")
    train.add_argument(
        "--data",
        help="an IDX image file (mlp, cnn; labels beside it or via --labels) or a UTF-8 text file "
        "(rnn, lstm, gru); default: the embedded data",
    )
    train.add_argument("--labels", help="the IDX label file that goes with --data images")
    train.epilog = "defaults: " + "; ".join(
        f"{m}: {d['epochs']} epochs, batch {d['batch_size']}, "
        f"{d['optimizer']} lr {d['lr']}, {d['scheduler']}"
        for m, d in DEFAULTS.items()
    )
    train.epilog += (
        "; another --optimizer starts from its own lr (adamw from adam's): "
        + ", ".join(f"{name} {lr}" for name, lr in OPTIMIZER_LR.items())
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chaingrad`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:  # bare `chaingrad`: the help, as git and pip do
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        parser.print_help()
        return 0
    if extra and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command in ("train", "predict") and args.labels and not args.data:
        return _usage_error(args.command, "--labels needs --data (the images they label)")
    if args.command == "predict" and bool(args.images) == bool(args.data):
        return _usage_error("predict", "give IMAGE files or --data IDX (one of the two)")
    if args.command == "demo" and isinstance(args.animate, str):
        suffix = Path(args.animate).suffix.lower()
        if suffix not in REPLAY_SUFFIXES:
            return _usage_error(
                "demo", f"--animate writes .html or .gif (chosen by the suffix), got {args.animate}"
            )
    try:
        return _run(args, extra)
    except KeyboardInterrupt:  # outside training (fit's own Ctrl-C becomes RunStoppedError)
        sys.stderr.write(f"\nchaingrad {args.command}: interrupted\n")
        return 130
    except (ValueError, TypeError, OSError, KeyError, FloatingPointError) as error:
        # the library's documented error types: a user's mistake, never a traceback
        sys.stderr.write(f"chaingrad {args.command}: error: {_one_line(error)}\n")
        return 1
    except Exception:
        traceback.print_exc()
        sys.stderr.write(
            f"chaingrad {args.command}: internal error (a bug in chaingrad, not in what you "
            "asked for); please report it with the traceback above\n"
        )
        return 1


def _usage_error(command: str, message: str) -> int:
    """A bad combination of arguments: one line as argparse's own errors, exit status 2."""
    sys.stderr.write(f"chaingrad {command}: error: {message} (see chaingrad {command} --help)\n")
    return 2


def _one_line(error: BaseException) -> str:
    """An exception's message on one line (KeyError's quotes removed)."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(text.split()) or type(error).__name__


def _run(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Run the parsed command; the run's own errors become one line and an exit status."""
    from chaingrad.nn.app.runs import RunStoppedError, UsageError

    try:
        if args.command == "demo":
            from chaingrad.nn.app.demo import run_demo

            animate = Path(args.out) / DEMO_REPLAY if args.animate is True else args.animate
            print(run_demo(args.out, animate=animate))
        elif args.command == "train":
            _train(args)
        elif args.command == "predict":
            from chaingrad.nn.app.recipes import predict_files

            for line in predict_files(args.model, args.images, args.data, args.labels, args.top):
                print(line)
        elif args.command == "sample":
            from chaingrad.nn.app.text_models import sample_from_file

            print(
                sample_from_file(args.model, args.prompt, args.length, args.temperature, args.seed)
            )
        elif args.command == "export":
            _export(args)
        elif args.command == "bench":
            return _bench(extra)
    except UsageError as error:
        sys.stderr.write(f"chaingrad {args.command}: error: {_one_line(error)}\n")
        return 1
    except RunStoppedError as stop:
        sys.stderr.write(f"\nchaingrad {args.command}: stopped: {_one_line(stop)}\n")
        return stop.exit_code
    return 0


def _bench(extra: Sequence[str]) -> int:
    """Run ``python -m benchmarks`` from a checkout (the suite is a tool, not installed)."""
    import subprocess
    from pathlib import Path

    if not (Path.cwd() / "benchmarks" / "__main__.py").is_file():
        sys.stderr.write(
            "chaingrad bench: error: the benchmarks run from a checkout of chaingrad's "
            "repository; cd into it (where the benchmarks/ folder is) and run again\n"
        )
        return 1
    command = [sys.executable, "-m", "benchmarks", *extra]
    if not {"-h", "--help"} & set(extra):
        return subprocess.call(command)
    # the suite's help, in chaingrad's words: its usage line and no reStructuredText backticks
    shown = subprocess.run(command, capture_output=True, text=True, check=False)
    theirs, ours = "python -m benchmarks", "chaingrad bench"
    text = shown.stdout.replace(  # the usage's continuation lines align under the new name
        "\n" + " " * len(f"usage: {theirs} "), "\n" + " " * len(f"usage: {ours} ")
    )
    sys.stdout.write(text.replace(theirs, ours).replace("`", ""))
    sys.stderr.write(shown.stderr)
    return shown.returncode


def _export(args: argparse.Namespace) -> None:
    try:
        from chaingrad.export.model_file import export_model_file

        written = export_model_file(args.model, args.to, args.out)
    except ImportError as error:  # torch or onnx is an optional extra
        raise ValueError(str(error)) from None
    print(f"  wrote {written}")


def _train(args: argparse.Namespace) -> None:
    # With an empty numba cache a first run trains on the NumPy paths while the kernels compile
    # in a background process at idle priority (kernels/warm.py), as everywhere else: that
    # beat compiling in the run (a first `chaingrad train cnn`: see the README's figures).
    from chaingrad.nn.app.recipes import train
    from chaingrad.nn.app.runs import TrainConfig

    config = TrainConfig(
        model=args.model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        scheduler=args.scheduler,
        seed=args.seed,
        out=args.out,
        data=args.data,
        labels=args.labels,
        progress=args.progress,
        settings={} if args.steps_per_epoch is None else {"steps_per_epoch": args.steps_per_epoch},
    )
    import numpy as np

    with np.errstate(all="ignore"):  # a NaN/inf loss is reported by fit, in one line
        result = train(config)
    print("\n".join(result.lines))
    print("  wrote " + ", ".join(str(f) for f in result.files))


if __name__ == "__main__":
    raise SystemExit(main())
