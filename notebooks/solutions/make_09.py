"""Build notebooks/09_optimisation_landscapes.ipynb from one list of cells.

Each exercise cell is written with its stub (it raises ``NotImplementedError``) and its worked
answer; the solution notebook is kept in step by ``sync.py``. Run from anywhere:

    python notebooks/solutions/make_09.py            # write the notebook, unexecuted
    python notebooks/solutions/make_09.py --execute  # ... and run it in full mode (outputs kept)
"""

from __future__ import annotations

from pathlib import Path

from builder import Cells, build

NAME = "09_optimisation_landscapes.ipynb"
HERE = Path(__file__).resolve().parent
MAIN = HERE.parent / NAME

CELLS = Cells()
md, code = CELLS.md, CELLS.code


md(
    r"""
    # 09 · Optimisation landscapes: saddles, moving averages, augmentation

    Three topics of the notes' optimisation and regularisation chapters that notebook 04 leaves
    out:

    1. **saddle points** (001, "Optima" and the problems of gradient descent): the gradient is 0
       there too; plain gradient descent started near one stalls, momentum escapes;
    2. **exponentially weighted averages** and **bias correction** (001, "Exponentially weighted
       averages"), the running averages inside momentum, RMSprop and Adam;
    3. **data augmentation** on the 8×8 digits (001, 002, 003 "Data Augmentation"): shifts,
       rotations, noise and flips, and what training with shifted copies buys.

    Notation as in the notes: $J$ the cost, $w$ a parameter, $\alpha$ the learning rate,
    $\beta$ the weight of the past in a moving average, $v_t$ the average after $t$ steps.
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
    from chaingrad.nn.data import RandomCrop, RandomHorizontalFlip, RandomRotation
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
    ## 1. Saddle points

    001: a **saddle** is "concave in some variables, convex in others", and "gradients at optima
    and saddle are 0". Gradient descent near one: "saddle points are unstable but simply no
    gradient info: gradient descent will stop updating parameters"; the remedy, momentum: "at
    saddle points, gradient is 0, but historical component (momentum) won't be".

    Our landscape is $J(x, y) = x^2 - y^2 + \tfrac12 y^4$: a saddle at the origin (a minimum
    along $x$, a maximum along $y$) and the quartic term bounds it, so there are two minima at
    $(0, \pm 1)$ with $J = -\tfrac12$. We start at $(1, 10^{-4})$, almost exactly on the ridge
    line $y = 0$, and take 60 steps with learning rate 0.05: plain SGD, then SGD with momentum
    $\beta = 0.9$ (chaingrad's `optim.SGD(momentum=0.9)`, PyTorch's rule and 001's pseudo-code:
    $v \leftarrow \beta v + \nabla J$, $w \leftarrow w - \alpha v$).
    """
)

code(
    r"""
    def saddle(p):
        return p[0] ** 2 - p[1] ** 2 + 0.5 * p[1] ** 4


    def descend_saddle(momentum, steps=60):
        p = cg.tensor([1.0, 1e-4], dtype=cg.float64, requires_grad=True)
        opt = optim.SGD([p], lr=0.05, momentum=momentum)
        path, costs = [p.detach().numpy().copy()], []
        for _ in range(steps):
            loss = saddle(p)
            costs.append(loss.item())
            descend(opt, loss)
            path.append(p.detach().numpy().copy())
        return np.array(path), np.array(costs)


    runs = {"SGD": descend_saddle(0.0), "momentum 0.9": descend_saddle(0.9)}
    for name, (path, costs) in runs.items():
        print(f"{name:>12}: after 60 steps (x, y) = {path[-1].round(3)}, J = {costs[-1]:.3f}")
    assert abs(runs["SGD"][1][-1]) < 0.01 and abs(runs["SGD"][0][-1, 1]) < 0.05
    assert runs["momentum 0.9"][1][-1] < -0.4
    """
)

