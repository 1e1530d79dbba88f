"""Build notebooks/08_perceptrons_and_losses.ipynb from one list of cells.

Each exercise cell is written with its stub (it raises ``NotImplementedError``) and its worked
answer; the solution notebook is kept in step by ``sync.py``. Run from anywhere:

    python notebooks/solutions/make_08.py            # write the notebook, unexecuted
    python notebooks/solutions/make_08.py --execute  # ... and run it in full mode (outputs kept)
"""

from __future__ import annotations

from pathlib import Path

from builder import Cells, build

NAME = "08_perceptrons_and_losses.ipynb"
HERE = Path(__file__).resolve().parent
MAIN = HERE.parent / NAME

CELLS = Cells()
md, code = CELLS.md, CELLS.code


md(
    r"""
    # 08 · Perceptrons, XOR and the choice of output and loss

    The building block of every network in this course is the **perceptron** of the notes (002,
    "The Perceptron: Forward Propagation" and "Build Neural Networks with Perceptrons"; 001 calls
    a stack of them a multilayer perceptron, MLP). This notebook takes it from one unit to the
    choices that decide whether a network can learn at all:

    1. **the perceptron**: $z = w_0 + \sum_{j=1}^{m} x_j w_j$, $\hat y = g(z)$, and the line it
       draws;
    2. **XOR**: no line separates it, and the notes' own 2-layer network (002, "Neural Network
       Example") solves it with the weights printed on the slide;
    3. **universal approximation** (002, 001 "Universal approximation theorem"): 2, 8 and 32
       hidden units fitting one curve;
    4. **one-vs-all, softmax and multilabel** outputs (001 "Multiclass classification", 002's table
       "Last-layer activation and loss function");
    5. **MSE vs cross-entropy** for classification: why MSE "leads to poor results with saturating
       output units" (003);
    6. **symmetry breaking**: what all-zero or all-equal initial weights do (001 "Weight
       initialization", 003 "Parameter Initialization").

    Notation as in the notes: $x_j$ the inputs, $w_j$ the weights, $w_0$ the bias, $g$ the
    activation ($\sigma$ for the sigmoid), $z$ the pre-activation (the *logit* when it feeds a
    sigmoid or softmax output).
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
    from chaingrad.teach import check

    QUICK = os.environ.get("CHAINGRAD_QUICK") == "1"  # the tests set this: less data, fewer steps
    plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "legend.fontsize": 8})
    plt.rcParams.update({"xtick.labelsize": 8, "ytick.labelsize": 8, "axes.titlesize": 9})
    cg.manual_seed(0)


    def descend(opt, loss):
        # one step of gradient descent: clear old gradients, backpropagate, update
        opt.zero_grad()
        loss.backward()
        opt.step()
    """
)

md(
    r"""
    ## 1. The perceptron

    A perceptron weighs its inputs, adds a bias and applies a nonlinearity:

    $$z = w_0 + \sum_{j=1}^{m} x_j w_j, \qquad \hat y = g(z).$$

    The notes' network example (002) starts with one such unit: inputs $x = (1.0, 0.0)$,
    weights $(3.7, 3.7)$, bias $-1.5$, so $z = 3.7 - 1.5 = 2.2$ and $\sigma(2.2) = 0.90$. In
    chaingrad a layer of perceptrons is `nn.Linear` (it computes $z$ for every unit at once)
    followed by an activation.
    """
)

code(
    r"""
    unit = nn.Linear(2, 1)  # one perceptron with two inputs
    with cg.no_grad():
        unit.weight.copy_(cg.tensor([[3.7, 3.7]]))
        unit.bias.copy_(cg.tensor([-1.5]))
    x = cg.tensor([[1.0, 0.0]])
    z = unit(x)
    y_hat = z.sigmoid()
    print(f"z = {z.item():.2f}, sigmoid(z) = {y_hat.item():.2f}")
    assert abs(z.item() - 2.2) < 1e-5 and abs(y_hat.item() - 0.90) < 0.005
    """
)

md(
    r"""
    Where does the unit say "yes"? $\hat y > 0.5$ exactly where $z > 0$, and $z = 0$ is the
    straight line $w_0 + w_1 x_1 + w_2 x_2 = 0$. Whatever its weights, **one perceptron splits
    the plane with one line**; the weights only turn and shift the line and set how steep the
    step from 0 to 1 is across it.
    """
)

