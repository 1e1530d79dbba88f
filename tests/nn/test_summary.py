"""nn.summary: layers, output shapes, parameter counts, totals."""

import chaingrad.nn as nn


def test_summary_of_a_small_model(capsys):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(), nn.Linear(8, 3))
    model[0].bias.requires_grad = False  # a frozen parameter is counted, but not as trainable
    text = nn.summary(model, (2, 4))
    assert capsys.readouterr().out.strip() == text.strip()
    lines = text.splitlines()
    assert lines[0] == "Sequential on input (2, 4)"
    rows = [line.split() for line in lines if line[:1].isdigit()]
    assert rows == [
        ["0", "(Linear)", "(2,", "8)", "40"],
        ["1", "(ReLU)", "(2,", "8)", "0"],
        ["2", "(Dropout)", "(2,", "8)", "0"],
        ["3", "(Linear)", "(2,", "3)", "27"],
    ]
    assert "Total parameters: 67" in text and "Trainable parameters: 59" in text
    assert model.training  # the summary's evaluation-mode pass restores the mode


def test_summary_can_stay_quiet(capsys):
    text = nn.summary(nn.MLP([3, 2]), (1, 3), print_table=False)
    assert capsys.readouterr().out == "" and "Total parameters: 8" in text