code(
    r"""
    def saddle_pictures():
        _, axes = plt.subplots(1, 2, figsize=(8, 3.2))
        gx, gy = np.meshgrid(np.linspace(-1.2, 1.2, 121), np.linspace(-1.4, 1.4, 141))
        axes[0].contour(gx, gy, saddle([gx, gy]), levels=12, cmap="Greys", linewidths=0.6)
        for name, (path, costs) in runs.items():
            axes[0].plot(*path.T, ".-", ms=3, label=name)
            axes[1].plot(costs, label=name)
        axes[0].plot(0, 0, "k+", ms=10)
        axes[0].set(xlabel="x", ylabel="y", title="paths from (1, 0.0001); + is the saddle")
        axes[1].axhline(-0.5, color="0.6", ls="--", lw=1)
        axes[1].set(xlabel="step", ylabel="J", title="cost over the steps (dashed: the minimum)")
        for ax in axes:
            ax.legend()
        plt.tight_layout()
        plt.show()


    saddle_pictures()
    """
)

md(
    r"""
    Plain SGD slides down the $x$ direction straight into the saddle and sits there: after 60
    steps $J$ is within 0.01 of 0 and $y$ has only grown from $10^{-4}$ to a few hundredths
    (near the saddle the $y$-gradient is $-2y$, so each step multiplies $y$ by just $1.1$).
    Momentum overshoots the saddle along $x$, and its velocity compounds the small $y$-gradient
    step after step: it leaves the ridge and ends near the minimum $(0, 1)$, with $J$ below
    $-0.4$. In many dimensions a point where the gradient vanishes is far more often a saddle
    than a local minimum, which is one reason why momentum matters.

    ## 2. Exponentially weighted averages and bias correction

    001: "a moving average that smooths out short-term fluctuations and highlights longer-term
    trends":

    $$v_t = \beta\, v_{t-1} + (1 - \beta)\, \theta_t, \qquad v_0 = 0,$$

    "approximately $v_t$ is the average value over $\frac{1}{1-\beta}$ data points" (10 points for
    $\beta = 0.9$, 50 for $\beta = 0.98$). Unrolled, $v_t = (1-\beta)\sum_{k=1}^{t}
    \beta^{t-k}\theta_k$: the weights decay geometrically into the past and add up to
    $1 - \beta^t$, not to 1. Early on ($t$ small) that sum is far below 1 and $v_t$ is biased
    towards the starting value 0; the notes' **bias correction** divides it out:
    $v_t^{corrected} = v_t / (1 - \beta^t)$.

    A year of noisy daily temperatures (made up: a seasonal curve around 15° plus noise):
    """
)

code(
    r"""
    days = np.arange(1, 366)
    rng = np.random.default_rng(0)
    temperature = 15 - 8 * np.cos(2 * np.pi * (days - 20) / 365) + rng.normal(0, 3, days.size)


    def moving_average(theta, beta, correct=False):
        v, out = 0.0, []
        for t, theta_t in enumerate(theta, start=1):
            v = beta * v + (1 - beta) * theta_t
            out.append(v / (1 - beta**t) if correct else v)
        return np.array(out)


    pairs = [(b, c) for b in (0.9, 0.98) for c in (False, True)]
    smooth = {(b, c): moving_average(temperature, b, c) for b, c in pairs}
    ratio = smooth[0.98, False][9] / smooth[0.98, True][9]
    v_1 = smooth[0.98, False][0]
    print(f"day 1: theta = {temperature[0]:.2f}, v_1 = {v_1:.3f} (= 0.02 theta)")
    print(f"day 10 with beta = 0.98: biased / corrected = {ratio:.3f} = 1 - 0.98**10")
    assert abs(smooth[0.98, False][0] - 0.02 * temperature[0]) < 1e-12
    assert abs(ratio - (1 - 0.98**10)) < 1e-12 and abs(ratio - 0.183) < 0.001
    """
)