code(
    r"""
    GRID = np.linspace(-0.5, 1.5, 101, dtype=np.float32)
    XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    XOR_Y = np.array([0, 1, 1, 0], np.float32)


    def plane_map(ax, model, title):
        # the model's output over the plane, the 0.5 contour and the four XOR points
        g1, g2 = np.meshgrid(GRID, GRID)
        with cg.no_grad():
            out = model(cg.tensor(np.stack([g1.ravel(), g2.ravel()], 1))).numpy()
        levels = np.linspace(0, 1, 11)  # flat bands of 0.1
        ax.contourf(g1, g2, out.reshape(g1.shape), levels=levels, cmap="RdBu_r", vmin=0, vmax=1)
        ax.contour(g1, g2, out.reshape(g1.shape), levels=[0.5], colors="k", linewidths=1)
        ax.scatter(*XOR_X.T, c=XOR_Y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", s=60)
        ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")


    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    title = "one perceptron: $\\sigma(3.7x_1 + 3.7x_2 - 1.5)$"
    plane_map(ax, lambda t: unit(t).sigmoid(), title)
    plt.tight_layout()
    plt.show()
    """
)

md(
    r"""
    Red is $\hat y$ near 1, blue near 0; the black line is $\hat y = 0.5$. This unit computes
    **OR**: it says yes when $x_1$ or $x_2$ is 1. The four dots are the inputs of **XOR** (red:
    exactly one input is 1), and here the line gets $(1, 1)$ wrong.

    ## 2. XOR: a line fails, two layers succeed

    XOR's positive points $(0, 1), (1, 0)$ sit on one diagonal and its negative points on the
    other. Any line leaves at least one point on the wrong side: **the best a linear model can
    do is 3 of 4**. We check that by trying every line (every direction, every offset), and
    we train a logistic regression, which does even worse: by symmetry its best fit is the
    flat $\hat y = 0.5$ everywhere (loss $\ln 2 = 0.693$), no decision at all.
    """
)

code(
    r"""
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    normals = np.stack([np.cos(angles), np.sin(angles)], 1)  # (720, 2) line directions
    offsets = np.linspace(-2, 2, 801)
    scores = XOR_X @ normals.T  # (4, 720): each point's position along each normal
    says_one = scores[None] > offsets[:, None, None]  # (801, 4, 720)
    line_accuracy = (says_one == XOR_Y[None, :, None].astype(bool)).mean(axis=1)
    print(f"best accuracy of any line on XOR: {line_accuracy.max():.2f}")
    assert line_accuracy.max() == 0.75

    logistic = nn.Linear(2, 1)
    opt = optim.SGD(logistic.parameters(), lr=0.5)
    for _ in range(500 if QUICK else 2000):
        loss = F.binary_cross_entropy_with_logits(logistic(XOR_X), cg.tensor(XOR_Y[:, None]))
        descend(opt, loss)
    flat = logistic(XOR_X).sigmoid().numpy().ravel()
    print(f"logistic regression: loss {loss.item():.3f}, outputs {flat.round(2)}")
    assert abs(loss.item() - np.log(2)) < 1e-3
    """
)

md(
    r"""
    The notes' network (002, "Neural Network Example") puts two hidden sigmoid units in front
    of the output unit. Hidden unit 1 has weights $(3.7, 3.7)$ and bias $-1.5$ (our OR unit),
    hidden unit 2 weights $(2.9, 2.9)$ and bias $-4.5$; the output unit weighs them with $4.5$
    and $-5.2$ and bias $-2.0$. For the input $(1, 0)$ the slide computes the hidden values
    $\sigma(2.2) = 0.90$ and $\sigma(-1.6) = 0.17$ and the output
    $\sigma(0.90 \cdot 4.5 - 0.17 \cdot 5.2 - 2.0) = \sigma(1.17) = 0.76$. We load those weights
    and run all four inputs.
    """
)

code(
    r"""
    notes_net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    with cg.no_grad():
        notes_net[0].weight.copy_(cg.tensor([[3.7, 3.7], [2.9, 2.9]]))
        notes_net[0].bias.copy_(cg.tensor([-1.5, -4.5]))
        notes_net[2].weight.copy_(cg.tensor([[4.5, -5.2]]))
        notes_net[2].bias.copy_(cg.tensor([-2.0]))
    hidden = notes_net[1](notes_net[0](cg.tensor(XOR_X))).numpy()
    output = notes_net(XOR_X).numpy().ravel()
    for x_in, h, y in zip(XOR_X, hidden, output):
        print(f"x = {x_in} -> h = {h.round(2)} -> y = {y:.2f}")
    assert np.allclose(hidden[2], [0.90, 0.17], atol=0.005) and abs(output[2] - 0.76) < 0.005
    assert ((output > 0.5) == XOR_Y.astype(bool)).all()  # all four right
    """
)

md(
    r"""
    All four are right: $(0, 1)$ and $(1, 0)$ give 0.76, $(0, 0)$ gives 0.23 and $(1, 1)$ 0.17.
    (The slide's 1.17 uses the rounded 0.90 and 0.17; unrounded the logit is 1.18, the same
    0.76.) How? Hidden unit 1 is OR, hidden unit 2 needs both inputs (it is **AND**), and the
    output says "OR but not AND". The hidden layer moves the points to new coordinates
    $(h_1, h_2)$ where **one line does separate them** (001, "Feature space transformation").
    """
)

