"""Build notebooks/10_cnn_architectures.ipynb from one list of cells.

Each exercise cell is written with its stub (it raises ``NotImplementedError``) and its worked
answer; the solution notebook is kept in step by ``sync.py``. Run from anywhere:

    python notebooks/solutions/make_10.py            # write the notebook, unexecuted
    python notebooks/solutions/make_10.py --execute  # ... and run it in full mode (outputs kept)
"""

from __future__ import annotations

from pathlib import Path

from builder import Cells, build

NAME = "10_cnn_architectures.ipynb"
HERE = Path(__file__).resolve().parent
MAIN = HERE.parent / NAME

CELLS = Cells()
md, code = CELLS.md, CELLS.code


md(
    r"""
    # 10 · CNN architectures: counting parameters, multiply-adds and memory

    The architectures section of the notes (001, "CNN architectures & applications"; 003's
    architecture slides): what a layer costs and the design ideas that made networks cheaper.

    1. **the cost of a layer**: parameters $K(f \cdot f \cdot c_{in} + 1)$, multiply-adds
       $h_{out} \cdot w_{out} \cdot K \cdot f \cdot f \cdot c_{in}$ and output memory, read from
       `model.summary(x)` and checked against a formula; LeNet's and AlexNet's tables;
    2. **VGG**: two 3×3 layers against one 5×5 (same receptive field, fewer parameters and
       multiply-adds, one more nonlinearity, more memory);
    3. **1×1 convolutions**: a weighted sum across the feature maps at each position, and a
       bottleneck that cuts the multiply-adds of a 5×5 layer tenfold;
    4. **the Inception module**: branches of different filter sizes concatenated on channels;
    5. **global average pooling** against flatten + FC: the parameters of the head;
    6. **MobileNet's depth-wise separable convolution** (`nn.Conv2d(groups=C)`) and its cost
       ratio $1/N + 1/f^2$;
    7. **memory**: activations, parameters, gradients and the batch;
    8. four small CNNs trained on the digits: accuracy against parameters.

    Notation as in the notes: a layer has $K$ filters of size $f \times f$ over $c_{in}$ input
    channels ($K = c_{out}$), its output is $h_{out} \times w_{out} \times K$. The notes write
    volumes as (h, w, c); chaingrad, like PyTorch, as (N, C, H, W). The notes call a
    multiply-add a "flop"; `summary` says "mult-adds" (one multiply-add is two FLOPs in the
    usual count).
    """
)

code(
    r"""
    %config InlineBackend.figure_format = "png"
    import os

    import matplotlib.pyplot as plt
    import numpy as np

    import chaingrad as cg
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F
    from chaingrad import datasets, optim
    from chaingrad.nn.data import DataLoader, TensorDataset
    from chaingrad.nn.train import evaluate, fit
    from chaingrad.teach import check

    QUICK = os.environ.get("CHAINGRAD_QUICK") == "1"  # the tests set this: less data, fewer epochs
    plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "legend.fontsize": 8})
    plt.rcParams.update({"xtick.labelsize": 8, "ytick.labelsize": 8, "axes.titlesize": 9})
    cg.manual_seed(0)


    def n_params(model):
        return sum(p.numel() for p in model.parameters())


    def rows(model, shape):
        # the summary's table as {layer name: row}; a row has .parameters, .mult_adds,
        # .output_bytes and .output_shape
        return {r.name: r for r in model.summary(shape).rows}


    def bars(ax, values, title, ylabel, log=False):
        names = list(values)
        ax.bar(range(len(names)), list(values.values()), color=[f"C{i}" for i in range(len(names))])
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set(title=title, ylabel=ylabel, yscale="log" if log else "linear")
    """
)

md(
    r"""
    ## 1. The cost of a layer

    001, "Computational resource analysis": a convolution with weights $(K, f, f, c_{in})$ and
    output $(h_{out}, w_{out}, K)$ computes $h_{out} w_{out} K$ activations, each a dot product
    of two $(f, f, c_{in})$ tensors, so

    - parameters $= K(f \cdot f \cdot c_{in} + 1)$ (the $+1$ is the bias),
    - multiply-adds $= h_{out} \cdot w_{out} \cdot K \cdot f \cdot f \cdot c_{in}$,
    - output memory $= h_{out} \cdot w_{out} \cdot K$ numbers, 4 bytes each in float32.

    A fully connected layer is the case $f = h_{out} = w_{out} = 1$. Here is the formula as a
    function, and the same numbers as `summary` reports them for one layer.
    """
)

