"""Forward hooks, as PyTorch's: per module and global, with handles that remove them."""

import numpy as np

import chaingrad.nn as nn
from chaingrad.autograd import Tensor
from chaingrad.nn.module import register_module_forward_hook


def test_a_module_hook_sees_inputs_and_output_and_can_replace_the_output():
    layer = nn.Linear(3, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append((m, args, out)))
    x = Tensor(np.ones((4, 3), np.float32))
    out = layer(x)
    assert seen == [(layer, (x,), out)]
    handle.remove()
    replacing = layer.register_forward_hook(lambda m, args, out: out * 0.0)
    assert np.all(layer(x).data == 0.0)
    replacing.remove()
    replacing.remove()  # twice is harmless
    assert layer(x).shape == (4, 2) and np.any(layer(x).data != 0.0)
    assert len(seen) == 1


def test_hooks_belong_to_their_module_only():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    calls = []
    with model[0].register_forward_hook(lambda m, a, o: calls.append(type(m).__name__)):
        model(Tensor(np.ones((2, 3), np.float32)))
    model(Tensor(np.ones((2, 3), np.float32)))
    assert calls == ["Linear"]
    assert "_forward_hooks" not in model[2].__dict__  # no dict until a hook is registered


def test_global_hooks_run_for_every_module_before_its_own_hooks():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    order = []
    own = model[1].register_forward_hook(lambda m, a, o: order.append(("own", type(m).__name__)))
    with register_module_forward_hook(lambda m, a, o: order.append(("all", type(m).__name__))):
        model(Tensor(np.ones((1, 3), np.float32)))
    own.remove()
    assert order == [
        ("all", "Linear"),
        ("all", "Tanh"),
        ("own", "Tanh"),
        ("all", "Sequential"),
    ]
    order.clear()
    model(Tensor(np.ones((1, 3), np.float32)))
    assert order == []


def test_summary_and_step_graph_leave_no_hook_behind():
    from chaingrad.nn import module

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    nn.summary(model, (2, 3), print_table=False)
    assert module._global_forward_hooks == {}