code(
    r"""
    def average_pictures():
        _, axes = plt.subplots(1, 2, figsize=(8, 3))
        axes[0].plot(days, temperature, ".", ms=2, color="0.6", label="daily data")
        for beta, colour in [(0.9, "tab:blue"), (0.98, "tab:red")]:
            axes[0].plot(days, smooth[beta, True], color=colour, label=f"β = {beta}")
        axes[0].set(xlabel="day t", ylabel="°C", title="EWMA (bias-corrected): smoothing and lag")
        early = days <= 60
        axes[1].plot(days[early], temperature[early], ".", ms=3, color="0.6", label="daily data")
        for correct, style in [(False, "--"), (True, "-")]:
            label = "β = 0.98, " + ("corrected" if correct else "biased")
            axes[1].plot(days[early], smooth[0.98, correct][early], "r" + style, label=label)
        axes[1].set(xlabel="day t", title="the first 60 days: the bias towards 0")
        for ax in axes:
            ax.legend()
        plt.tight_layout()
        plt.show()


    average_pictures()
    """
)

md(
    r"""
    Left: $\beta = 0.9$ averages over about 10 days and follows the data closely but noisily;
    $\beta = 0.98$ averages over about 50, is smoother, and lags behind the seasons (its curve
    is shifted to the right). Right: without correction $v_1 = 0.02\,\theta_1$ and on day 10
    the average is still only $1 - 0.98^{10} = 18.3\%$ of the corrected one: the curve crawls up
    from 0 for weeks. The corrected curve starts at the data. After about $3/(1-\beta)$ steps
    $\beta^t$ is negligible and the two agree.

    Adam keeps two such averages, of the gradient ($\beta_1 = 0.9$) and of its square
    ($\beta_2 = 0.999$), and corrects both (001's pseudo-code). The notes' warning, "biases will
    make large updates at the start", in numbers: on the first step the corrected averages are
    $g$ and $g^2$, so Adam moves each parameter by exactly $\alpha$ whatever the gradient's size.
    Uncorrected, the step would be $\alpha\,(1-\beta_1)/\sqrt{1-\beta_2} = 3.16\,\alpha$.
    """
)

code(
    r"""
    w = cg.tensor([0.0, 0.0], dtype=cg.float64, requires_grad=True)
    adam = optim.Adam([w], lr=0.01)
    descend(adam, (w * cg.tensor([5.0, -0.001], dtype=cg.float64)).sum())  # gradients 5, -0.001
    print("Adam's first step:", w.detach().numpy(), "uncorrected factor", 0.1 / np.sqrt(0.001))
    assert np.allclose(w.detach().numpy(), [-0.01, 0.01], rtol=1e-4)
    assert abs(0.1 / np.sqrt(0.001) - 3.16) < 0.005
    """
)

md(
    r"""
    ## 3. Data augmentation

    001: "generate new training data from existing training data ... for images: mirror,
    rotate, blur, saturation, cropping"; 003: "data is limited; another way to increase the
    dataset size is augmentation ... translation, flips, random cropping, rotating". chaingrad
    ships `RandomCrop` (with `padding=1`: zero-pad by one pixel and cut an 8×8 window, a random
    shift of up to one pixel), `RandomRotation` and `RandomHorizontalFlip`, all on NCHW batches;
    noise is one line of NumPy. Each row below applies one of them to the same eight digits.
    """
)

code(
    r"""
    images, labels = datasets.digits()
    images = images / 16.0  # (1797, 1, 8, 8) in [0, 1]
    sample = images[:8]
    noise = np.random.default_rng(1).normal(0, 0.15, sample.shape).astype(np.float32)
    augmented = {
        "original": sample,
        "shift ≤ 1 px": RandomCrop(8, padding=1, seed=0)(sample),
        "rotate ≤ 15°": RandomRotation(15, seed=0)(sample),
        "noise σ = 0.15": np.clip(sample + noise, 0, 1),
        "mirror": RandomHorizontalFlip(p=1.0)(sample),
    }
    """
)

code(
    r"""
    def augmentation_grid():
        fig, axes = plt.subplots(len(augmented), 8, figsize=(6, 4))
        for row, (name, batch) in zip(axes, augmented.items()):
            for ax, image in zip(row, batch):
                ax.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
                ax.set(xticks=[], yticks=[])
            row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        fig.suptitle("one augmentation per row", fontsize=9)
        plt.tight_layout()
        plt.show()


    augmentation_grid()
    """
)