code(
    r"""
    def xor_pictures():
        _, axes = plt.subplots(1, 3, figsize=(8, 2.9))
        best = np.unravel_index(line_accuracy.argmax(), line_accuracy.shape)  # (offset, angle)
        line = nn.Linear(2, 1)
        with cg.no_grad():  # the best line as a steep perceptron
            line.weight.copy_(cg.tensor(20 * normals[best[1]][None].astype(np.float32)))
            line.bias.copy_(cg.tensor([-20 * offsets[best[0]]], dtype=cg.float32))
        plane_map(axes[0], lambda t: line(t).sigmoid(), "best line: 3 of 4 right")
        plane_map(axes[1], notes_net, "the notes' network: 4 of 4")
        axes[2].scatter(*hidden.T, c=XOR_Y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", s=60)
        h1 = np.linspace(0, 1, 50)
        axes[2].plot(h1, (4.5 * h1 - 2.0) / 5.2, "k", lw=1)  # 4.5 h1 - 5.2 h2 - 2 = 0
        axes[2].set(xlim=(0, 1.05), ylim=(-0.05, 1), xlabel="$h_1$ (OR)", ylabel="$h_2$ (AND)",
                    title="the hidden layer's view")
        plt.tight_layout()
        plt.show()


    xor_pictures()
    """
)

md(
    r"""
    In the hidden layer's coordinates (right) $(0, 0)$ sits near the origin, $(1, 1)$ high on
    $h_2$, and the two positive points share one spot at $(0.90, 0.17)$: the output unit's line
    $4.5 h_1 - 5.2 h_2 - 2 = 0$ separates them.

    The slide's weights are one answer among many. Gradient descent finds another from random
    weights: the same 2-2-1 shape, trained with binary cross-entropy.
    """
)

code(
    r"""
    cg.manual_seed(0)
    trained = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))
    opt = optim.Adam(trained.parameters(), lr=0.1)
    for _ in range(1000):
        loss = F.binary_cross_entropy_with_logits(trained(XOR_X), cg.tensor(XOR_Y[:, None]))
        descend(opt, loss)
    learned = trained(XOR_X).sigmoid().numpy().ravel()
    print("trained 2-2-1 network:", learned.round(3), f"loss {loss.item():.4f}")
    assert ((learned > 0.5) == XOR_Y.astype(bool)).all() and loss.item() < 0.05
    """
)

md(
    r"""
    ## 3. Universal approximation

    The notes (002, 001): *a neural network with one hidden layer can approximate any continuous
    function* (Cybenko, 1989), but "whether the suitable parameters can be found easily or how
    many units we need are unanswered". Each tanh unit contributes one smooth step; the output
    layer adds the steps up. A curve with many bumps needs many steps. We fit
    $f(x) = \sin 6x$ on $[-3, 3]$ (about six periods) with 2, 8 and 32 hidden units, the same
    optimizer (Adam) and the same number of steps.
    """
)

code(
    r"""
    xs = np.linspace(-3, 3, 150 if QUICK else 300, dtype=np.float32)[:, None]
    curve = np.sin(6 * xs)
    fits, errors = {}, {}
    for width in (2, 8, 32):
        cg.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))
        opt = optim.Adam(model.parameters(), lr=0.03)
        for _ in range(800 if QUICK else 3000):
            loss = F.mse_loss(model(xs), cg.tensor(curve))
            descend(opt, loss)
        fits[width], errors[width] = model(xs).numpy(), loss.item()
    print({w: round(e, 4) for w, e in errors.items()})
    assert errors[2] > 0.3 and 0.05 < errors[8] < 0.3 and errors[32] < 0.05
    """
)

code(
    r"""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(xs, curve, color="0.75", lw=4, label="$\\sin 6x$")
    for width, colour in zip(fits, ["tab:orange", "tab:green", "tab:blue"]):
        label = f"{width} hidden units (MSE {errors[width]:.3f})"
        ax.plot(xs, fits[width], color=colour, label=label)
    ax.set(xlabel="x", ylabel="f(x)", title="one hidden layer, more units: a closer fit")
    ax.legend(loc="lower left", ncols=2)
    plt.tight_layout()
    plt.show()
    """
)

md(
    r"""
    Two units can draw little more than one S-shaped step (MSE above 0.3, where predicting 0
    everywhere would give 0.5); eight catch part of the wiggles (MSE between 0.05 and 0.3);
    thirty-two follow the curve (MSE below 0.05). The theorem promises that *some* width is
    enough; it says nothing about how many units, or whether gradient descent finds them.
    """
)

md(
    r"""
    ### Shallow or deep?

    The theorem is about one wide hidden layer; the notes (002, 003) add that "deeper networks with
    fewer parameters usually generalise well" and "often outperform shallow ones with the same
    computational power". The same curve, now with a **budget of about 100 parameters**: one hidden
    layer of 33 tanh units (100 parameters), four hidden layers of 5 (106), and, for scale, one
    layer of 100 units (301 parameters). Same optimizer, same steps.
    """
)

