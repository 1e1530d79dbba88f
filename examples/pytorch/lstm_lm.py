"""A small word-level-style LSTM language model on the characters of the Zen of Python."""

import codecs
import contextlib
import io
import json
import math
import time

import torch
import torch.nn as nn

torch.manual_seed(0)

with contextlib.redirect_stdout(io.StringIO()):
    import this
text = codecs.decode(this.s, "rot13")
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
data = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)
vocab_size = len(chars)
print(f"{len(text)} characters, vocabulary {vocab_size}")

batch_size, seq_len = 8, 32
n_batch = data.size(0) // batch_size
data = data[: n_batch * batch_size].view(batch_size, -1)  # (batch, time), batch_first


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden_dim, vocab_size)
        self.hidden_dim = hidden_dim

    def forward(self, x, hidden):
        emb = self.embed(x)
        out, hidden = self.lstm(emb, hidden)
        logits = self.fc(out.reshape(-1, self.hidden_dim))
        return logits, hidden

    def init_hidden(self, bsz):
        return (torch.zeros(1, bsz, self.hidden_dim), torch.zeros(1, bsz, self.hidden_dim))


model = CharLSTM(vocab_size, 16, 64)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
epochs, steps = 8, 0
start = time.perf_counter()
for epoch in range(epochs):
    model.train()
    hidden = model.init_hidden(batch_size)
    total = 0.0
    n = 0
    for i in range(0, data.size(1) - 1, seq_len):
        L = min(seq_len, data.size(1) - 1 - i)
        inputs, targets = data[:, i : i + L], data[:, i + 1 : i + 1 + L]
        hidden = tuple(h.detach() for h in hidden)  # truncated backprop through time
        optimizer.zero_grad()
        logits, hidden = model(inputs, hidden)
        loss = criterion(logits, targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
        n += 1
        steps += 1
    print(f"epoch {epoch}: loss {total / n:.4f}, perplexity {math.exp(total / n):.2f}")
seconds_per_step = (time.perf_counter() - start) / steps

model.eval()
with torch.no_grad():
    hidden = model.init_hidden(1)
    x = torch.tensor([[stoi["B"]]])
    out = ["B"]
    for _ in range(60):
        logits, hidden = model(x, hidden)
        ix = torch.argmax(logits, dim=-1).item()
        out.append(chars[ix])
        x = torch.tensor([[ix]])
print("".join(out))
print("RESULT " + json.dumps({"loss": total / n, "seconds_per_step": seconds_per_step}))
