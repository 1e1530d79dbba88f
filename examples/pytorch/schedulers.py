"""Learning-rate schedulers as tutorials use them: OneCycleLR stepped per batch, MultiStepLR and
CosineAnnealingWarmRestarts per epoch, get_last_lr(), and scheduler.state_dict()."""

import json

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, MultiStepLR, OneCycleLR

torch.manual_seed(0)
X = torch.linspace(-1, 1, 64).unsqueeze(1)
y = 2 * X + 0.5


def run(make_scheduler, per_batch, epochs=6, steps=4, opt="sgd"):
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    if opt == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for epoch in range(epochs):
        for i in range(steps):
            xb, yb = X[i::steps], y[i::steps]
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if per_batch:
                lrs.append(scheduler.get_last_lr()[0])
                scheduler.step()
        if not per_batch:
            lrs.append(optimizer.param_groups[0]["lr"])
            scheduler.step()
    return lrs, loss.item()


onecycle, l1 = run(lambda o: OneCycleLR(o, max_lr=0.5, steps_per_epoch=4, epochs=6), True)
onecycle_adam, l2 = run(
    lambda o: OneCycleLR(o, max_lr=0.05, total_steps=24, anneal_strategy="linear"),
    True,
    opt="adam",
)
multistep, l3 = run(lambda o: MultiStepLR(o, milestones=[2, 4], gamma=0.1), False)
warm, l4 = run(lambda o: CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=0.001), False, 8)

# CosineAnnealingWarmRestarts also takes a fractional epoch, stepped inside the batch loop
model = nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=3)
iters = 4
frac = []
for epoch in range(4):
    for i in range(iters):
        optimizer.step()
        scheduler.step(epoch + i / iters)
        frac.append(scheduler.get_last_lr()[0])
state = scheduler.state_dict()
print(onecycle, multistep, warm, frac, sep="\n")
result = {
    "onecycle": onecycle,
    "onecycle_adam": onecycle_adam,
    "multistep": multistep,
    "warm": warm,
    "frac": frac,
    "loss": l1 + l2 + l3 + l4,
    "last_epoch": state["last_epoch"],
}
print("RESULT " + json.dumps(result))