code(
    r"""
    import itertools


    def tanh_stack(widths):
        # Linear + Tanh for each hidden layer, a Linear output
        cg.manual_seed(0)
        layers = []
        for n_in, n_out in itertools.pairwise(widths):
            layers += [nn.Linear(n_in, n_out), nn.Tanh()]
        return nn.Sequential(*layers[:-1])


    shapes = {
        "1 × 33 units": [1, 33, 1],
        "4 × 5 units": [1, 5, 5, 5, 5, 1],
        "1 × 100 units": [1, 100, 1],
    }
    budget, depth_fits, depth_errors = {}, {}, {}
    for name, widths in shapes.items():
        model = tanh_stack(widths)
        budget[name] = sum(p.numel() for p in model.parameters())
        opt = optim.Adam(model.parameters(), lr=0.01)
        for _ in range(800 if QUICK else 3000):
            descend(opt, F.mse_loss(model(xs), cg.tensor(curve)))
        depth_fits[name], depth_errors[name] = (
            model(xs).numpy(),
            F.mse_loss(model(xs), cg.tensor(curve)).item(),
        )
    print(budget, {k: round(e, 4) for k, e in depth_errors.items()})
    assert list(budget.values()) == [100, 106, 301]  # the parameter counts quoted above
    """
)

code(
    r"""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(xs, curve, color="0.75", lw=4, label="$\\sin 6x$")
    for name, colour in zip(shapes, ["tab:orange", "tab:blue", "tab:green"]):
        label = f"{name}, {budget[name]} parameters (MSE {depth_errors[name]:.4f})"
        ax.plot(xs, depth_fits[name], color=colour, lw=1.2, label=label)
    ax.set(xlabel="x", ylabel="f(x)", title="about 100 parameters: deep and narrow beats shallow")
    ax.legend(loc="lower left", fontsize=8)
    plt.tight_layout()
    plt.show()
    assert depth_errors["4 × 5 units"] < depth_errors["1 × 33 units"] / 4  # "several times smaller"
    assert depth_errors["4 × 5 units"] < depth_errors["1 × 100 units"]  # even with 3× as many
    """
)

md(
    r"""
    With the same budget the four narrow layers fit the curve several times more closely than the
    one wide layer, and even three times the parameters in one layer do not catch up. Each layer
    bends what the layer before it made, so the number of wiggles a network can draw grows with
    depth much faster than with width. This is a statement about fitting with a fixed budget; the
    notes' stronger claim, that deep networks *generalise* better, is an observation on large data
    sets (images, speech) rather than something a toy curve can show.
    """
)

md(
    r"""
    ## 4. Several classes: one-vs-all, softmax, multilabel

    With $n_c$ classes the notes (001) list the options:

    - **one-vs-all**: $n_c$ binary classifiers, each with a sigmoid, each trained with binary
      cross-entropy on "my class or not". "Classes may overlap, a sample may be in more than one
      or none of the classes";
    - **one classifier with $n_c$ outputs and softmax**, trained with categorical cross-entropy:
      the outputs sum to 1, one class per input, and $\partial L / \partial z_j = \hat y_j - y_j$;
    - **multilabel**: an input may carry several labels at once, so no softmax: "use sigmoid on
      outputs" and binary cross-entropy per label.

    002 sums it up in a table:

    | problem type | last-layer activation | loss |
    |---|---|---|
    | binary classification | sigmoid | binary cross-entropy |
    | multiclass, single-label | softmax | categorical cross-entropy |
    | multiclass, multilabel | sigmoid | binary cross-entropy |
    | regression to arbitrary values | none | MSE |
    | regression to values in [0, 1] | sigmoid | MSE or binary cross-entropy |

    On the 8×8 digits, a linear layer (64 → 10) trained the first two ways; one-vs-all is
    exactly `binary_cross_entropy_with_logits` on one-hot targets, because that loss treats each
    of the 10 outputs as its own binary problem.
    """
)

code(
    r"""
    images, labels = datasets.digits(flatten=True)
    images = images / 16.0
    if QUICK:
        images, labels = images[:900], labels[:900]
    split = datasets.train_test_split(images, labels, test_size=0.3, seed=0, stratify=labels)
    x_tr, x_va, y_tr, y_va = split


    def train_linear(loss_fn, targets, outputs=10, steps=300 if QUICK else 500):
        # full-batch Adam on a 64 -> outputs linear layer
        cg.manual_seed(0)
        layer = nn.Linear(64, outputs)
        opt = optim.Adam(layer.parameters(), lr=0.05)
        for _ in range(steps):
            loss = loss_fn(layer(x_tr), cg.tensor(targets))
            descend(opt, loss)
        return layer
    """
)