code(
    r"""
    def conv_costs(c_in, k_out, f, h_out, w_out, bias=True, bytes_per_number=4):
        return {
            "parameters": k_out * (f * f * c_in + bias),
            "mult_adds": h_out * w_out * k_out * f * f * c_in,
            "output_bytes": h_out * w_out * k_out * bytes_per_number,
        }


    layer = nn.Conv2d(3, 10, 5, padding=2)
    row = rows(layer, (1, 3, 32, 32))["Conv2d"]
    print(row)
    ours = conv_costs(3, 10, 5, 32, 32)
    assert (row.parameters, row.mult_adds, row.output_bytes) == tuple(ours.values())
    assert row.parameters == 760 and row.mult_adds == 768_000
    """
)

md(
    r"""
    Ten 5×5 filters over a 32×32×3 input ("same" padding): 760 parameters and 768,000
    multiply-adds. **LeNet** (001's table, input 32×32×1) in chaingrad, with the notes' numbers
    checked row by row. `summary` counts the multiply-adds of convolutions and linear layers
    only; pooling costs $h_{out} w_{out} c_{out} f^2$ comparisons or additions, which we add by
    hand. The notes print 4074 for the first pool: $14 \cdot 14 \cdot 6 \cdot 4 = 4704$ (two
    digits swapped).
    """
)

code(
    r"""
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10),
    )  # fmt: skip
    lenet_table = lenet.summary((1, 1, 32, 32))
    lenet_rows = {r.name: r for r in lenet_table.rows}
    notes = {"0": (156, 117_600), "3": (2_416, 240_000), "7": (48_120, 48_000),
             "9": (10_164, 10_080), "11": (850, 840)}  # fmt: skip
    for name, (params, mult_adds) in notes.items():
        assert (lenet_rows[name].parameters, lenet_rows[name].mult_adds) == (params, mult_adds)
    assert conv_costs(6, 16, 5, 10, 10)["mult_adds"] == 240_000
    pool_flops = {"2": 14 * 14 * 6 * 2 * 2, "5": 5 * 5 * 16 * 2 * 2}
    assert pool_flops == {"2": 4704, "5": 1600}
    assert lenet_table.total_parameters == 61_706
    lenet_table
    """
)

code(
    r"""
    def lenet_pictures():
        names = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2", "11": "fc3"}
        params = {names[k]: lenet_rows[k].parameters for k in names}
        costs = {names[k]: lenet_rows[k].mult_adds for k in names}
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8))
        bars(axes[0], params, "LeNet: parameters per layer", "parameters")
        bars(axes[1], costs, "LeNet: multiply-adds per layer", "multiply-adds")
        plt.tight_layout()
        plt.show()


    lenet_pictures()
    conv_rows, all_rows = [lenet_rows["0"], lenet_rows["3"]], list(lenet_rows.values())
    conv_share = sum(r.parameters for r in conv_rows) / lenet_table.total_parameters
    conv_work = sum(r.mult_adds for r in conv_rows) / sum(r.mult_adds for r in all_rows)
    assert round(conv_share, 2) == 0.04 and round(conv_work, 2) == 0.86
    """
)

md(
    r"""
    The two pictures are nearly mirror images: the convolutions hold 4% of the parameters and
    do 86% of the multiply-adds, the first FC layer the opposite. A filter is small but slides
    over every position; an FC weight is used once per image.

    **AlexNet**'s convolutions on a 227×227×3 image, again against the notes' table
    (parameters; multiply-adds in millions, the notes' "Mflops"). Conv1 has
    $96 \cdot (11 \cdot 11 \cdot 3 + 1) = 34{,}944$ parameters; the notes print 34,857, an
    erratum.
    """
)

code(
    r"""
    alexnet_features = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
    )  # fmt: skip
    alex = rows(alexnet_features, (1, 3, 227, 227))
    notes = {"0": (34_944, 105), "3": (614_656, 448), "6": (885_120, 150),
             "8": (1_327_488, 224), "10": (884_992, 150)}  # fmt: skip
    for name, (params, mega) in notes.items():
        r = alex[name]
        print(f"conv at {name:>2}: output {r.output_shape:<18} {r.parameters:>9,} parameters "
              f"{r.mult_adds / 1e6:6.1f} M multiply-adds")  # fmt: skip
        assert r.parameters == params and round(r.mult_adds / 1e6) == mega
    assert alex["12"].output_shape == "(1, 256, 6, 6)"
    """
)

md(
    r"""
    Every row agrees with the notes (with the corrected 34,944). One more thing the table
    hides: the 2012 AlexNet was split over two GPUs, and its Conv2 saw only the 48 channels on
    its own GPU — a **grouped convolution** with two groups, which halves that layer's weights.
    chaingrad's `nn.Conv2d` takes `groups=` as PyTorch does (section 6 uses it).
    """
)

