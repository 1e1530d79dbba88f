"""REINFORCE (the PyTorch examples' reinforce.py) on a tiny corridor walk, with
torch.distributions.Categorical: sample, log_prob, entropy."""

import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

torch.manual_seed(0)
rng = np.random.default_rng(0)
gamma = 0.95
eps = np.finfo(np.float32).eps.item()


class Corridor:
    """Start in the middle of 7 cells; reach the right end for +1, the left end for -1."""

    def reset(self):
        self.pos = 3
        return self.obs()

    def obs(self):
        return np.eye(7, dtype=np.float32)[self.pos]

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        if rng.random() < 0.1:
            self.pos = max(0, min(6, self.pos + (1 if rng.random() < 0.5 else -1)))
        done = self.pos in (0, 6)
        reward = 1.0 if self.pos == 6 else (-1.0 if self.pos == 0 else -0.01)
        return self.obs(), reward, done


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(7, 32)
        self.dropout = nn.Dropout(p=0.0)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
env = Corridor()
entropies = []


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    entropies.append(m.entropy().item())
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps) if len(returns) > 1 else returns
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


running = []
for i_episode in range(150):
    state, ep_reward = env.reset(), 0
    for t in range(1, 50):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break
    running.append(ep_reward)
    finish_episode()

with torch.no_grad():
    probs = policy(torch.eye(7)[1:6])
    p_right = probs[:, 1].mean().item()
    logits_dist = Categorical(logits=torch.tensor([[0.0, 1.0, 2.0]]))
    lp = logits_dist.log_prob(torch.tensor([2])).item()
    ent = logits_dist.entropy().item()
print(f"last 30 episodes mean reward {np.mean(running[-30:]):.3f}, p(right) {p_right:.3f}")
result = {
    "reward": float(np.mean(running[-30:])),
    "p_right": p_right,
    "log_prob": lp,
    "entropy": ent,
}
print("RESULT " + json.dumps(result))