md(
    r"""
    Shifts, small rotations and noise keep each digit what it is. The mirror does not: a
    mirrored 2, 3 or 7 is not a digit at all, so for digits the notes' "mirror" is a transform
    that changes the label, not an augmentation. (For photos of cats it is fine.) An
    augmentation encodes an invariance you expect of the data.

    Does it help? A small MLP (64 → 64 → 10) trained on a **small subset** of the training
    images (20 per class; 10 in quick mode), once on the images as they are and once on a fresh
    random shift of them at every step. We measure validation accuracy on the held-out digits as
    they are, and on the same digits shifted by up to one pixel (the kind of variation a
    different scanner or a careless writer would bring).
    """
)

code(
    r"""
    x_tr, x_va, y_tr, y_va = datasets.train_test_split(
        images, labels, test_size=0.5, seed=0, stratify=labels
    )
    per_class = 10 if QUICK else 20
    few = np.concatenate([np.flatnonzero(y_tr == k)[:per_class] for k in range(10)])
    x_few, y_few = x_tr[few], cg.tensor(y_tr[few])
    x_va_shifted = RandomCrop(8, padding=1, seed=1)(x_va)


    def accuracy(model, x):
        with cg.no_grad():
            return float((model(x).numpy().argmax(1) == y_va).mean())
    """
)

code(
    r"""
    results = {}
    shifts = RandomCrop(8, padding=1, seed=0)
    for name, augment in [("no augmentation", None), ("random shifts", shifts)]:
        cg.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        opt = optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(300):
            batch = x_few if augment is None else augment(x_few)
            descend(opt, F.cross_entropy(model(batch), y_few))
        results[name] = (accuracy(model, x_va), accuracy(model, x_va_shifted))
        centred, moved = results[name]
        print(f"{name:>16}: validation {centred:.3f}, shifted validation {moved:.3f}")
    plain, shifted = results["no augmentation"], results["random shifts"]
    assert plain[0] > 0.8 and shifted[0] > 0.75 and plain[0] - shifted[0] < 0.1
    assert plain[1] < 0.5 and shifted[1] > plain[1] + 0.25
    """
)

code(
    r"""
    def augmentation_bars():
        _, ax = plt.subplots(figsize=(5, 2.8))
        for i, (name, accs) in enumerate(results.items()):
            ax.bar(np.arange(2) + 0.38 * i, accs, width=0.36, label=name)
        ax.set(xticks=[0.19, 1.19], xticklabels=["validation", "validation, shifted ≤ 1 px"])
        ax.set(ylim=(0, 1), ylabel="accuracy", title=f"MLP trained on {len(few)} digits")
        ax.legend(loc="lower left")
        plt.tight_layout()
        plt.show()


    augmentation_bars()
    """
)

md(
    r"""
    On the validation digits as they come (centred by the data set's preprocessing, like the
    training images) the model trained without augmentation is a little better (above 0.8,
    against above 0.75 with shifts; the gap stays under 0.1). Shift the validation digits by a
    pixel and it collapses below 0.5: an MLP has one weight per pixel and has never seen a digit
    one pixel off. The model trained on shifted copies keeps most of its accuracy (at least 0.25
    more). Augmentation does not make data from nothing: it teaches the invariances we put into
    it, and it pays off when the data the model will meet varies that way. (A CNN builds part of
    the shift invariance into its architecture instead; notebook 05.)

    ## Exercises

    Each exercise has a stub that raises `NotImplementedError` and a check cell under it:
    `check` prints "not written yet" until you fill the stub in, then ✓ or the first element
    that is wrong. Worked solutions are in `notebooks/solutions/` under the same file name.

    **1. The weights of an EWMA.** Write `ewma_weights(t, beta, correct)`: the length-$t$ array
    whose entry $k-1$ is the weight of $\theta_k$ in $v_t$, i.e. $(1-\beta)\beta^{t-k}$, divided
    by $1 - \beta^t$ when `correct` is true. Then `ewma_weights(t, beta, c) @ theta[:t]` is
    $v_t$; the check compares with section 2's loop.
    """
)