code(
    r"""
    split_conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2)
    print(split_conv2, split_conv2.weight.shape)
    assert n_params(split_conv2) == 307_456  # 256 · (5·5·48 + 1)
    """
)

md(
    r"""
    ## 2. VGG: two 3×3 layers instead of one 5×5

    001, VGGNet: "two stacked 3×3 conv layers can still see a 5×5 spatial region", and "use
    less parameters, less flops than one 5×5 layer, but needs more memory due to intermediate
    activation maps"; they also have two nonlinearities instead of one. On a 32×32 map of
    $C = 64$ channels, "same" padding:
    """
)

code(
    r"""
    C, side = 64, 32
    designs = {
        "one 5×5": nn.Sequential(nn.Conv2d(C, C, 5, padding=2), nn.ReLU()),
        "two 3×3": nn.Sequential(
            nn.Conv2d(C, C, 3, padding=1), nn.ReLU(), nn.Conv2d(C, C, 3, padding=1), nn.ReLU()
        ),
    }
    vgg = {name: m.summary((1, C, side, side)) for name, m in designs.items()}
    for name, t in vgg.items():
        print(f"{name}: {t.total_parameters:,} parameters, {t.mult_adds:,} multiply-adds, "
              f"{t.output_bytes / 1024:.0f} KiB of layer outputs")  # fmt: skip
    assert vgg["one 5×5"].total_parameters == conv_costs(C, C, 5, side, side)["parameters"]
    assert vgg["two 3×3"].total_parameters == 2 * conv_costs(C, C, 3, side, side)["parameters"]
    assert vgg["two 3×3"].mult_adds / vgg["one 5×5"].mult_adds == 18 / 25
    assert round(vgg["two 3×3"].total_parameters / vgg["one 5×5"].total_parameters, 2) == 0.72
    assert vgg["two 3×3"].output_bytes == 2 * vgg["one 5×5"].output_bytes == 1024 * 1024
    """
)

md(
    r"""
    The stack has $2 \cdot 9C^2$ weights against $25C^2$: 72% of the parameters and of the
    multiply-adds — and twice the activation memory (1 MiB of layer outputs against 512 KiB,
    ReLU outputs included), because the intermediate map must be kept for the backward pass.

    The receptive field: each output of the second 3×3 layer depends on a 3×3 patch of the
    first layer's output, each of which depends on a 3×3 input patch — 5×5 in all. We measure
    it with backprop: the gradient of one output with respect to the input is nonzero exactly on
    the input pixels that output can see.
    """
)

code(
    r"""
    def receptive_field(model, channels, side=9):
        x = cg.zeros(1, channels, side, side, requires_grad=True)
        y = model(x)
        y[0, 0, side // 2, side // 2].backward()  # one output, in the middle
        return (np.abs(x.grad.numpy()[0]).sum(axis=0) > 0).astype(float)


    cg.manual_seed(1)
    fields = {
        "one 5×5": receptive_field(nn.Conv2d(1, 1, 5, padding=2), 1),
        # linear layers only (a ReLU at 0 passes no gradient: relu'(0) = 0)
        "two 3×3": receptive_field(
            nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1)), 1
        ),
    }
    assert all(f.sum() == 25 and f[2:7, 2:7].all() for f in fields.values())
    """
)

code(
    r"""
    def vgg_pictures():
        _, axes = plt.subplots(1, 4, figsize=(8, 2.4))
        for ax, (name, field) in zip(axes[:2], fields.items()):
            ax.imshow(field, cmap="Greys", vmin=0, vmax=1.4)
            ax.set_title(f"{name}: input pixels\nseen by one output", fontsize=8)
            ax.set_xticks([]), ax.set_yticks([])
        bars(axes[2], {k: t.total_parameters for k, t in vgg.items()}, "parameters", "")
        bars(axes[3], {k: t.output_bytes / 1024 for k, t in vgg.items()}, "layer outputs", "KiB")
        plt.tight_layout()
        plt.show()


    vgg_pictures()
    """
)

md(
    r"""
    VGG doubles the channels after each 2×2 pool: "a conv layer operating on a volume that has
    half spatial dimensions and double channel size takes the same number of flops".
    """
)

