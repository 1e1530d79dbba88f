"""'Classifying names with a character-level RNN', on three made-up languages (no download)."""

import json
import random
import string
import time

import torch
import torch.nn as nn
from torch import optim

torch.manual_seed(0)
torch.set_num_threads(2)

# three "languages", each a syllable inventory; words are 2-3 syllables drawn deterministically
SYLLABLES = {
    "Kelvish": ["ka", "ke", "ki", "ko", "tak", "rek", "ul", "kr", "ath"],
    "Soleni": ["so", "la", "ne", "li", "mia", "ela", "no", "ra", "sia"],
    "Grundar": ["gr", "und", "bor", "dag", "ur", "th", "ok", "brum", "zog"],
}
rng = random.Random(1234)
all_categories = list(SYLLABLES)
n_categories = len(all_categories)
names = []
for category, syllables in SYLLABLES.items():
    for _ in range(80):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))
        names.append((word.capitalize(), category))

all_letters = string.ascii_letters
n_letters = len(all_letters)


def letter_to_index(letter):
    return all_letters.find(letter)


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letter_to_index(letter)] = 1
    return tensor


print(torch.zeros(1, n_letters).shape, line_to_tensor("Jones").size())


class NamesDataset(torch.utils.data.Dataset):
    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, idx):
        name, category = self.pairs[idx]
        label = torch.tensor([all_categories.index(category)], dtype=torch.long)
        return label, line_to_tensor(name), category, name


alldata = NamesDataset(names)
train_set, test_set = torch.utils.data.random_split(
    alldata, [0.8, 0.2], generator=torch.Generator().manual_seed(2024)
)
print(f"train examples = {len(train_set)}, validation examples = {len(test_set)}")


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)
        return output


def label_from_output(output, output_labels):
    top_n, top_i = output.topk(1)
    label_i = top_i[0].item()
    return output_labels[label_i], label_i


rnn = CharRNN(n_letters, 32, n_categories)
print(rnn)
criterion = nn.NLLLoss()
optimizer = optim.SGD(rnn.parameters(), lr=0.05)
n_epochs, batch_size = 6, 16
steps = 0
start = time.perf_counter()
for epoch in range(1, n_epochs + 1):
    rnn.train()
    batches = list(range(len(train_set)))
    random.Random(epoch).shuffle(batches)
    batches = [batches[i : i + batch_size] for i in range(0, len(batches), batch_size)]
    current_loss = 0
    for idx in batches:
        batch_loss = 0
        for i in idx:
            label_tensor, text_tensor, label, text = train_set[i]
            output = rnn.forward(text_tensor)
            loss = criterion(output, label_tensor)
            batch_loss += loss
        batch_loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step()
        optimizer.zero_grad()
        current_loss += batch_loss.item() / len(idx)
        steps += 1
    print(f"epoch {epoch}: average batch loss = {current_loss / len(batches):.4f}")
seconds_per_step = (time.perf_counter() - start) / steps

rnn.eval()
correct, test_loss = 0, 0.0
with torch.no_grad():
    for i in range(len(test_set)):
        label_tensor, text_tensor, label, text = test_set[i]
        output = rnn(text_tensor)
        test_loss += criterion(output, label_tensor).item()
        guess, guess_i = label_from_output(output, all_categories)
        correct += int(guess == label)
accuracy = 100.0 * correct / len(test_set)
test_loss /= len(test_set)
print(f"validation loss {test_loss:.4f}, accuracy {accuracy:.1f}%")
result = {"loss": test_loss, "accuracy": accuracy, "seconds_per_step": seconds_per_step}
print("RESULT " + json.dumps(result))