code(
    r"""
    one_hot = np.eye(10, dtype=np.float32)[y_tr]
    one_vs_all = train_linear(F.binary_cross_entropy_with_logits, one_hot)
    softmax_head = train_linear(F.cross_entropy, y_tr)
    p_ova = one_vs_all(x_va).sigmoid().numpy()  # ten independent probabilities
    p_soft = softmax_head(x_va).softmax(dim=1).numpy()  # one distribution
    acc_ova, acc_soft = (p_ova.argmax(1) == y_va).mean(), (p_soft.argmax(1) == y_va).mean()
    votes = (p_ova > 0.5).sum(1)
    print(f"validation accuracy: one-vs-all {acc_ova:.3f}, softmax {acc_soft:.3f}")
    print(f"one-vs-all: no class above 0.5 for {(votes == 0).mean():.1%} of the digits, "
          f"several for {(votes > 1).mean():.1%}")
    assert acc_ova > 0.85 and acc_soft > 0.85 and (votes == 0).mean() > 0.02
    assert np.allclose(p_soft.sum(1), 1, atol=1e-5)
    """
)

md(
    r"""
    **One-vs-one** (001) trains a binary classifier for every **pair** of classes, each on the
    examples of its two classes only: $n_c(n_c - 1)/2 = 45$ classifiers for the 10 digits. To
    classify, every classifier votes for one of its two classes and the class with the most votes
    wins (at most $n_c - 1 = 9$). We train all 45 at once as one `Linear(64, 45)`: output $k$ is the
    classifier of pair $(i, j)$, its target is 1 for digit $i$ and 0 for digit $j$, and a mask drops
    its loss on every other digit.
    """
)

code(
    r"""
    pairs = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    first, second = np.array(pairs).T
    pair_target = (y_tr[:, None] == first).astype(np.float32)  # 1: class i, 0: class j
    mine = ((y_tr[:, None] == first) | (y_tr[:, None] == second)).astype(np.float32)


    def masked_bce(z, target):
        # each classifier's binary cross-entropy on the examples of its own two classes only
        per_example = F.binary_cross_entropy_with_logits(z, target, reduction="none")
        return (per_example * cg.tensor(mine)).sum() / mine.sum()


    one_vs_one = train_linear(masked_bce, pair_target, outputs=len(pairs))
    winners = np.where(one_vs_one(x_va).numpy() > 0, first, second)  # each classifier's vote
    votes_ovo = np.stack([(winners == c).sum(1) for c in range(10)], axis=1)
    acc_ovo = (votes_ovo.argmax(1) == y_va).mean()
    print(f"{len(pairs)} classifiers; one-vs-one {acc_ovo:.3f}, one-vs-all {acc_ova:.3f}")
    assert len(pairs) == 10 * 9 // 2 and votes_ovo.max() <= 9
    assert abs(acc_ovo - acc_ova) < 0.05  # "performs about the same as one-vs-all"
    """
)

code(
    r"""
    _, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 2.8), width_ratios=[3, 2])
    example = 0
    ax1.bar(range(10), votes_ovo[example], color="tab:purple")
    ax1.set(xticks=range(10), xlabel="class", ylabel="votes (of 45)", ylim=(0, 9.5))
    ax1.set_title(f"one-vs-one votes for a {y_va[example]}")
    schemes = {"one-vs-all\n10 sigmoids": acc_ova, "one-vs-one\n45 pairs": acc_ovo}
    schemes["softmax\n1 × 10 outputs"] = acc_soft
    ax2.bar(list(schemes), list(schemes.values()), color=["tab:blue", "tab:purple", "tab:green"])
    ax2.set(ylim=(0.8, 1), ylabel="validation accuracy", title="three ways to n_c classes")
    plt.tight_layout()
    plt.show()
    """
)

md(
    r"""
    The winner collects all 9 of its votes; the three schemes land within a few points of each
    other, as the notes say. But one-vs-one needs 45 classifiers for 10 classes and would need
    4,950 for 100: it "scales poorly", which is why a network uses one softmax output instead.
    """
)

md(
    r"""
    Both reach about the same accuracy (above 85% here, taking the largest output as the
    answer), but the one-vs-all outputs are ten separate opinions: for several percent of the
    validation digits *no* classifier says "mine" with more than 0.5, and for a few two of them
    do. Softmax outputs always sum to 1.

    A **multilabel** problem on the same images: three yes/no labels per digit, *even*,
    *at least 5* and *has a closed loop* (0, 6, 8, 9). An 8 has all three, a 1 none of them:
    softmax, which must put probability 1 somewhere, cannot say either. Three sigmoid outputs
    with binary cross-entropy per label can.
    """
)

code(
    r"""
    def tags(y):
        return np.stack([y % 2 == 0, y >= 5, np.isin(y, [0, 6, 8, 9])], 1).astype(np.float32)


    TAGS = ["even", "≥ 5", "loop"]
    multilabel = train_linear(F.binary_cross_entropy_with_logits, tags(y_tr), outputs=3)
    p_multi = multilabel(x_va).sigmoid().numpy()
    tag_accuracy = ((p_multi > 0.5) == tags(y_va).astype(bool)).mean(0)
    print("multilabel accuracy per label:", dict(zip(TAGS, tag_accuracy.round(3).tolist())))
    print("labels per validation digit:", np.bincount(tags(y_va).sum(1).astype(int), minlength=4))
    assert (tag_accuracy > 0.8).all()
    """
)