code(
    r"""
    before = rows(nn.Conv2d(64, 64, 3, padding=1), (1, 64, 32, 32))["Conv2d"]
    after = rows(nn.Conv2d(128, 128, 3, padding=1), (1, 128, 16, 16))["Conv2d"]
    print(f"64 channels at 32×32: {before.mult_adds:,}; 128 channels at 16×16: {after.mult_adds:,}")
    assert before.mult_adds == after.mult_adds == 37_748_736
    assert after.parameters > 3.9 * before.parameters  # the weights quadruple, though
    """
)

md(
    r"""
    Same 37,748,736 multiply-adds per layer, four times the weights.

    ## 3. 1×1 convolutions

    001: pooling shrinks the spatial dimensions but not the channels; a convolution with 1×1
    filters does that. Each filter computes a **weighted sum across all feature maps at each
    spatial location**: a `Linear` layer applied to every pixel's channel vector.
    """
)

code(
    r"""
    mix = nn.Conv2d(6, 3, 1)
    x = cg.randn(2, 6, 5, 5)
    per_pixel = x.numpy().transpose(0, 2, 3, 1) @ mix.weight.numpy()[:, :, 0, 0].T
    per_pixel = (per_pixel + mix.bias.numpy()).transpose(0, 3, 1, 2)
    assert np.allclose(mix(x).numpy(), per_pixel, atol=1e-5)
    """
)

md(
    r"""
    As a **bottleneck**: a 5×5 convolution from 192 to 32 channels on a 28×28 map (the sizes
    of GoogLeNet's first Inception module) costs over 120 million multiply-adds. Squeezing the
    192 channels to 16 with a 1×1 convolution first cuts that to about 12.4 million, a tenth,
    with a tenth of the parameters.
    """
)

code(
    r"""
    direct = nn.Conv2d(192, 32, 5, padding=2)
    bottleneck = nn.Sequential(nn.Conv2d(192, 16, 1), nn.ReLU(), nn.Conv2d(16, 32, 5, padding=2))
    squeeze = {
        name: m.summary((1, 192, 28, 28))
        for name, m in {"5×5 direct": direct, "1×1 then 5×5": bottleneck}.items()
    }
    for name, t in squeeze.items():
        print(f"{name:>13}: {t.total_parameters:>7,} parameters, {t.mult_adds:>11,} multiply-adds")
    assert squeeze["5×5 direct"].mult_adds == 120_422_400
    assert squeeze["1×1 then 5×5"].mult_adds == 2_408_448 + 10_035_200 == 12_443_648
    assert squeeze["5×5 direct"].mult_adds / squeeze["1×1 then 5×5"].mult_adds > 9.6
    assert squeeze["5×5 direct"].total_parameters / squeeze["1×1 then 5×5"].total_parameters > 9.6
    """
)

code(
    r"""
    def squeeze_pictures():
        _, axes = plt.subplots(1, 2, figsize=(8, 2.6))
        bars(axes[0], {k: t.total_parameters for k, t in squeeze.items()}, "parameters", "")
        costs = {k: t.mult_adds / 1e6 for k, t in squeeze.items()}
        bars(axes[1], costs, "multiply-adds", "millions")
        plt.tight_layout()
        plt.show()


    squeeze_pictures()
    """
)

md(
    r"""
    ## 4. The Inception module

    001: the Inception module "eliminates filter size as a hyperparameter": it runs 1×1, 3×3
    and 5×5 convolutions and a 3×3 max pool side by side ("same" padding, stride 1, so every
    branch keeps $h \times w$), uses 1×1 convolutions to keep that affordable, and **stacks the
    outputs into a single volume**: a concatenation on the channel axis. With GoogLeNet's
    module 3a sizes on a 28×28×192 input the output has $64 + 128 + 32 + 32 = 256$ channels.
    """
)

code(
    r"""
    def branch(*layers):
        # each convolution followed by a ReLU
        out = []
        for layer in layers:
            out += [layer, nn.ReLU()] if isinstance(layer, nn.Conv2d) else [layer]
        return nn.Sequential(*out)


    class Inception(nn.Module):
        def __init__(self, c_in, c1, c3, c5, c_pool):
            # c3 and c5 are pairs: (1×1 reduction, output channels)
            super().__init__()
            self.one = branch(nn.Conv2d(c_in, c1, 1))
            self.three = branch(nn.Conv2d(c_in, c3[0], 1), nn.Conv2d(c3[0], c3[1], 3, padding=1))
            self.five = branch(nn.Conv2d(c_in, c5[0], 1), nn.Conv2d(c5[0], c5[1], 5, padding=2))
            self.pool = branch(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(c_in, c_pool, 1))

        def forward(self, x):
            parts = [self.one(x), self.three(x), self.five(x), self.pool(x)]
            return cg.cat(parts, dim=1)  # stack the branches on the channel axis


    inception = Inception(192, 64, (96, 128), (16, 32), 32)
    block = inception.summary((1, 192, 28, 28))
    print(block.output)
    assert block.output == "(1, 256, 28, 28)"
    """
)

