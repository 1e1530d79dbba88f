"""The per-thread stack of module calls that every new tensor is stamped with."""

import threading

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor, no_grad, scopes


def test_a_node_is_stamped_with_the_innermost_call_and_knows_the_outer_ones():
    inner = nn.Linear(3, 2)
    outer = nn.Sequential(inner)
    seen = []

    def look(module, args, output):
        seen.append(output._scope)

    inner.register_forward_hook(look)
    out = outer(Tensor(np.ones((1, 3), np.float32)))
    scope = seen[0]
    assert scope.module is inner and scope.parent.module is outer
    assert [s.module for s in scope.chain()] == [inner, outer]
    assert out._scope is scope  # the Sequential's output is the Linear's node
    assert scopes.current() is None  # every call popped its scope
    assert Tensor(np.ones(2))._scope is None  # made outside every module


def test_constants_made_inside_a_module_are_stamped_too():
    layer = nn.Flatten()
    with no_grad():
        out = layer(Tensor(np.ones((2, 3, 4), np.float32)))
    assert out._scope is not None and out._scope.module is layer


def test_an_exception_inside_forward_leaves_the_stack_as_it_was():
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    class Catches(nn.Module):
        def __init__(self):
            super().__init__()
            self.boom = Boom()

        def forward(self, x):
            with pytest.raises(RuntimeError):
                self.boom(x)
            return x * 2.0  # still inside this module's call, not Boom's

    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    model = Catches()
    y = model(x)
    assert y._scope.module is model and y._scope.parent is None
    with pytest.raises(RuntimeError, match="boom"):
        Boom()(x)
    assert scopes.current() is None


def test_the_stack_is_per_thread():
    started, release = threading.Event(), threading.Event()
    seen = {}

    class Waits(nn.Module):
        def forward(self, x):
            started.set()
            release.wait(10)
            return x * 2.0

    module = Waits()
    worker = threading.Thread(target=lambda: seen.setdefault("out", module(Tensor(np.ones(2)))))
    worker.start()
    assert started.wait(10)
    # the worker is inside module's call; this thread is not
    assert scopes.current() is None
    here = Tensor(np.ones(2), requires_grad=True) * 3.0
    assert here._scope is None
    release.set()
    worker.join(10)
    assert seen["out"]._scope.module is module


def test_push_and_pop_nest():
    a = scopes.push("a")
    b = scopes.push("b", (1,))
    assert scopes.current() is b and b.parent is a and b.args == (1,)
    assert "Scope(str < str)" == repr(b)
    scopes.pop(b)
    assert scopes.current() is a
    scopes.pop(a)
    assert scopes.current() is None