code(
    r"""
    def three_heads(i):
        _, axes = plt.subplots(1, 3, figsize=(8, 2.6), width_ratios=[10, 10, 4])
        for ax, p, title in [(axes[0], p_ova[i], "one-vs-all (sigmoids)"),
                             (axes[1], p_soft[i], "softmax")]:
            ax.bar(range(10), p, color="tab:blue")
            ax.set(xticks=range(10), ylim=(0, 1), xlabel="class")
            ax.set_title(f"{title}: sum {p.sum():.2f}")
        axes[2].bar(TAGS, p_multi[i], color="tab:green")
        axes[2].set(ylim=(0, 1), title="multilabel")
        axes[0].set_ylabel(f"outputs for a {y_va[i]}")
        plt.tight_layout()
        plt.show()


    unsure = int(np.flatnonzero(votes == 0)[0])  # a digit no one-vs-all classifier claims
    three_heads(unsure)
    """
)

md(
    r"""
    For this digit the ten one-vs-all probabilities do not add up to 1 and none passes 0.5;
    softmax spreads exactly 1 over the classes; the multilabel head answers three independent
    questions.

    ## 5. MSE or cross-entropy for a classifier?

    Take one sigmoid output $\hat y = \sigma(z)$ with target $y \in \{0, 1\}$. With the squared
    error $L = \tfrac12 (\hat y - y)^2$ (003 writes MSE with the $\tfrac12$) the chain rule gives

    $$\frac{\partial L}{\partial z} = (\hat y - y)\,\sigma'(z)
    = (\hat y - y)\,\hat y\,(1 - \hat y),$$

    and with binary cross-entropy $L = -y \log \hat y - (1 - y)\log(1 - \hat y)$ the factor
    $\hat y (1 - \hat y)$ cancels:

    $$\frac{\partial L}{\partial z} = \hat y - y.$$

    When the unit is **confidently wrong** (target 1, $z = -6$, $\hat y = 0.0025$), the MSE
    gradient is multiplied by $\sigma'(-6) \approx 0.0025$: it almost vanishes, exactly where the
    model most needs to change. Cross-entropy's gradient is then close to $-1$. That is 003's
    "MSE leads to poor results when used with saturating output units". We let autograd compute
    both gradients over a range of logits.
    """
)

code(
    r"""
    logits = cg.tensor(np.linspace(-8, 8, 161), requires_grad=True)  # float64
    target = cg.ones(161, dtype=cg.float64)
    curves = {}
    for name in ("MSE", "cross-entropy"):
        logits.grad = None
        if name == "MSE":
            losses = 0.5 * (logits.sigmoid() - target) ** 2
        else:
            losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        losses.sum().backward()  # each loss depends on its own logit only
        curves[name] = (losses.detach().numpy(), logits.grad.numpy().copy())
    at = 20  # z = -6
    print(f"z = {logits[at].item():.0f}: dL/dz MSE {curves['MSE'][1][at]:.4f}, "
          f"cross-entropy {curves['cross-entropy'][1][at]:.4f}")
    assert abs(curves["MSE"][1][at] + 0.0025) < 1e-4
    assert abs(curves["cross-entropy"][1][at] + 0.9975) < 1e-4
    """
)

code(
    r"""
    def loss_pictures():
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8))
        z = logits.detach().numpy()
        for name, (loss_values, grads) in curves.items():
            axes[0].plot(z, loss_values, label=name)
            axes[1].plot(z, grads, label=name)
        axes[0].set(xlabel="logit z (target y = 1)", ylabel="loss", title="the losses")
        axes[1].set(xlabel="logit z (target y = 1)", ylabel="dL/dz", title="their gradients")
        axes[1].axvspan(-8, -4, color="0.9")  # confidently wrong
        for ax in axes:
            ax.legend()
        plt.tight_layout()
        plt.show()


    loss_pictures()
    """
)

md(
    r"""
    In the grey band (confidently wrong) the MSE loss is flat at its ceiling of $\tfrac12$ and
    its gradient is nearly 0; cross-entropy keeps growing and its gradient stays near $-1$. The
    consequence for training: one logit, started at $z = -6$ with target 1, 20 steps of gradient
    descent with learning rate 1.
    """
)

code(
    r"""
    paths = {}
    for name in ("MSE", "cross-entropy"):
        z = cg.tensor([-6.0], requires_grad=True)
        opt = optim.SGD([z], lr=1.0)
        paths[name] = [z.item()]
        for _ in range(20):
            if name == "MSE":
                loss = (0.5 * (z.sigmoid() - 1.0) ** 2).sum()
            else:
                loss = F.binary_cross_entropy_with_logits(z, cg.ones(1))
            descend(opt, loss)
            paths[name].append(z.item())
    print({name: round(p[-1], 2) for name, p in paths.items()})
    assert paths["MSE"][-1] < -5.9 and paths["cross-entropy"][-1] > 2
    """
)