code(
    r"""
    def branch_costs(table, branches=("one", "three", "five", "pool")):
        # the summary's rows of a branch's own layers, added up
        out = {}
        for b in branches:
            inside = [r for r in table.rows if r.name.startswith(b + ".")]
            out[b] = (sum(r.parameters for r in inside), sum(r.mult_adds for r in inside))
        return out


    costs_3a = branch_costs(block)
    for name, (params, mult_adds) in costs_3a.items():
        print(f"{name:>5} branch: {params:>7,} parameters, {mult_adds / 1e6:5.1f} M multiply-adds")
    assert block.total_parameters == sum(p for p, _ in costs_3a.values()) == 163_696
    bottleneck_5x5 = squeeze["1×1 then 5×5"]
    assert costs_3a["five"] == (bottleneck_5x5.total_parameters, bottleneck_5x5.mult_adds)
    assert max(costs_3a, key=lambda b: costs_3a[b][0]) == "three"
    assert max(costs_3a, key=lambda b: costs_3a[b][1]) == "three"
    """
)

code(
    r"""
    def inception_pictures():
        _, axes = plt.subplots(1, 2, figsize=(8, 2.6))
        bars(axes[0], {k: p for k, (p, _) in costs_3a.items()}, "Inception 3a: parameters", "")
        costs = {k: m / 1e6 for k, (_, m) in costs_3a.items()}
        bars(axes[1], costs, "Inception 3a: multiply-adds", "millions")
        plt.tight_layout()
        plt.show()


    inception_pictures()
    """
)

md(
    r"""
    The module has 163,696 parameters; the 3×3 branch dominates both counts, and the 5×5
    branch, thanks to its 1×1 bottleneck, is the section 3 bottleneck exactly. **Inception v3**
    replaced the 5×5 by two 3×3 layers (section 2's argument) and factorised a 3×3 into a 3×1
    then a 1×3 ("spatially separable"): $6C^2$ weights instead of $9C^2$.
    """
)

code(
    r"""
    square = nn.Conv2d(64, 64, 3, padding=1, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(64, 64, (3, 1), padding=(1, 0), bias=False),
        nn.Conv2d(64, 64, (1, 3), padding=(0, 1), bias=False),
    )
    assert separable(cg.zeros(1, 64, 10, 10)).shape == (1, 64, 10, 10)
    assert n_params(separable) / n_params(square) == 6 / 9
    """
)

md(
    r"""
    ## 5. Global average pooling

    001: traditionally the last volume is flattened into a "huge vector" that feeds FC layers
    with a large number of parameters; instead, **average each activation map to one number**
    and feed that vector to the classifier. The pooling has no parameters and is robust to where
    in the map a feature appears. For a final volume of 64 maps of 7×7 and 10 classes:
    """
)

code(
    r"""
    heads = {
        "flatten + FC": nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 10)),
        "GAP + FC": nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)),
    }
    features = cg.randn(2, 64, 7, 7)
    gap = nn.AdaptiveAvgPool2d(1)(features)
    assert np.allclose(gap.numpy()[:, :, 0, 0], features.numpy().mean(axis=(2, 3)), atol=1e-6)
    head_params = {name: n_params(h) for name, h in heads.items()}
    print(head_params)
    assert head_params == {"flatten + FC": 31_370, "GAP + FC": 650}
    assert head_params["flatten + FC"] // head_params["GAP + FC"] == 48
    """
)

md(
    r"""
    31,370 parameters against 650: 48 times fewer, all in the final `Linear(64, 10)`. ResNet
    ends this way too.

    ## 6. MobileNet: depth-wise separable convolutions

    001: a standard convolution filters and sums across channels in one step. A **depth-wise
    separable** convolution splits this into two stages: a **depth-wise** convolution, each
    channel convolved independently with its own $f \times f$ filter (`nn.Conv2d(C, C, f,
    groups=C)`: weight $(C, 1, f, f)$), then a **point-wise** 1×1 convolution with $N$ filters
    that mixes the channels. Per output position the costs are $f^2 c_{in} N$ (standard)
    against $f^2 c_{in} + c_{in} N$ (separable), a ratio of

    $$\frac{f^2 c_{in} + c_{in} N}{f^2 c_{in} N} = \frac{1}{N} + \frac{1}{f^2}.$$
    """
)

