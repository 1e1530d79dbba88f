"""The shared backward driver and grad modes."""

from chaingrad.autograd import Value, enable_grad, is_grad_enabled, no_grad
from chaingrad.autograd.engine import topological_order


def test_topological_order_puts_parents_first_and_visits_each_node_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is e


def test_grad_mode_context_managers_nest_and_restore():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_grad_mode_restores_after_an_exception():
    try:
        with no_grad():
            raise KeyError
    except KeyError:
        pass
    assert is_grad_enabled()


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def inside():
        return is_grad_enabled()

    assert inside() is False
    assert is_grad_enabled()


def test_grad_mode_is_per_thread():
    import threading

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = is_grad_enabled()  # the other thread's no_grad does not reach this one
    release.set()
    thread.join()
    assert seen == {"main": True, "worker": False}
    assert is_grad_enabled()