md(
    r"""
    After 20 steps cross-entropy has moved the logit past 2 (the unit now says "1" with
    $\hat y > 0.88$); MSE has moved it by less than 0.1, still at $z \approx -5.95$. Saturated
    sigmoid + squared error learns slowest exactly when it is most wrong.

    ## 6. Symmetry breaking: why weights start random

    001: "Initialize with 0 or constants breaks the back propagation ... Gaussian random: breaks
    symmetry (not all initialized to same value)"; 003: "Zero initialization: not effective.
    Random initialization: breaks symmetry." Two hidden units with the same incoming weights
    compute the same value, receive the same gradient and get the same update, so they stay
    equal forever: the layer behaves like **one** unit however wide it is. With all weights 0
    it is worse: every hidden activation is $\tanh(0) = 0$ and every gradient reaching the first
    layer is multiplied by an outgoing weight 0, so nothing but the output bias ever moves.

    A 2-8-1 tanh network on the two moons, three ways: all parameters 0, all parameters 0.5,
    and chaingrad's default random initialisation; the same data, optimizer and steps.
    """
)

code(
    r"""
    moons_x, moons_y = datasets.moons(200, noise=0.15, seed=0)
    moons_t = cg.tensor(moons_y[:, None].astype(np.float32))
    inits = {}
    for init in ("all 0", "all 0.5", "random"):
        cg.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        if init != "random":
            with cg.no_grad():
                for p in net.parameters():
                    p.fill_(0.0 if init == "all 0" else 0.5)
        opt = optim.SGD(net.parameters(), lr=0.5)
        for _ in range(300 if QUICK else 500):
            loss = F.binary_cross_entropy_with_logits(net(moons_x), moons_t)
            descend(opt, loss)
        accuracy = ((net(moons_x).numpy().ravel() > 0) == moons_y).mean()
        inits[init] = (np.hstack([net[0].weight.numpy(), net[0].bias.numpy()[:, None]]), accuracy)
    for init, (w, acc) in inits.items():
        spread = np.ptp(w, axis=0).max()
        print(f"{init:>8}: accuracy {acc:.3f}, spread of the 8 units' weights {spread:.3g}")
    """
)

code(
    r"""
    assert np.abs(inits["all 0"][0]).max() == 0  # nothing reached the first layer
    assert np.ptp(inits["all 0.5"][0], axis=0).max() < 1e-6  # eight identical units
    assert np.ptp(inits["random"][0], axis=0).max() > 0.5
    assert inits["random"][1] > inits["all 0.5"][1] > inits["all 0"][1] - 1e-9
    assert inits["all 0"][1] == 0.5 and inits["random"][1] > 0.9
    """
)

code(
    r"""
    def unit_weights():
        _, axes = plt.subplots(1, 3, figsize=(8, 3))
        for ax, (init, (w, acc)) in zip(axes, inits.items()):
            ax.imshow(w, cmap="RdBu_r", vmin=-3, vmax=3)
            for (i, j), v in np.ndenumerate(w):
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7)
            ax.set(xticks=[0, 1, 2], xticklabels=["$w_1$", "$w_2$", "$w_0$"], yticks=range(8),
                   ylabel="hidden unit", title=f"{init}: accuracy {acc:.2f}")
        plt.tight_layout()
        plt.show()


    unit_weights()
    """
)

md(
    r"""
    Each panel shows the first layer after training, one row per hidden unit (its two weights
    and its bias). Started at 0, every weight is still exactly 0 and the network predicts one
    class for every point (accuracy 0.5). Started at 0.5, the weights did move, but all eight
    rows are the same: one unit's worth of decision boundary. Random initialisation gives eight
    different units and a network that fits the moons (accuracy above 0.9). Biases may start
    at 0 (001: "symmetry breaking done in initializing the weight parameters"), as long as the
    weights are random.

    ## Exercises

    Each exercise has a stub that raises `NotImplementedError` and a check cell under it:
    `check` prints "not written yet" until you fill the stub in, then ✓ or the first element
    that is wrong. Worked solutions are in `notebooks/solutions/` under the same file name.

    **1. The perceptron's forward pass.** Write `perceptron(x, w, w0)` for a batch `x` of shape
    $(n, m)$, weights `w` of shape $(m,)$ and a bias `w0`, returning $\sigma(w_0 + x w)$ of shape
    $(n,)$ with NumPy only.
    """
)