code(
    r"""
    def standard_and_separable(c_in, n, f=3, side=16):
        standard = nn.Conv2d(c_in, n, f, padding=f // 2, bias=False)
        dw_separable = nn.Sequential(
            nn.Conv2d(c_in, c_in, f, padding=f // 2, groups=c_in, bias=False),  # depth-wise
            nn.Conv2d(c_in, n, 1, bias=False),  # point-wise
        )
        shape = (1, c_in, side, side)
        return standard.summary(shape), dw_separable.summary(shape)


    standard, dw = standard_and_separable(32, 64)
    print(dw)
    ratio = dw.mult_adds / standard.mult_adds
    print(f"separable / standard multiply-adds: {ratio:.4f}; 1/N + 1/f² = {1 / 64 + 1 / 9:.4f}")
    assert np.isclose(ratio, 1 / 64 + 1 / 9) and round(ratio, 3) == 0.127
    assert dw.rows[0].parameters == 32 * 9 and dw.rows[0].mult_adds == 16 * 16 * 32 * 9
    assert round(1 / ratio) == 8
    assert np.isclose(dw.total_parameters / standard.total_parameters, ratio)
    """
)

md(
    r"""
    With 32 input channels, $N = 64$ filters and $f = 3$ the separable version costs 0.127 of
    the standard one (eight times cheaper), and the parameters shrink by the same ratio. As $N$
    grows the ratio falls towards $1/f^2 = 1/9$: the depth-wise stage's cost is fixed, the
    point-wise stage is what remains.
    """
)

code(
    r"""
    def ratio_picture(channels=(4, 8, 16, 32, 64, 128, 256)):
        measured = []
        for n in channels:
            s, d = standard_and_separable(32, n, side=8)
            measured.append(d.mult_adds / s.mult_adds)
        grid = np.geomspace(channels[0], channels[-1], 100)
        plt.figure(figsize=(5, 3))
        plt.plot(grid, 1 / grid + 1 / 9, color="0.6", label="1/N + 1/f²")
        plt.plot(channels, measured, "o", label="from summary (c_in = 32, f = 3)")
        plt.axhline(1 / 9, ls="--", color="0.8", label="1/f²")
        plt.xscale("log", base=2)
        plt.xlabel("N, output channels")
        plt.ylabel("separable / standard")
        plt.legend()
        plt.tight_layout()
        plt.show()
        return np.array(measured)


    measured = ratio_picture()
    assert np.allclose(measured, 1 / np.array([4, 8, 16, 32, 64, 128, 256]) + 1 / 9)
    """
)

md(
    r"""
    ## 7. Memory

    001, "Memory usage": training must keep in memory the **activations** (every layer's
    output, and in the backward pass their gradients), the **parameters** (and their gradients,
    and an optimizer's state: Adam keeps two numbers per parameter) and the **batch**. The
    summary's last column is the activation part for one forward pass. For the digits CNN of
    section 8 with a batch of 32 images, in float32:
    """
)

code(
    r"""
    def plain_cnn(head="flatten"):
        layers = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8×8 → 4×4
                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU()]  # fmt: skip
        return nn.Sequential(*layers, *_head(head, 64))


    def _head(kind, channels):
        if kind == "gap":
            return [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10)]
        return [nn.Flatten(), nn.Linear(channels * 4 * 4, 10)]


    model = plain_cnn()
    batch = model.summary((32, 1, 8, 8))
    params_bytes = 4 * batch.total_parameters
    memory = {
        "batch": 32 * 1 * 8 * 8 * 4,
        "activations": batch.output_bytes,
        "parameters": params_bytes,
        "gradients": params_bytes,
        "Adam state": 2 * params_bytes,
    }
    for part, size in memory.items():
        print(f"{part:>12}: {size / 1024:7.1f} KiB")
    # per image: 32·8·8 (conv) + 32·8·8 (ReLU) + 32·4·4 (pool) + 2 · 64·4·4 + 1024 + 10 numbers
    per_image = 2 * 32 * 64 + 32 * 16 + 2 * 64 * 16 + 1024 + 10
    assert batch.output_bytes == 32 * 4 * per_image
    assert batch.total_parameters == 29_066
    assert round(batch.output_bytes / 1024) == 961 and round(params_bytes / 1024) == 114
    """
)

md(
    r"""
    The activations (961 KiB for 32 images, growing with the batch) outweigh the 29,066
    parameters (114 KiB, and as much again for their gradients): the notes' advice to tune the
    batch size to fit memory is about this column.

    ## 8. Four small CNNs on the digits

    Counting is not the whole story: does the cheaper design still learn? Four variants of one
    network on the 8×8 digits: the plain CNN of section 7, the same with its second
    convolution depth-wise separable, each with a flatten + FC head or a global-average-pooling
    head. Adam, 3·10⁻³, batches of 32.
    """
)

