"""A seq2seq toy with dot-product attention (torch.bmm, F.softmax) on padded variable-length
sequences (nn.utils.rnn.pad_sequence): reverse a sequence of digits."""

import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
VOCAB, PAD, BOS = 12, 0, 1  # tokens 2..11 are the digits


def make_batch(n):
    lengths = torch.randint(3, 7, (n,))
    seqs = [torch.randint(2, VOCAB, (int(k),)) for k in lengths]
    src = pad_sequence(seqs, batch_first=True, padding_value=PAD)
    tgt = pad_sequence([s.flip(0) for s in seqs], batch_first=True, padding_value=PAD)
    return src, tgt, lengths


class Seq2Seq(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, hidden)
        self.pos = nn.Embedding(8, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True, bidirectional=False)
        self.query = nn.Linear(hidden, hidden)
        self.out = nn.Linear(2 * hidden, VOCAB)

    def forward(self, src, steps):
        enc, h = self.encoder(self.embed(src))  # (B, S, H)
        B = src.shape[0]
        positions = torch.arange(steps).unsqueeze(0).expand(B, steps)
        q = self.query(self.pos(positions) + h[-1].unsqueeze(1))  # (B, T, H)
        scores = torch.bmm(q, enc.transpose(1, 2)) / enc.size(-1) ** 0.5  # (B, T, S)
        mask = (src == PAD).unsqueeze(1)
        scores = scores.masked_fill(mask, float("-inf"))
        attn = F.softmax(scores, dim=-1)
        context = torch.bmm(attn, enc)
        return self.out(torch.cat([context, q], dim=-1)), attn


model = Seq2Seq()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss(ignore_index=PAD)
for step in range(250):
    src, tgt, lengths = make_batch(32)
    logits, _ = model(src, tgt.shape[1])
    loss = criterion(logits.reshape(-1, VOCAB), tgt.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    src, tgt, lengths = make_batch(200)
    logits, attn = model(src, tgt.shape[1])
    loss = criterion(logits.reshape(-1, VOCAB), tgt.reshape(-1)).item()
    pred = logits.argmax(-1)
    mask = tgt != PAD
    accuracy = ((pred == tgt) & mask).sum().item() / mask.sum().item() * 100
    row_sums = attn.sum(-1)
print(f"eval loss {loss:.4f} token accuracy {accuracy:.1f}%")
result = {"loss": loss, "accuracy": accuracy, "attn_rows": round(row_sums.mean().item(), 4)}
print("RESULT " + json.dumps(result))