code(
    r"""
    def ewma_weights(t, beta, correct=False):
        # weight of theta_1 ... theta_t in v_t
        raise NotImplementedError
    """,
    solution=r"""
    def ewma_weights(t, beta, correct=False):
        # weight of theta_1 ... theta_t in v_t
        k = np.arange(1, t + 1)
        weights = (1 - beta) * beta ** (t - k)
        return weights / (1 - beta**t) if correct else weights
    """,
)

code(
    r"""
    check(
        "v_10 with beta = 0.98, biased",
        lambda: ewma_weights(10, 0.98) @ temperature[:10],
        smooth[0.98, False][9],
    )
    check(
        "v_30 with beta = 0.9, corrected",
        lambda: ewma_weights(30, 0.9, correct=True) @ temperature[:30],
        smooth[0.9, True][29],
    )
    check("corrected weights sum to 1", lambda: ewma_weights(5, 0.98, True).sum(), 1.0)
    """
)

md(
    r"""
    **2. One momentum update.** Write `momentum_step(w, v, g, lr, beta)` returning the new
    `(w, v)` after one step of SGD with momentum in 001's (and PyTorch's) form
    $v \leftarrow \beta v + g$, $w \leftarrow w - \alpha v$, on NumPy arrays. The check runs
    three steps against `optim.SGD(momentum=beta)` on $J(w) = \sum_i c_i w_i^2$.
    """
)

code(
    r"""
    def momentum_step(w, v, g, lr, beta):
        # returns (new w, new v)
        raise NotImplementedError
    """,
    solution=r"""
    def momentum_step(w, v, g, lr, beta):
        # returns (new w, new v)
        v = beta * v + g
        return w - lr * v, v
    """,
)

code(
    r"""
    c, w0 = np.array([1.0, 10.0, -2.0]), np.array([1.0, -0.5, 2.0])
    w_ref = cg.tensor(w0.copy(), requires_grad=True)
    sgd = optim.SGD([w_ref], lr=0.05, momentum=0.9)
    for _ in range(3):
        descend(sgd, (cg.tensor(c) * w_ref**2).sum())


    def three_steps():
        w, v = w0.copy(), np.zeros(3)
        for _ in range(3):
            w, v = momentum_step(w, v, 2 * c * w, 0.05, 0.9)
        return w


    check("three momentum steps", three_steps, w_ref.detach().numpy())
    """
)

md(
    r"""
    **3. An augmentation by hand.** Write `shift(images, dy, dx)` that moves every image of an
    NCHW batch `dy` pixels down and `dx` pixels right (negative: up, left), filling the pixels
    that come in with 0 (no wrap-around, unlike `np.roll`). Shifts of at most the image size.
    """
)

code(
    r"""
    def shift(images, dy, dx):
        # out[..., i, j] = images[..., i - dy, j - dx], 0 where that is outside the image
        raise NotImplementedError
    """,
    solution=r"""
    def shift(images, dy, dx):
        # out[..., i, j] = images[..., i - dy, j - dx], 0 where that is outside the image
        h, w = images.shape[-2:]
        padded = np.pad(images, ((0, 0), (0, 0), (h, h), (w, w)))
        return padded[..., h - dy : 2 * h - dy, w - dx : 2 * w - dx]
    """,
)

code(
    r"""
    probe = images[:3]
    down_right = np.zeros_like(probe)
    down_right[..., 1:, 2:] = probe[..., :-1, :-2]
    up_left = np.zeros_like(probe)
    up_left[..., :-3, :-1] = probe[..., 3:, 1:]
    check("shift down 1, right 2", lambda: shift(probe, 1, 2), down_right)
    check("shift up 3, left 1", lambda: shift(probe, -3, -1), up_left)
    check("no shift", lambda: shift(probe, 0, 0), probe)
    """
)

md(
    r"""
    **4. (Open) Nesterov and Adam at the saddle.** Add `nesterov=True` and `optim.Adam` to
    section 1. Which escapes first? Does Adam's per-parameter scaling help with a gradient as
    small as $-2 \cdot 10^{-4}$?
    """
)


if __name__ == "__main__":
    build(CELLS, MAIN)
