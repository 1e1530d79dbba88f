"""Build notebooks/11_sequences.ipynb from one list of cells, and its solution notebook.

Each exercise cell is written with its stub (it raises ``NotImplementedError``) and its worked
answer. The student notebook is written by ``builder.build``; the solution notebook is laid out
by ``sync.py`` (the one definition of a solution's layout) with the worked answers below as its
solved cells. Run from anywhere:

    python notebooks/solutions/make_11.py            # write both notebooks, unexecuted
    python notebooks/solutions/make_11.py --execute  # ... the notebook run in full mode

Execute the solution afterwards from ``notebooks/solutions/`` (its first cell runs
``../11_sequences.ipynb``) and commit both with their outputs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from builder import Cells, build, write

NAME = "11_sequences.ipynb"
HERE = Path(__file__).resolve().parent
MAIN = HERE.parent / NAME

CELLS = Cells()
md, code = CELLS.md, CELLS.code


md(
    r"""
    # 11 · Sequences: input/output types, word embeddings, seq2seq with attention

    Notebook 06 built recurrent networks and notebook 07 attention with a single output. This one
    puts them together the way the notes' sequence chapters do (001 "RNNs", "NLP word
    representation", "Word encodings", "Language models", "Attention models"; 002 "One-hot
    encoding of Words", "Word Embedding", "Word2Vec"; 003 "Notation" and "Different types of
    RNNs"):

    1. **sequence input/output types**: one-to-one, one-to-many, many-to-one, many-to-many
       (aligned, as in named-entity recognition) and the encoder–decoder (translation, with
       `<eos>`), each drawn and each built as a tiny chaingrad model whose output shape we check;
    2. **word embeddings**: the notes' attribute tables, a vocabulary with an unknown-word token,
       a word2vec-style **skip-gram** model trained with `nn.Embedding` on a small synthetic
       corpus, nearest neighbours, the analogy king − man + woman ≈ queen by vector arithmetic,
       a 2-D PCA picture, and the trained embedding matrix reused for another task;
    3. **seq2seq with attention**: an encoder–decoder that reverses a sequence of digits of
       variable length ending in `<eos>`, with the notes' attention weights
       $\alpha^{\langle t,t'\rangle}$ over all encoder steps $t'$ for every decoder step $t$;
       greedy decoding that stops at `<eos>`, and the $\alpha^{\langle t,t'\rangle}$ heat map.

    Notation as in the notes: $x^{\langle t\rangle}$ the input at step $t = 1 \dots T_x$,
    $y^{\langle t\rangle}$ the output at step $t = 1 \dots T_y$; $a^{\langle t'\rangle}$ the
    encoder's activations, $s^{\langle t\rangle}$ the decoder's state; $E$ the embedding matrix,
    $o_v$ the one-hot vector of word $v$ and $e_v = E\,o_v$ its embedding;
    $e^{\langle t,t'\rangle}$ the attention scores, $\alpha^{\langle t,t'\rangle}$ the weights and
    $c^{\langle t\rangle}$ the context of decoder step $t$.
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
    from chaingrad import optim
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

# ---------------------------------------------------------------------------------------------
md(
    r"""
    ## 1. Sequence input and output types

    001 "I/O sequence length flexibility": **one to one** (image classification), **one to many**
    (image captioning), **many to one** (sentiment classification), **many to many** (machine
    translation, which "needs `<eos>` to tell us when to stop encoding/decoding"). 003 adds the
    aligned many-to-many of named-entity recognition, where $T_x = T_y$ ("Harry Potter and
    Hermione Granger invented a new spell" → `1 1 0 1 1 0 0 0 0`). In the drawing, inputs are
    red, recurrent states green (one box per time step, the arrows between them the recurrence)
    and outputs blue.
    """
)

code(
    r"""
    TYPES = {  # name: (steps with an input, steps with an output, number of steps)
        "one to one": ([0], [0], 1),
        "one to many": ([0], [0, 1, 2], 3),
        "many to one": ([0, 1, 2], [2], 3),
        "many to many\n(aligned, T_x = T_y)": ([0, 1, 2], [0, 1, 2], 3),
        "encoder–decoder\n(T_x = 3, T_y = 2 + <eos>)": ([0, 1, 2], [3, 4, 5], 6),
    }


    def box(ax, x, y, colour):
        ax.add_patch(plt.Rectangle((x - 0.3, y - 0.3), 0.6, 0.6, color=colour, ec="k", lw=0.5))


    def arrow(ax, start, end):
        ax.annotate("", end, start, arrowprops={"arrowstyle": "->", "lw": 0.8, "shrinkA": 7.5,
                                                "shrinkB": 7.5})
    """
)

code(
    r"""
    def sequence_types_picture():
        widths = [steps + 0.6 for _, _, steps in TYPES.values()]
        _, axes = plt.subplots(1, 5, figsize=(8, 2.4), width_ratios=widths)
        for ax, (name, (inputs, outputs, steps)) in zip(axes, TYPES.items()):
            for t in range(steps):
                box(ax, t, 1, "tab:green")
                if t > 0:
                    arrow(ax, (t - 1, 1), (t, 1))
            for t in inputs:
                box(ax, t, 0, "tab:red")
                arrow(ax, (t, 0), (t, 1))
            for t in outputs:
                box(ax, t, 2, "tab:blue")
                arrow(ax, (t, 1), (t, 2))
            ax.set(xlim=(-0.6, steps - 0.4), ylim=(-0.5, 2.5), aspect="equal", title=name)
            ax.axis("off")
        plt.tight_layout()
        plt.show()


    sequence_types_picture()
    """
)

md(
    r"""
    Each type as a tiny untrained chaingrad model, on a batch of $B = 4$ examples with inputs of
    $n_x = 5$ features, $n_y = 7$ output classes, $T_x = 6$ input steps, $T_y = 3$ output steps and
    recurrent states of $n_a = 16$ units (`batch_first=True`: time is axis 1, as in PyTorch with
    that flag). A recurrent layer returns the state at every step (`out`, shape $(B, T_x, n_a)$)
    and the last state (`h_n`, shape $(1, B, n_a)$): **many to one** keeps only the last state,
    **many to many** applies the output layer at every step (`nn.Linear` acts on the last axis).
    """
)

code(
    r"""
    B, T_x, T_y, n_x, n_a, n_y = 4, 6, 3, 5, 16, 7
    x_vector, x_sequence = cg.randn(B, n_x), cg.randn(B, T_x, n_x)
    encoder = nn.GRU(n_x, n_a, batch_first=True)
    head = nn.Linear(n_a, n_y)  # a⟨t⟩ → ŷ⟨t⟩ (scores of the n_y classes)

    one_to_one = nn.Sequential(nn.Linear(n_x, n_a), nn.Tanh(), nn.Linear(n_a, n_y))
    out, h_n = encoder(x_sequence)  # out (B, T_x, n_a): every a⟨t⟩; h_n (1, B, n_a): the last
    shapes = {
        "one to one": one_to_one(x_vector).shape,
        "many to one": head(h_n[0]).shape,
        "many to many (aligned)": head(out).shape,
    }
    """
)

md(
    r"""
    **One to many** (a caption from one image vector): the input sets the first state, then the
    decoder runs for $T_y$ steps, each fed its own previous output (001's "generate" loop,
    notebook 06's sampling). **Encoder–decoder**: the encoder reads all $T_x$ inputs, its last
    state starts a second recurrent network that writes $T_y$ outputs; $T_x$ and $T_y$ are
    independent.
    """
)

code(
    r"""
    start = nn.Linear(n_x, n_a)  # x → a⟨0⟩
    cell = nn.GRUCell(n_y, n_a)  # one step of the decoder, fed ŷ⟨t−1⟩
    a, y_prev, outputs = start(x_vector).tanh(), cg.zeros(B, n_y), []
    for _ in range(T_y):
        a = cell(y_prev, a)
        y_prev = F.softmax(head(a), dim=-1)
        outputs.append(y_prev)
    shapes["one to many"] = cg.stack(outputs, dim=1).shape

    decoder = nn.GRU(n_y, n_a, batch_first=True)
    decoder_inputs = cg.randn(B, T_y, n_y)  # in training: the targets shifted by one step
    states, _ = decoder(decoder_inputs, h_n)  # starts from the encoder's last state
    shapes["encoder–decoder"] = head(states).shape
    for name, shape in shapes.items():
        print(f"{name:>24}: {tuple(shape)}")
    """
)

code(
    r"""
    assert shapes["one to one"] == (B, n_y) and shapes["many to one"] == (B, n_y)
    assert shapes["many to many (aligned)"] == (B, T_x, n_y)
    assert shapes["one to many"] == (B, T_y, n_y) and shapes["encoder–decoder"] == (B, T_y, n_y)
    """
)

md(
    r"""
    The shapes: one to one and many to one give one score vector per example, $(4, 7)$; the
    aligned many to many one per input step, $(4, 6, 7)$; one to many and the encoder–decoder one
    per *output* step, $(4, 3, 7)$, whatever $T_x$ was. Section 3 trains an encoder–decoder; the
    decoder there also looks back at every encoder state through attention.

    ## 2. Word embeddings

    ### 2.1 From one-hot vectors to attribute vectors

    002's vocabulary of nine words (man, woman, boy, girl, prince, princess, queen, king,
    monarch) first gets one-hot vectors $o_v$: "sparse, high-dimensional, hard-coded", every two
    words equally far apart. Then a hand-made embedding with three attributes (femininity,
    youth, royalty), where "similar words [have] similar vectors". With 002's table the famous
    analogy is exact: king − man + woman = (0, 0, 1) − (0, 0, 0) + (1, 0, 0) = (1, 0, 1) = queen.
    We measure similarity by the **cosine** of the angle between two vectors, as 002's word2vec
    list does ("Sweden": norway 0.760, denmark 0.715, …).
    """
)

code(
    r"""
    words_002 = ["man", "woman", "boy", "girl", "prince", "princess", "queen", "king", "monarch"]
    table_002 = np.array(  # femininity, youth, royalty (002, "Word Embedding")
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1], [1, 0, 1], [0, 0, 1],
         [0.5, 0.5, 1]]
    )
    row = {w: i for i, w in enumerate(words_002)}
    guess = table_002[row["king"]] - table_002[row["man"]] + table_002[row["woman"]]
    print("king - man + woman =", guess, "= queen:", np.array_equal(guess, table_002[row["queen"]]))
    assert np.array_equal(guess, table_002[row["queen"]])

    one_hot = np.eye(len(words_002))
    cos_one_hot = F.cosine_similarity(cg.tensor(one_hot[[7]]), cg.tensor(one_hot[[6]])).item()
    cos_table = F.cosine_similarity(cg.tensor(table_002[[7]]), cg.tensor(table_002[[8]])).item()
    print(f"cos(king, queen) one-hot: {cos_one_hot:.0f};  cos(king, monarch) in 002's table: "
          f"{cos_table:.3f}")
    assert cos_one_hot == 0 and abs(cos_table - 0.816) < 1e-3
    """
)

md(
    r"""
    In one-hot space king and queen have cosine 0, like any two different words; in 002's table
    king and monarch have cosine 0.816. 001 writes the embedding matrix $E$ with $A$ attributes
    and $W$ words as size $(A, W)$, and "$E \cdot o_v = e_v$": multiplying by a one-hot vector
    picks column $v$. chaingrad's `nn.Embedding(W, A)`, like PyTorch's, stores the transpose, a
    `weight` of shape $(W, A)$ with one **row** per word, and looks the row up instead of
    multiplying (the same number, without $W$ multiplications by 0):
    """
)

code(
    r"""
    table = nn.Embedding(len(words_002), 3)
    with cg.no_grad():
        table.weight.copy_(cg.tensor(table_002, dtype=cg.float32))
    E = table.weight.detach().numpy().T  # the notes' (A, W) matrix
    o_queen = one_hot[row["queen"]]
    print("E o_v =", E @ o_queen, " lookup:", table(cg.tensor([row["queen"]])).detach().numpy())
    assert np.allclose(E @ o_queen, table(cg.tensor([row["queen"]])).detach().numpy())
    """
)

md(
    r"""
    ### 2.2 A synthetic corpus

    Real embeddings (word2vec, GloVe: 001 "Algorithms") are learned from billions of words. We
    have no such corpus here and a notebook must run in seconds, so we **make one up**: a small
    grammar writes templated sentences about eight people, the 2 × 2 × 2 cube of 002's words
    (man, woman, boy, girl, king, queen, prince, princess; monarch is left out). Every sentence
    about a person also holds words that go with that person's attributes: *he, his* or *she,
    her* (sex), *plays, toys, kite* or *works, tools, car* (age), *palace, crown, throne* or
    *village, farm, cap* (royalty). So the **co-occurrences** carry exactly the three attributes
    of 002's table, and nothing else. This is the assumption behind word2vec ("a word is known by
    the company it keeps") made true by construction; on real text the same arithmetic works
    only approximately, and it is the corpus, not the method, that makes it work here.
    """
)

code(
    r"""
    PEOPLE = {  # (female, young, royal): 002's attributes
        "man": (0, 0, 0), "woman": (1, 0, 0), "boy": (0, 1, 0), "girl": (1, 1, 0),
        "king": (0, 0, 1), "queen": (1, 0, 1), "prince": (0, 1, 1), "princess": (1, 1, 1),
    }
    WORDS = {  # slot: (words for attribute 0, words for attribute 1)
        "pronoun": (["he"], ["she"]), "possessive": (["his"], ["her"]),
        "verb": (["works", "cooks", "drives"], ["plays", "laughs", "learns"]),
        "thing": (["tools", "car", "newspaper"], ["toys", "kite", "ball"]),
        "place": (["village", "farm", "market"], ["palace", "castle", "court"]),
        "garment": (["cap", "coat", "apron"], ["crown", "robe", "throne"]),
    }
    ATTRIBUTE = {"pronoun": 0, "possessive": 0, "verb": 1, "thing": 1, "place": 2, "garment": 2}
    TEMPLATES = [
        "the {person} {verb} in the {place}",
        "{pronoun} is the {person} and wears {possessive} {garment}",
        "the {person} {verb} with {possessive} {thing}",
        "in the {place} the {person} {verb}",
        "the {person} takes {possessive} {thing} to the {place}",
    ]
    """
)

code(
    r"""
    def sentence(rng):
        person = rng.choice(list(PEOPLE))
        bits = PEOPLE[person]
        fill = {slot: rng.choice(pair[bits[ATTRIBUTE[slot]]]) for slot, pair in WORDS.items()}
        return rng.choice(TEMPLATES).format(person=person, **fill).split()


    rng = np.random.default_rng(0)
    corpus = [sentence(rng) for _ in range(1500 if QUICK else 4000)]
    for words in corpus[:4]:
        print(" ".join(words))
    """
)

md(
    r"""
    **The vocabulary** (001 "NLP word representation"): every word of the corpus gets an index,
    and one more entry, `<unk>`, stands for every word outside the vocabulary ("create one more
    vector element as unknown word"), so a sentence with a word the model has never seen can
    still be encoded:
    """
)

code(
    r"""
    vocab = ["<unk>", *sorted({w for words in corpus for w in words})]
    index = {w: i for i, w in enumerate(vocab)}


    def encode(words):
        return [index.get(w, index["<unk>"]) for w in words]


    print(len(vocab), "words;", "the emperor plays ->", encode("the emperor plays".split()))
    assert len(vocab) == 45 and encode(["emperor"]) == [0]
    """
)

md(
    r"""
    ### 2.3 Skip-gram: predict the company a word keeps

    Word2vec's **skip-gram** model (Mikolov et al., 2013) learns $E$ as a by-product of a fake
    task: given a word (the centre), predict each word near it (the context). The model is the
    notes' language model with the recurrence taken out: look up the centre's embedding
    $e_v$ (`nn.Embedding`), score every word of the vocabulary with one `nn.Linear`, softmax,
    cross-entropy against the context word. Our sentences are short, so the window is the whole
    sentence: every ordered pair of different positions is one training pair. This is the
    original full-softmax form; word2vec's negative sampling (001 lists it) is a cheaper
    approximation of the same softmax for vocabularies of millions of words.
    """
)

code(
    r"""
    pairs = np.array(
        [(c, o) for words in corpus for i, c in enumerate(encode(words))
         for j, o in enumerate(encode(words)) if i != j]
    )
    centre, context = cg.tensor(pairs[:, 0]), cg.tensor(pairs[:, 1])
    print(f"{len(corpus)} sentences, {len(pairs)} (centre, context) pairs")


    class SkipGram(nn.Module):
        def __init__(self, n_words, n_dims):
            super().__init__()
            self.embed = nn.Embedding(n_words, n_dims)  # E, one row e_v per word
            self.score = nn.Linear(n_dims, n_words)  # a score for every possible context word

        def forward(self, words):
            return self.score(self.embed(words))
    """
)

code(
    r"""
    cg.manual_seed(0)
    skipgram = SkipGram(len(vocab), 10)
    opt = optim.Adam(skipgram.parameters(), lr=0.01)
    order_rng, losses = np.random.default_rng(0), []
    for _ in range(5):
        for batch in np.array_split(order_rng.permutation(len(pairs)), len(pairs) // 256):
            loss = F.cross_entropy(skipgram(centre[batch]), context[batch])
            descend(opt, loss)
            losses.append(loss.item())
    print(f"loss: first batch {losses[0]:.2f} (ln 45 = {np.log(45):.2f}), last 100 batches "
          f"{np.mean(losses[-100:]):.2f}")
    """
)

code(
    r"""
    counts = np.zeros((len(vocab), len(vocab)))
    np.add.at(counts, (pairs[:, 0], pairs[:, 1]), 1)  # how often each word is in each's company
    p_context = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)  # <unk>: no pairs
    floor = -(counts * np.log(np.where(counts > 0, p_context, 1))).sum() / counts.sum()
    print(f"the best possible loss, the entropy of the company given the word: {floor:.2f}")
    assert abs(losses[0] - np.log(45)) < 0.3 and np.mean(losses[-100:]) < floor + 0.15
    """
)

md(
    r"""
    The loss starts near $\ln 45 = 3.81$ (a uniform guess over the 45 words) and ends within
    0.15 of the best any model can do on this corpus, the conditional entropy computed from the
    pair counts: the task cannot be solved, only the *distribution* of a word's company can be
    learned, and that is all we want. Now the embeddings, the rows of `skipgram.embed.weight`.
    The nearest neighbours by cosine similarity (computed with chaingrad: `F.cosine_similarity`
    of every row against one vector):
    """
)

code(
    r"""
    E_learned = skipgram.embed.weight.detach()  # (45, 10): one row per word


    def nearest(vector, exclude=(), k=4):
        # the k words whose embeddings have the largest cosine with vector, skipping `exclude`
        cosines = F.cosine_similarity(E_learned, cg.tensor(vector).reshape(1, -1), dim=1)
        cosines = cosines.masked_fill(cg.tensor(np.isin(np.arange(len(vocab)), exclude)), -2.0)
        best = cosines.topk(k)[1].numpy()
        return [(vocab[i], round(cosines[i].item(), 2)) for i in best]


    neighbours = {w: nearest(E_learned[index[w]], [index[w]]) for w in ["king", "girl", "crown"]}
    for word, near in neighbours.items():
        print(f"{word:>6}:", ", ".join(f"{n} {c:.2f}" for n, c in near))
    """
)

code(
    r"""
    def people_among(near):
        return [w for w, _ in near if w in PEOPLE]


    assert people_among(neighbours["king"])[0] in ("queen", "prince", "man")
    assert people_among(neighbours["girl"])[0] in ("woman", "boy", "princess")
    royal_things = {"robe", "throne", "palace", "castle", "court"}
    assert {w for w, _ in neighbours["crown"][:2]} <= royal_things
    """
)

md(
    r"""
    The nearest person to *king* differs from it in one attribute only (queen, prince or man),
    the nearest person to *girl* likewise; *crown*'s two nearest words are other royal
    garments or places; next come words that share its sentences or fill its slot for
    commoners (*wears*, *coat*, *apron*), which keep much of the same company. The
    embedding has put words that keep the same company close together, without being told any
    attribute. And the analogy, by vector arithmetic on the learned rows: the nearest word to
    $e_\text{king} - e_\text{man} + e_\text{woman}$, leaving out the three words of the
    question (as word2vec's evaluation does):
    """
)

code(
    r"""
    QUESTIONS = [("man", "king", "woman"), ("boy", "prince", "girl"), ("woman", "girl", "man"),
                 ("king", "prince", "queen")]
    answers = {}
    for a, b, c in QUESTIONS:
        guess = E_learned[index[b]] - E_learned[index[a]] + E_learned[index[c]]
        answers[b, a, c] = nearest(guess, [index[a], index[b], index[c]], k=1)[0]
        print(f"{b} - {a} + {c} ≈ {answers[b, a, c][0]} (cosine {answers[b, a, c][1]:.2f})")
    assert answers["king", "man", "woman"][0] == "queen"
    assert [answer for answer, _ in answers.values()] == ["queen", "princess", "boy", "princess"]
    """
)

md(
    r"""
    All four analogies come out right: king − man + woman ≈ queen, prince − boy + girl ≈
    princess, girl − woman + man ≈ boy, prince − king + queen ≈ princess. The difference
    $e_\text{woman} - e_\text{man}$ is (close to) one fixed direction, "female", that the model
    added to every person; likewise for youth and royalty.

    **A picture.** The embeddings have 10 dimensions; we project the eight people onto the two
    principal directions (PCA: the top two right singular vectors of the centred rows). A linear
    projection keeps equal difference vectors equal, so the arrows from each male to the
    matching female stay parallel and of the same length if the learned "female" direction is
    one direction.
    """
)

code(
    r"""
    people = list(PEOPLE)
    P = E_learned.numpy()[[index[p] for p in people]]
    P = P - P.mean(axis=0)
    _, singular, Vt = np.linalg.svd(P, full_matrices=False)
    xy = dict(zip(people, P @ Vt[:2].T))
    share = (singular[:2] ** 2).sum() / (singular**2).sum()
    female = np.array([xy[f] - xy[m] for m, f in [("man", "woman"), ("boy", "girl"),
                                                  ("king", "queen"), ("prince", "princess")]])
    spread = np.linalg.norm(female - female.mean(0), axis=1).max() / np.linalg.norm(female.mean(0))
    print(f"2 components keep {share:.0%} of the variance; the 4 arrows differ from their mean "
          f"by at most {spread:.0%} of its length")
    assert spread < 0.35
    """
)

code(
    r"""
    def pca_picture():
        _, ax = plt.subplots(figsize=(5, 3.6))
        for person, (px, py) in xy.items():
            colour = "tab:red" if PEOPLE[person][0] else "tab:blue"
            ax.plot(px, py, "o", color=colour)
            ax.annotate(person, (px, py), xytext=(4, 4), textcoords="offset points", fontsize=9)
        for m, f in [("man", "woman"), ("boy", "girl"), ("king", "queen"), ("prince", "princess")]:
            ax.annotate("", xy[f], xy[m], arrowprops={"arrowstyle": "->", "color": "0.5"})
        ax.set(xlabel="principal direction 1", ylabel="principal direction 2",
               title="skip-gram embeddings of the eight people (arrows: male → female)")
        ax.margins(0.15)
        plt.tight_layout()
        plt.show()


    pca_picture()
    """
)

md(
    r"""
    The four male → female arrows are nearly parallel and of nearly equal length (each within
    35 % of their mean): the picture of king − man + woman ≈ queen.

    ### 2.4 Reusing an embedding matrix

    001: "the embedding matrix can be reused for other applications. If we create $E$ once on a
    very large and high-quality data set, we can use it as a starting point for other NLP tasks
    where we have less example data." In miniature: a new task, *is this person royal?*, with
    four labelled words only, the adults (king and queen yes, man and woman no), and four words
    to answer about that the classifier never saw labelled, the young (prince, princess, boy,
    girl). A logistic-regression unit is trained once on the frozen rows of $E$ (only the new
    unit learns) and once on one-hot vectors instead.
    """
)

code(
    r"""
    train_words = ["king", "queen", "man", "woman"]  # labelled: the adults
    test_words = ["prince", "princess", "boy", "girl"]  # asked about: the young


    def royalty(table):
        # p(royal) for test_words from a logistic unit trained on the rows of table for train_words
        def rows(words):
            return cg.tensor(table[[index[w] for w in words]], dtype=cg.float32)

        labels = cg.tensor([float(PEOPLE[w][2]) for w in train_words])
        unit = nn.Linear(table.shape[1], 1)
        for parameter in unit.parameters():
            nn.init.zeros_(parameter)  # one unit: no symmetry to break, and no random guesses
        opt = optim.Adam(unit.parameters(), lr=0.05)
        for _ in range(200):
            descend(opt, F.binary_cross_entropy_with_logits(unit(rows(train_words))[:, 0], labels))
        with cg.no_grad():
            return unit(rows(test_words))[:, 0].sigmoid().numpy()
    """
)

code(
    r"""
    p_embedding, p_one_hot = royalty(E_learned.numpy()), royalty(np.eye(len(vocab)))
    for name, p in [("embedding", p_embedding), ("one-hot", p_one_hot)]:
        print(f"{name:>9}:", ", ".join(f"{w} {q:.2f}" for w, q in zip(test_words, p)))
    assert ((p_embedding > 0.5) == np.array([True, True, False, False])).all()
    assert np.ptp(p_one_hot) < 1e-6
    """
)

code(
    r"""
    fig, ax = plt.subplots(figsize=(5, 2.6))
    x = np.arange(len(test_words))
    ax.bar(x - 0.2, p_embedding, 0.4, label="learned embedding")
    ax.bar(x + 0.2, p_one_hot, 0.4, label="one-hot")
    ax.axhline(0.5, color="gray", lw=0.8, ls="--")
    ax.set_xticks(x, test_words)
    ax.set(ylabel="p(royal)", ylim=(0, 1), title="words the classifier never saw labelled")
    ax.legend(loc="upper right")
    plt.tight_layout()
    plt.show()
    """
)

md(
    r"""
    With the learned embedding the unit answers all four new words right (prince and princess
    above 0.5, boy and girl below): what the embedding learned from co-occurrence transfers to a
    task it was not trained for. With one-hot vectors it gives all four the same probability:
    an unseen word's one-hot vector shares nothing with the training words, so only the bias
    speaks. That is 001's "one-hot ... no order bias" read the other way round: no similarity
    either.

    ## 3. Seq2seq with `<eos>` and attention $\alpha^{\langle t,t'\rangle}$

    001's attention model: for the simple translation model "the entire sentence must be
    encoded" into one vector; instead, "we would like the output sequence generator to pay
    attention to a selection of the activations of the input words". The task: **reverse** a
    sequence of $n$ digits, $3 \le n \le 8$ (at most 5 in quick mode), both sequences ending in
    `<eos>`: input `3 1 4 <eos>`, output `4 1 3 <eos>`. So $T_x = T_y = n + 1$. The decoder
    starts from a `<sos>` token and stops when it writes `<eos>`, which is how it knows the
    length (001: "need `<eos>` to tell us when to stop"). Every batch has one length $n$, drawn
    at random, so no padding is needed.
    """
)

code(
    r"""
    EOS, SOS = 10, 11  # tokens 0-9 are the digits
    TOKENS = [str(d) for d in range(10)] + ["<eos>", "<sos>"]
    MAX_N = 5 if QUICK else 8


    def reversal_batch(size, n, rng):
        # size sequences of n random digits: inputs x (size, n + 1), targets y (size, n + 1)
        digits = rng.integers(0, 10, (size, n))
        eos = np.full((size, 1), EOS)
        return np.hstack([digits, eos]), np.hstack([digits[:, ::-1], eos])


    x_demo, y_demo = reversal_batch(2, 4, np.random.default_rng(1))
    print("x:", [TOKENS[i] for i in x_demo[0]], " y:", [TOKENS[i] for i in y_demo[0]])
    """
)

md(
    r"""
    **The model** (Bahdanau et al., 2015, in the notes' notation).

    - *Encoder*: embed the inputs, run a bidirectional GRU (001 "Bidirectional RNN"; notebook
      06); its activation at step $t'$ is both directions side by side,
      $a^{\langle t'\rangle} = [\overrightarrow{a}^{\langle t'\rangle};
      \overleftarrow{a}^{\langle t'\rangle}]$, $2 n_a$ numbers. The decoder's first state
      $s^{\langle 0\rangle}$ is a `tanh` layer of the two directions' last states.
    - *Attention* at decoder step $t$: the notes' scores "$e^{\langle t,t'\rangle}$ can be
      learned from a neural network", here a one-hidden-layer network of the previous decoder
      state and each encoder activation,
      $e^{\langle t,t'\rangle} = v^\top \tanh(W_s\, s^{\langle t-1\rangle} + W_a\,
      a^{\langle t'\rangle} + b_a)$; the weights are their softmax over all encoder steps,
      $\alpha^{\langle t,t'\rangle} = \exp(e^{\langle t,t'\rangle}) / \sum_{t''=1}^{T_x}
      \exp(e^{\langle t,t''\rangle})$, so $\sum_{t'} \alpha^{\langle t,t'\rangle} = 1$; the
      context is $c^{\langle t\rangle} = \sum_{t'} \alpha^{\langle t,t'\rangle}
      a^{\langle t'\rangle}$.
    - *Decoder*: a `GRUCell` fed the embedding of the previous output token and
      $c^{\langle t\rangle}$ gives $s^{\langle t\rangle}$; a `Linear` on
      $[s^{\langle t\rangle}; c^{\langle t\rangle}]$ scores the 12 tokens.
    """
)

code(
    r"""
    class Reverser(nn.Module):
        def __init__(self, n_e=16, n_a=32, n_s=32, n_att=32):
            super().__init__()
            self.embed = nn.Embedding(len(TOKENS), n_e)
            self.encoder = nn.GRU(n_e, n_a, batch_first=True, bidirectional=True)
            self.bridge = nn.Linear(2 * n_a, n_s)  # both directions' last states → s⟨0⟩
            self.W_s = nn.Linear(n_s, n_att, bias=False)
            self.W_a = nn.Linear(2 * n_a, n_att)  # its bias is b_a
            self.v = nn.Linear(n_att, 1, bias=False)
            self.decoder = nn.GRUCell(n_e + 2 * n_a, n_s)
            self.out = nn.Linear(n_s + 2 * n_a, len(TOKENS))

        def encode(self, x):
            a, h_n = self.encoder(self.embed(cg.tensor(x)))  # a (B, T_x, 2 n_a), h_n (2, B, n_a)
            return a, self.bridge(cg.cat([h_n[0], h_n[1]], dim=1)).tanh()
    """
)

code(
    r"""
    def attend(self, s_prev, a):
        # α⟨t,·⟩ (B, T_x) and c⟨t⟩ (B, 2 n_a) for the states s⟨t−1⟩ (B, n_s)
        e = self.v((self.W_s(s_prev).unsqueeze(1) + self.W_a(a)).tanh()).squeeze(-1)
        alpha = F.softmax(e, dim=1)  # over the encoder steps t'
        return alpha, (alpha.unsqueeze(-1) * a).sum(dim=1)


    def step(self, y_prev, s_prev, a):
        # one decoder step: token scores (B, 12), s⟨t⟩ and α⟨t,·⟩ from the tokens y⟨t−1⟩
        alpha, c = self.attend(s_prev, a)
        s = self.decoder(cg.cat([self.embed(cg.tensor(y_prev)), c], dim=1), s_prev)
        return self.out(cg.cat([s, c], dim=1)), s, alpha


    def forward(self, x, y):
        # teacher forcing: step t is fed the true y⟨t−1⟩ (<sos> first); scores (B, T_y, 12)
        a, s = self.encode(x)
        previous = np.hstack([np.full((len(y), 1), SOS), y[:, :-1]])
        scores = []
        for t in range(y.shape[1]):
            score, s, _ = self.step(previous[:, t], s, a)
            scores.append(score)
        return cg.stack(scores, dim=1)


    Reverser.attend, Reverser.step, Reverser.forward = attend, step, forward
    """
)

md(
    r"""
    **Training** with *teacher forcing*: at step $t$ the decoder is fed the true previous token,
    not its own guess, and the loss is 001's sum over the output steps (here the mean),
    $\frac{1}{T_y}\sum_t L^{\langle t\rangle}(\hat y^{\langle t\rangle}, y^{\langle t\rangle})$,
    each a cross-entropy over the 12 tokens. Batches of 64 sequences, Adam, 500 steps (150 in
    quick mode):
    """
)

code(
    r"""
    cg.manual_seed(0)
    reverser = Reverser()
    opt = optim.Adam(reverser.parameters(), lr=3e-3)
    data_rng, seq_losses = np.random.default_rng(0), []
    for _ in range(150 if QUICK else 500):
        x, y = reversal_batch(64, data_rng.integers(3, MAX_N + 1), data_rng)
        loss = F.cross_entropy(reverser(x, y).reshape(-1, len(TOKENS)), y.reshape(-1))
        descend(opt, loss)
        seq_losses.append(loss.item())
    print(f"loss: first step {seq_losses[0]:.2f}, last 20 steps {np.mean(seq_losses[-20:]):.3f}")
    assert np.mean(seq_losses[-20:]) < (0.5 if QUICK else 0.05)
    """
)

md(
    r"""
    **Greedy decoding**: no target now. Start from `<sos>`, feed each step the token it scored
    highest, and stop at `<eos>`. For a batch we run a fixed number of steps and cut each row
    after its first `<eos>`; `decode` also keeps the weights $\alpha^{\langle t,t'\rangle}$ of
    every step.
    """
)

code(
    r"""
    def decode(model, x, steps):
        # greedy tokens (B, steps) and weights α (B, steps, T_x), every row run for `steps` steps
        with cg.no_grad():
            a, s = model.encode(x)
            y, tokens, alphas = np.full(len(x), SOS), [], []
            for _ in range(steps):
                score, s, alpha = model.step(y, s, a)
                y = score.numpy().argmax(axis=1)
                tokens.append(y)
                alphas.append(alpha.numpy())
        return np.stack(tokens, axis=1), np.stack(alphas, axis=1)


    def until_eos(tokens):
        # the tokens up to and including the first <eos>
        stop = np.flatnonzero(tokens == EOS)
        return tokens[: stop[0] + 1] if len(stop) else tokens
    """
)

code(
    r"""
    test_rng, correct = np.random.default_rng(1), {}
    for n in range(3, MAX_N + 1):
        x, y = reversal_batch(200, n, test_rng)
        tokens, _ = decode(reverser, x, steps=MAX_N + 3)
        correct[n] = np.mean([np.array_equal(until_eos(t), target) for t, target in zip(tokens, y)])
    accuracy = np.mean(list(correct.values()))
    print("sequences reversed exactly, by length n:", {n: f"{c:.1%}" for n, c in correct.items()})
    print(f"overall {accuracy:.1%}")
    assert min(correct.values()) > (0.8 if QUICK else 0.97)
    """
)

md(
    r"""
    Above 97 % of the held-out sequences come out exactly right, `<eos>` included, at every
    length (above 80 % in quick mode, with shorter sequences and fewer steps). The decoder was
    never told the length: it writes `<eos>` when it has used up the input.

    **What the decoder looks at.** Each row of the heat map is one decoder step $t$ (the token
    it wrote on the left), each column one encoder step $t'$ (the input token below); the colour
    is $\alpha^{\langle t,t'\rangle}$, and each row sums to 1.
    """
)

code(
    r"""
    def attention_heat_map(x, tokens, alpha, ax):
        ax.imshow(alpha, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(alpha.shape[1]), [TOKENS[i] for i in x])
        ax.set_yticks(range(alpha.shape[0]), [TOKENS[i] for i in tokens])
        ax.set(xlabel="input x⟨t'⟩ (encoder step t')", ylabel="output ŷ⟨t⟩ (decoder step t)")


    def heat_maps(examples):
        _, axes = plt.subplots(1, len(examples), figsize=(8, 3.6))
        for ax, n in zip(axes, examples):
            x, _ = reversal_batch(1, n, np.random.default_rng(n))
            tokens, alpha = decode(reverser, x, steps=n + 1)
            attention_heat_map(x[0], tokens[0], alpha[0], ax)
            ax.set_title(f"α⟨t,t'⟩ for n = {n} digits")
        plt.tight_layout()
        plt.show()


    heat_maps([MAX_N, 4])
    """
)

code(
    r"""
    mirrored = {}
    for n in range(3, MAX_N + 1):
        x, _ = reversal_batch(200, n, np.random.default_rng(100 + n))
        _, alpha = decode(reverser, x, steps=n)  # the n steps that write digits
        mirrored[n] = (alpha.argmax(axis=2) == n - 1 - np.arange(n)).mean()
    print("rows whose largest α is the mirrored position:",
          {n: f"{m:.1%}" for n, m in mirrored.items()})
    assert min(mirrored.values()) > (0.8 if QUICK else 0.95)
    """
)

md(
    r"""
    An anti-diagonal: to write output digit $t$ the decoder attends to input position
    $t' = n + 1 - t$, the digit it has to copy. For more than 95 % of the rows (80 % in quick
    mode) at every length the largest weight sits exactly on that mirrored position. Nobody told
    the model to look there; the weights are learned only through the loss on the output tokens,
    because attending to the right position is the easiest way to get them right. The last row,
    writing `<eos>`, has no digit to copy and spreads its weights over the input (in the maps
    above mostly on the first input digit, the one just copied).

    ## Exercises

    Each exercise has a stub that raises `NotImplementedError` and a check cell under it:
    `check` prints "not written yet" until you fill the stub in, then ✓ or the first element
    that is wrong. Worked solutions are in `notebooks/solutions/` under the same file name.

    **1. An analogy query.** Write `analogy(emb, a, b, c)` for an embedding matrix `emb` (a NumPy
    array with one row per word) and three word indices: the index of the word whose row has the
    largest cosine similarity with $e_b - e_a + e_c$, leaving out $a$, $b$ and $c$ themselves.
    The check compares with section 2.3's `nearest`, which uses chaingrad's
    `F.cosine_similarity`.
    """
)

code(
    r"""
    def analogy(emb: np.ndarray, a: int, b: int, c: int) -> int:
        # "a is to b as c is to ?": the row nearest to emb[b] - emb[a] + emb[c] by cosine
        raise NotImplementedError
    """,
    solution=r"""
    def analogy(emb: np.ndarray, a: int, b: int, c: int) -> int:
        # "a is to b as c is to ?": the row nearest to emb[b] - emb[a] + emb[c] by cosine
        target = emb[b] - emb[a] + emb[c]
        cosines = emb @ target / (np.linalg.norm(emb, axis=1) * np.linalg.norm(target))
        cosines[[a, b, c]] = -np.inf
        return int(np.argmax(cosines))
    """,
)

code(
    r"""
    for a, b, c in [("man", "king", "woman"), ("girl", "boy", "princess"), ("he", "his", "she")]:
        question = [index[a], index[b], index[c]]
        guess = E_learned[index[b]] - E_learned[index[a]] + E_learned[index[c]]
        reference = index[nearest(guess, question, k=1)[0][0]]
        check(f"{b} - {a} + {c}", lambda q=question: analogy(E_learned.numpy(), *q), reference)
    """
)

md(
    r"""
    **2. One decoder step of attention.** Write `attention_step(s_prev, a, w_s, w_a, b_a, v)`
    in NumPy: for one sequence, the previous decoder state `s_prev` $= s^{\langle t-1\rangle}$
    (shape $(n_s,)$) and the encoder activations `a` (one row $a^{\langle t'\rangle}$ per step,
    $(T_x, 2n_a)$), return the weights $\alpha^{\langle t,\cdot\rangle}$, shape $(T_x,)$, and
    the context $c^{\langle t\rangle}$, shape $(2n_a,)$, with section 3's formulas. The weights
    come as `nn.Linear` stores them: `w_s` is `W_s.weight`, shape $(n_{att}, n_s)$; `v` is a
    vector. The check compares with the trained model's own `attend`.
    """
)

code(
    r"""
    def attention_step(
        s_prev: np.ndarray, a: np.ndarray, w_s: np.ndarray, w_a: np.ndarray, b_a: np.ndarray,
        v: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        # e⟨t,t'⟩ = v · tanh(w_s s⟨t−1⟩ + w_a a⟨t'⟩ + b_a); α = softmax over t'; c = Σ α a⟨t'⟩
        raise NotImplementedError
    """,
    solution=r"""
    def attention_step(
        s_prev: np.ndarray, a: np.ndarray, w_s: np.ndarray, w_a: np.ndarray, b_a: np.ndarray,
        v: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        # e⟨t,t'⟩ = v · tanh(w_s s⟨t−1⟩ + w_a a⟨t'⟩ + b_a); α = softmax over t'; c = Σ α a⟨t'⟩
        e = np.tanh(w_s @ s_prev + a @ w_a.T + b_a) @ v  # one score per encoder step
        alpha = np.exp(e - e.max())
        alpha /= alpha.sum()
        return alpha, alpha @ a
    """,
)

code(
    r"""
    x_one, _ = reversal_batch(1, 6, np.random.default_rng(7))
    with cg.no_grad():
        a_one, s_one = reverser.encode(x_one)
        alpha_ref, c_ref = reverser.attend(s_one, a_one)  # the first decoder step, t = 1
    weights = [reverser.W_s.weight, reverser.W_a.weight, reverser.W_a.bias, reverser.v.weight[0]]
    weights = [w.detach().numpy() for w in weights]  # w_s, w_a, b_a, v as NumPy arrays
    check(
        "α⟨1,t'⟩ and c⟨1⟩",
        lambda: attention_step(s_one[0].numpy(), a_one[0].numpy(), *weights),
        (alpha_ref[0].numpy(), c_ref[0].numpy()),
        atol=1e-5,
    )
    """
)

md(
    r"""
    **3. Greedy decoding until `<eos>`.** Write `greedy_reverse(model, digits, max_len)` for one
    input: encode `digits` followed by `<eos>`, then from `<sos>` take one `model.step` at a
    time, feeding back the highest-scoring token, and return the list of tokens written, up to
    and including the first `<eos>` (or `max_len` tokens if none comes). Use `model.encode` and
    `model.step` on batches of one. The check compares with section 3's batched `decode`, cut
    at the first `<eos>`, including an input longer than any the model was trained on.
    """
)

code(
    r"""
    def greedy_reverse(model: Reverser, digits: list[int], max_len: int = 20) -> list[int]:
        # the tokens the model writes for `digits` + <eos>, stopping after the first <eos>
        raise NotImplementedError
    """,
    solution=r"""
    def greedy_reverse(model: Reverser, digits: list[int], max_len: int = 20) -> list[int]:
        # the tokens the model writes for `digits` + <eos>, stopping after the first <eos>
        with cg.no_grad():
            a, s = model.encode(np.array([[*digits, EOS]]))
            token, written = SOS, []
            while len(written) < max_len:
                score, s, _ = model.step(np.array([token]), s, a)
                token = int(score.numpy().argmax())
                written.append(token)
                if token == EOS:
                    break
        return written
    """,
)

code(
    r"""
    for digits in ([3, 1, 4], [2, 7, 1, 8, 2], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]):
        reference = until_eos(decode(reverser, np.array([[*digits, EOS]]), steps=20)[0][0])
        check(
            f"greedy decoding of {digits}",
            lambda d=digits: greedy_reverse(reverser, d, 20),
            reference,
        )
    """
)

md(
    r"""
    **4. (Open) Without attention.** Replace the context $c^{\langle t\rangle}$ by the
    encoder's last state for every $t$ (the "entire sentence must be encoded" model). How does
    the accuracy change with the length $n$? Then train on lengths 3–8 and decode inputs of 10
    and 12 digits: which model generalises to longer sequences, and what do the attention maps
    of the long inputs look like?
    """
)


def _sync():
    """notebooks/solutions/sync.py, loaded as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("sync", HERE / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_solution() -> None:
    """The solution notebook in sync.py's layout, with the worked answers above as solved cells."""
    sync = _sync()
    nb = nbformat.read(MAIN, as_version=4)
    solved = {}
    for kind, source, worked in CELLS:
        if kind == "code" and worked is not None:
            solved[sync.stubs(source)[0]] = worked
    write(sync.build(nb, MAIN.stem, solved), HERE / NAME)


if __name__ == "__main__":
    build(CELLS, MAIN)
    write_solution()
