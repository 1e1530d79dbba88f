"""Data-parallel training of a chaingrad model on PyTorch: export, train with DDP, import back.

    python examples/ddp/train_ddp.py --epochs 5 --out runs/ddp

1. build a chaingrad classifier for the 8×8 digits and export it with ``to_torch``;
2. train the torch twin with ``DistributedDataParallel`` (gloo backend, 2 processes on this
   machine, started with ``torch.multiprocessing.spawn``); each process sees half of every
   batch and DDP averages the gradients, so the run is the single-process run with the whole
   batch, which this script also trains, for comparison;
3. load the trained weights back into the chaingrad model (``from_torch(..., model=...)``),
   check its loss equals torch's, and draw one step's graph with ``loss.draw``.

It prints one JSON line: the losses of both runs and of the imported model, and the drawing.
Needs torch (``pip install 'chaingrad[export]'``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.datasets import digits
from chaingrad.export import from_torch, to_torch

WORLD = 2  # processes
BATCH = 64  # per process; the single-process run uses WORLD * BATCH
LR = 0.1


def data() -> tuple[np.ndarray, np.ndarray]:
    """The digits, standardised, cut to a multiple of WORLD * BATCH so every step is full."""
    x, y = digits()
    x = (x - x.mean()) / x.std()
    n = len(x) // (WORLD * BATCH) * (WORLD * BATCH)
    return x[:n].astype(np.float32), y[:n].astype(np.int64)


def build_model(seed: int = 0) -> nn.Module:
    """The chaingrad model to train: a small CNN."""
    cg.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 32),
        nn.ReLU(),
        nn.Linear(32, 10),
    )


def _worker(rank: int, port: int, epochs: int, initial: dict[str, Any], out: str) -> None:
    """One DDP process: its shard of every batch, gradients averaged across processes."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    torch.set_num_threads(1)  # two processes share this machine's two cores
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        model = to_torch(build_model())
        model.load_state_dict(initial)  # every rank starts from the same weights
        ddp = DistributedDataParallel(model)
        x, y = data()
        dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        # no shuffling: rank r takes samples r, r+2, ...; with the per-rank batch that makes each
        # step's union exactly the single-process batch
        sampler = DistributedSampler(dataset, WORLD, rank, shuffle=False)
        loader = DataLoader(dataset, BATCH, sampler=sampler)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=LR, momentum=0.9)
        for _ in range(epochs):
            for xb, yb in loader:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(ddp(xb), yb).backward()
                optimizer.step()
        if rank == 0:
            torch.save(model.state_dict(), out)
        # DDP's reducer holds work on the group: release it before the group goes, so that no
        # destructor touches a destroyed group at exit (gloo then aborts: "terminate called
        # without an active exception", seen twice in CI under load)
        del ddp, optimizer, loader
        gc.collect()
        # both ranks reach teardown together: gloo aborts the same way when one rank destroys
        # the group while the other still has work in flight
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _single_process(epochs: int, initial: dict[str, Any]) -> Any:
    """The same training in one process with the whole batch: the run DDP must reproduce."""
    import torch

    model = to_torch(build_model())
    model.load_state_dict(initial)
    x, y = data()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    for _ in range(epochs):
        for start in range(0, len(x), WORLD * BATCH):
            xb = torch.from_numpy(x[start : start + WORLD * BATCH])
            yb = torch.from_numpy(y[start : start + WORLD * BATCH])
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the example; returns (and prints) the measured losses."""
    import torch
    import torch.multiprocessing as mp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default="runs/ddp", help="folder for graph.svg")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = build_model()
    initial = to_torch(model).state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "ddp.pt")
        mp.spawn(_worker, (_free_port(), args.epochs, initial, weights), nprocs=WORLD)
        trained = to_torch(build_model())
        trained.load_state_dict(torch.load(weights, weights_only=True))
    single = _single_process(args.epochs, initial)

    x, y = data()
    with torch.no_grad():
        ddp_loss = torch.nn.functional.cross_entropy(
            trained(torch.from_numpy(x)), torch.from_numpy(y)
        )
        single_loss = torch.nn.functional.cross_entropy(
            single(torch.from_numpy(x)), torch.from_numpy(y)
        )
    # back into chaingrad: the trained weights, evaluated and drawn by chaingrad itself
    from_torch(trained, model=model)
    loss = F.cross_entropy(model(cg.tensor(x[:16])), cg.tensor(y[:16]))
    loss.backward()
    loss.draw(out / "graph.svg")
    with cg.no_grad():
        chaingrad_loss = F.cross_entropy(model(cg.tensor(x)), cg.tensor(y)).item()
    result = {
        "epochs": args.epochs,
        "initial_loss": float(F.cross_entropy(build_model()(cg.tensor(x)), cg.tensor(y)).item()),
        "ddp_loss": float(ddp_loss),
        "single_process_loss": float(single_loss),
        "chaingrad_loss_after_import": chaingrad_loss,
        "graph": str(out / "graph.svg"),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
