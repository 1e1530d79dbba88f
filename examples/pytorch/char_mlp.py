"""Bengio-style character MLP (makemore part 2) on the words of the Zen of Python, manual SGD."""

import codecs
import contextlib
import io
import json
import string
import time

import torch
import torch.nn.functional as F

torch.manual_seed(42)
torch.set_num_threads(2)

with contextlib.redirect_stdout(io.StringIO()):
    import this  # prints the Zen of Python on first import
text = codecs.decode(this.s, "rot13").lower()
words = sorted({"".join(c for c in w if c.isalpha()) for w in text.split()} - {""})
chars = sorted(set("".join(words)) | set(string.ascii_lowercase))  # 26 letters + "."
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(f"{len(words)} words, vocabulary of {vocab_size}")

block_size = 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


X, Y = build_dataset(words)
print(X.shape, X.dtype, Y.shape, Y.dtype)

g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 10), generator=g)
W1 = torch.randn((30, 200), generator=g) * 0.1
b1 = torch.randn(200, generator=g) * 0.01
W2 = torch.randn((200, 27), generator=g) * 0.01
b2 = torch.randn(27, generator=g) * 0
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters), "parameters")
for p in parameters:
    p.requires_grad = True

steps = 300
start = time.perf_counter()
for i in range(steps):
    ix = torch.randint(0, X.shape[0], (32,), generator=g)
    emb = C[X[ix]]  # (32, 3, 10)
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 200 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    if i % 50 == 0:
        print(f"{i:4d}/{steps}: {loss.item():.4f}")
seconds_per_step = (time.perf_counter() - start) / steps

# loss on the whole training set
with torch.no_grad():
    emb = C[X]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    full_loss = F.cross_entropy(logits, Y)
print(f"training loss {full_loss.item():.4f}")

# sample from the model
for _ in range(5):
    out = []
    context = [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        if ix == 0 or len(out) > 20:
            break
        out.append(itos[ix])
    print("".join(out))

print("RESULT " + json.dumps({"loss": full_loss.item(), "seconds_per_step": seconds_per_step}))