code(
    r"""
    def perceptron(x, w, w0):
        # sigmoid(w0 + sum_j x_j w_j) for every row of x
        raise NotImplementedError
    """,
    solution=r"""
    def perceptron(x, w, w0):
        # sigmoid(w0 + sum_j x_j w_j) for every row of x
        z = w0 + np.asarray(x) @ np.asarray(w)
        return 1.0 / (1.0 + np.exp(-z))
    """,
)

code(
    r"""
    rng = np.random.default_rng(8)
    batch, weights = rng.normal(size=(5, 3)), rng.normal(size=3)
    notes_unit = (np.array([[1.0, 0.0]]), np.array([3.7, 3.7]), -1.5)
    check("the notes' hidden unit", lambda: perceptron(*notes_unit), [0.900249], atol=1e-5)
    bias = cg.tensor([0.3], dtype=cg.float64)
    reference = F.linear(cg.tensor(batch), cg.tensor(weights[None]), bias).sigmoid()
    check("a random batch", lambda: perceptron(batch, weights, 0.3), reference.numpy().ravel())
    """
)

md(
    r"""
    **2. XOR weights by hand.** The notes' weights get XOR right, but only just (0.76 and 0.23).
    Choose weights for the same 2-2-1 sigmoid network so that every output is within 0.1 of its
    target. Hint: make hidden unit 1 a sharp OR, hidden unit 2 a sharp AND, and the output
    "OR and not AND"; a large weight makes a sigmoid step sharp.
    """
)

code(
    r"""
    def xor_weights():
        # return w1 (2, 2), b1 (2,), w2 (1, 2), b2 (1,) as NumPy arrays, in nn.Linear's layout
        raise NotImplementedError


    def xor_forward(w1, b1, w2, b2):
        h = 1 / (1 + np.exp(-(XOR_X @ np.asarray(w1).T + b1)))
        return (1 / (1 + np.exp(-(h @ np.asarray(w2).T + b2)))).ravel()
    """,
    solution=r"""
    def xor_weights():
        # return w1 (2, 2), b1 (2,), w2 (1, 2), b2 (1,) as NumPy arrays, in nn.Linear's layout
        w1 = np.array([[20.0, 20.0], [20.0, 20.0]])
        b1 = np.array([-10.0, -30.0])  # OR fires above 0.5 inputs on, AND above 1.5
        w2 = np.array([[20.0, -20.0]])
        b2 = np.array([-10.0])  # OR and not AND
        return w1, b1, w2, b2


    def xor_forward(w1, b1, w2, b2):
        h = 1 / (1 + np.exp(-(XOR_X @ np.asarray(w1).T + b1)))
        return (1 / (1 + np.exp(-(h @ np.asarray(w2).T + b2)))).ravel()
    """,
)

code(
    r"""
    def xor_errors():
        return np.abs(xor_forward(*xor_weights()) - XOR_Y)


    check("XOR within 0.1 of every target", lambda: xor_errors() < 0.1, [True] * 4)
    """
)

md(
    r"""
    **3. The gradient with respect to the logit.** Write `logit_grads(z, y)` returning the pair
    $\big(\partial L_{MSE}/\partial z,\ \partial L_{BCE}/\partial z\big)$ for
    $L_{MSE} = \tfrac12(\sigma(z) - y)^2$ and binary cross-entropy on $\hat y = \sigma(z)$,
    elementwise for arrays `z` and `y`, from the formulas of section 5 (no autograd). The check
    compares with chaingrad's autograd.
    """
)

code(
    r"""
    def logit_grads(z, y):
        # (dL_mse/dz, dL_bce/dz) for y_hat = sigmoid(z)
        raise NotImplementedError
    """,
    solution=r"""
    def logit_grads(z, y):
        # (dL_mse/dz, dL_bce/dz) for y_hat = sigmoid(z)
        y_hat = 1 / (1 + np.exp(-np.asarray(z)))
        return (y_hat - y) * y_hat * (1 - y_hat), y_hat - y
    """,
)

code(
    r"""
    z_values = np.array([-6.0, -1.0, 0.0, 2.0, 5.0])
    y_values = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    auto = {}
    for name in ("MSE", "BCE"):
        z = cg.tensor(z_values, requires_grad=True)
        if name == "MSE":
            loss = (0.5 * (z.sigmoid() - cg.tensor(y_values)) ** 2).sum()
        else:
            loss = F.binary_cross_entropy_with_logits(z, cg.tensor(y_values), reduction="sum")
        loss.backward()
        auto[name] = z.grad.numpy()
    check("dL/dz for MSE", lambda: logit_grads(z_values, y_values)[0], auto["MSE"])
    check("dL/dz for cross-entropy", lambda: logit_grads(z_values, y_values)[1], auto["BCE"])
    """
)

md(
    r"""
    **4. (Open) Symmetry with a little noise.** Start the 2-8-1 network of section 6 at 0.5
    everywhere plus Gaussian noise of standard deviation $10^{-3}$. Do the units separate during
    training? Plot the spread of the first layer's rows over the steps.
    """
)


if __name__ == "__main__":
    build(CELLS, MAIN)
