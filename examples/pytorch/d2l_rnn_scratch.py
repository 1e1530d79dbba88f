"""d2l GRU and LSTM from scratch on a toy sequence, with gradient clipping by hand."""

import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
text = (
    "the time traveller for so it will be convenient to speak of him was expounding a recondite "
    "matter to us his grey eyes shone and twinkled and his usually pale face was flushed "
) * 3
vocab = sorted(set(text))
char_to_idx = {ch: i for i, ch in enumerate(vocab)}
corpus = torch.tensor([char_to_idx[ch] for ch in text])
vocab_size, num_hiddens, num_steps, batch_size = len(vocab), 32, 16, 8


def get_params(vocab_size, num_hiddens, gates):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape) * 0.01

    def three():
        return (
            normal((num_inputs, num_hiddens)),
            normal((num_hiddens, num_hiddens)),
            torch.zeros(num_hiddens),
        )

    params = []
    for _ in range(gates):
        params.extend(three())
    params += [normal((num_hiddens, num_outputs)), torch.zeros(num_outputs)]
    for param in params:
        param.requires_grad_(True)
    return params


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    (H,) = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


def lstm(inputs, state, params):
    [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params
    (H, C) = state
    outputs = []
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)
        F_ = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = F_ * C + I * C_tilda
        H = O * torch.tanh(C)
        Y = (H @ W_hq) + b_q
        outputs.append(Y)
    return torch.stack(outputs).reshape(-1, vocab_size), (H, C)


def grad_clipping(params, theta):
    norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train(fn, gates, n_state, lr=1.0, epochs=40):
    params = get_params(vocab_size, num_hiddens, gates)
    for epoch in range(epochs):
        offset = int(torch.randint(0, num_steps, (1,)))
        n = (len(corpus) - offset - 1) // (batch_size * num_steps) * (batch_size * num_steps)
        Xs = corpus[offset : offset + n].reshape(batch_size, -1)
        Ys = corpus[offset + 1 : offset + 1 + n].reshape(batch_size, -1)
        state = tuple(torch.zeros((batch_size, num_hiddens)) for _ in range(n_state))
        total, count = 0.0, 0
        for i in range(0, Xs.shape[1], num_steps):
            X, Y = Xs[:, i : i + num_steps], Ys[:, i : i + num_steps]
            state = tuple(s.detach() for s in state)
            inputs = F.one_hot(X.T, vocab_size).type(torch.float32)
            y_hat, state = fn(inputs, state, params)
            y = Y.T.reshape(-1)
            l = F.cross_entropy(y_hat, y.long()).mean()
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
            l.backward()
            grad_clipping(params, 1)
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
            total += l.item() * y.numel()
            count += y.numel()
    return math.exp(total / count)


gru_ppl = train(gru, 3, 1)
lstm_ppl = train(lstm, 4, 2)
print(f"perplexity gru {gru_ppl:.2f} lstm {lstm_ppl:.2f}")
result = {"loss": gru_ppl, "lstm": lstm_ppl}
print("RESULT " + json.dumps(result))