code(
    r"""
    def separable_cnn(head="flatten"):
        layers = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(32, 32, 3, padding=1, groups=32),  # depth-wise, then point-wise
                  nn.Conv2d(32, 64, 1), nn.ReLU()]  # fmt: skip
        return nn.Sequential(*layers, *_head(head, 64))


    images, labels = datasets.digits()
    x_train, x_test, y_train, y_test = datasets.train_test_split(
        images / 16.0, labels, test_size=0.2, seed=0, stratify=labels
    )
    if QUICK:
        x_train, y_train = x_train[:500], y_train[:500]
    epochs = 3 if QUICK else 20
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    """
)

code(
    r"""
    def train(make, head, seed=0):
        cg.manual_seed(seed)
        model = make(head)
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=seed)
        opt = optim.Adam(model.parameters(), lr=3e-3)
        history = fit(model, F.cross_entropy, opt, loader, epochs=epochs, progress=False)
        return n_params(model), evaluate(model, test_loader)["accuracy"], history["loss"]


    variants = {
        "plain, FC head": (plain_cnn, "flatten"),
        "plain, GAP head": (plain_cnn, "gap"),
        "separable, FC head": (separable_cnn, "flatten"),
        "separable, GAP head": (separable_cnn, "gap"),
    }
    results = {name: train(*v) for name, v in variants.items()}
    for name, (params, accuracy, loss) in results.items():
        print(f"{name:>20}: {params:>6,} parameters, training loss {loss[0]:.2f} → {loss[-1]:.2f}, "
              f"test accuracy {accuracy:.3f}")  # fmt: skip
    assert [r[0] for r in results.values()] == [29_066, 19_466, 13_002, 3_402]
    assert 3_402 / 29_066 < 1 / 8
    assert all(loss[-1] < loss[0] for _, _, loss in results.values())  # every one learns
    assert results["plain, FC head"][1] > 0.6 and results["separable, FC head"][1] > 0.6
    if not QUICK:
        accuracy = {name: r[1] for name, r in results.items()}
        assert all(a > 0.9 for a in accuracy.values())
        assert abs(accuracy["separable, FC head"] - accuracy["plain, FC head"]) < 0.02
        assert max(accuracy.values()) - accuracy["separable, GAP head"] < 0.07
    """
)

code(
    r"""
    def accuracy_picture():
        plt.figure(figsize=(5.5, 3))
        for i, (name, (params, accuracy, _)) in enumerate(results.items()):
            plt.scatter(params, accuracy, s=40, color=f"C{i}", label=name)
        plt.xscale("log")
        plt.xlabel("parameters")
        plt.ylabel("test accuracy")
        plt.title(f"digits, {epochs} epochs")
        plt.legend(loc="upper left")
        plt.grid(alpha=0.3)
        plt.tight_layout()
        plt.show()


    accuracy_picture()
    """
)

md(
    r"""
    All four exceed 90% test accuracy after 20 epochs. The separable network with an FC head
    matches the plain one (within 2 points) with less than half its parameters; the GAP heads
    cost a few points, and the smallest network (separable with a GAP head: 3,402 parameters,
    less than an eighth of the plain CNN's 29,066) is within 7 points of the best. The GAP
    heads start slowest: averaging away the positions leaves the classifier little to work
    with until the convolutions have learnt position-free features (in quick mode, three
    short epochs, they are still near chance).

    On 8×8 images this is a small-scale echo of the notes' comparison table, where GoogLeNet
    (a GAP head, 1×1 bottlenecks) has a lower error than VGG16 with a twentieth of its
    parameters.

    ## Exercises

    Each exercise has a stub that raises `NotImplementedError` and a check cell under it:
    `check` prints "not written yet" until you fill the stub in, then ✓ or the first element
    that is wrong. The references come from chaingrad itself (a module's parameters, a
    summary's rows), never from a formula. Worked solutions are in `notebooks/solutions/` under
    the same file name.
    """
)

md(
    r"""
    **1. Parameters of a grouped convolution.** Write `conv_parameters(c_in, c_out, f, groups,
    bias)`: the number of parameters of `nn.Conv2d(c_in, c_out, f, groups=groups, bias=bias)`.
    With groups, each filter sees only $c_{in}/g$ input channels.
    """
)

code(
    r"""
    def conv_parameters(c_in, c_out, f, groups=1, bias=True):
        raise NotImplementedError
    """,
    solution=r"""
    def conv_parameters(c_in, c_out, f, groups=1, bias=True):
        return c_out * (f * f * c_in // groups + bias)
    """,
)

code(
    r"""
    cases = [(3, 96, 11, 1, True), (32, 32, 3, 32, False), (8, 12, 5, 4, True), (6, 9, 1, 3, False)]
    for args in cases:
        check(
            f"conv_parameters{args}",
            lambda args=args: conv_parameters(*args),
            n_params(nn.Conv2d(*args[:3], groups=args[3], bias=args[4])),
        )
    """
)

md(
    r"""
    **2. Multiply-adds of a layer.** Write `conv_mult_adds(c_in, c_out, f, h_out, w_out,
    groups)`: the multiply-adds of one image through that convolution (the summary's
    "Mult-adds" column), for an output of $h_{out} \times w_{out}$.
    """
)

code(
    r"""
    def conv_mult_adds(c_in, c_out, f, h_out, w_out, groups=1):
        raise NotImplementedError
    """,
    solution=r"""
    def conv_mult_adds(c_in, c_out, f, h_out, w_out, groups=1):
        return h_out * w_out * c_out * f * f * (c_in // groups)
    """,
)

code(
    r"""
    for c_in, c_out, f, stride, groups in [(3, 96, 11, 4, 1), (16, 16, 3, 1, 16), (8, 12, 3, 2, 4)]:
        layer = nn.Conv2d(c_in, c_out, f, stride=stride, padding=f // 2, groups=groups)
        out = layer(cg.zeros(1, c_in, 23, 23)).shape
        check(
            f"conv_mult_adds for Conv2d({c_in}, {c_out}, {f}, stride={stride}, groups={groups})",
            lambda a=(c_in, c_out, f, out[2], out[3], groups): conv_mult_adds(*a),
            rows(layer, (1, c_in, 23, 23))["Conv2d"].mult_adds,
        )
    """
)

md(
    r"""
    **3. The output shape of an Inception module.** Write `inception_output_shape(x_shape, c1,
    c3, c5, c_pool)` for section 4's `Inception(c_in, c1, c3, c5, c_pool)` applied to an input
    of shape `x_shape` (N, C, H, W); `c3` and `c5` are pairs (reduction, output channels).
    """
)

code(
    r"""
    def inception_output_shape(x_shape, c1, c3, c5, c_pool):
        raise NotImplementedError
    """,
    solution=r"""
    def inception_output_shape(x_shape, c1, c3, c5, c_pool):
        n, _, h, w = x_shape
        return (n, c1 + c3[1] + c5[1] + c_pool, h, w)
    """,
)

code(
    r"""
    cases = [((2, 8, 6, 5), (4, (3, 6), (2, 3), 5)), ((1, 3, 7, 7), (1, (2, 2), (1, 1), 1))]
    for x_shape, sizes in cases:
        check(
            f"inception_output_shape{(x_shape, *sizes)}",
            lambda a=(x_shape, *sizes): tuple(inception_output_shape(*a)),
            tuple(Inception(x_shape[1], *sizes)(cg.zeros(*x_shape)).shape),
        )
    """
)

md(
    r"""
    **4. The depth-wise separable cost ratio.** Write `separable_ratio(c_in, n, f)`: the
    multiply-adds of a depth-wise $f \times f$ convolution followed by a point-wise one to $n$
    channels, divided by those of one standard $f \times f$ convolution from $c_{in}$ to $n$
    channels (no biases, same output size). The check measures it with section 6's summaries.
    """
)

code(
    r"""
    def separable_ratio(c_in, n, f):
        raise NotImplementedError
    """,
    solution=r"""
    def separable_ratio(c_in, n, f):
        return (f * f * c_in + c_in * n) / (f * f * c_in * n)
    """,
)

code(
    r"""
    for c_in, n, f in [(32, 64, 3), (8, 5, 5), (3, 100, 1)]:
        standard, dw = standard_and_separable(c_in, n, f, side=6)
        check(
            f"separable_ratio({c_in}, {n}, {f})",
            lambda a=(c_in, n, f): separable_ratio(*a),
            dw.mult_adds / standard.mult_adds,
        )
    """
)

md(
    r"""
    **5. (Open) A ResNet stage.** 001: ResNet uses "no pooling layers", a stride-2 convolution
    to shrink volumes and global average pooling at the end. Build a small one for the digits
    (notebook 05 §10 has a residual block) and place it on section 8's scatter plot.
    """
)


if __name__ == "__main__":
    build(CELLS, MAIN)
