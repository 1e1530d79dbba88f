"""nn.summary / Module.summary: layers, output shapes, parameter counts, multiply-adds, totals;
a table object that Jupyter displays once."""

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor
from chaingrad.nn.summary import ModelSummary


def test_summary_of_a_small_model(capsys):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(), nn.Linear(8, 3))
    model[0].bias.requires_grad = False  # a frozen parameter is counted, but not as trainable
    table = nn.summary(model, (2, 4))
    assert capsys.readouterr().out == ""  # created, not printed: Jupyter shows it once
    lines = str(table).splitlines()
    assert lines[0] == "Sequential on input (2, 4)"
    rows = [line.split() for line in lines if line[:1].isdigit()]
    assert rows == [
        ["0", "(Linear)", "(2,", "8)", "40", "64", "64", "B"],
        ["1", "(ReLU)", "(2,", "8)", "0", "–", "64", "B"],
        ["2", "(Dropout)", "(2,", "8)", "0", "–", "64", "B"],
        ["3", "(Linear)", "(2,", "3)", "27", "48", "24", "B"],
    ]
    assert "Total parameters: 67" in table and "Trainable parameters: 59" in table
    assert table.total_parameters == 67 and table.mult_adds == 2 * 4 * 8 + 2 * 8 * 3
    assert model.training  # the summary's evaluation-mode pass restores the mode


def test_summary_displays_once_in_jupyter(capsys):
    table = nn.MLP([3, 2]).summary((1, 3))
    assert capsys.readouterr().out == ""
    assert isinstance(table, ModelSummary)
    html = table._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and "<td" in html
    assert "Total parameters: 8" in html
    assert repr(table) == str(table)  # text/plain is the table itself, not a quoted string
    assert type(str(table)) is str and str(table).startswith("MLP on input (1, 3)")


def test_print_table_still_prints_when_asked(capsys):
    table = nn.summary(nn.MLP([3, 2]), (1, 3), print_table=True)
    assert capsys.readouterr().out.strip() == str(table).strip()


def test_summary_of_an_lstm_from_example_token_ids():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 6)
            self.lstm = nn.LSTM(6, 5, batch_first=True)
            self.head = nn.Linear(5, 3)

        def forward(self, ids):
            out, _ = self.lstm(self.embed(ids))
            return self.head(out)

    ids = np.random.default_rng(0).integers(0, 20, (4, 7))
    table = Tagger().summary(Tensor(ids))
    assert str(table).splitlines()[0] == "Tagger on input (4, 7) int64"
    by_name = {row.name: row for row in table.rows}
    assert by_name["embed"].output_shape == "(4, 7, 6)"
    assert by_name["lstm"].output_shape == "(4, 7, 5), (1, 4, 5), (1, 4, 5)"
    # 28 (batch × step) vectors, each multiplied by W_ih (20 × 6) and W_hh (20 × 5)
    assert by_name["lstm"].mult_adds == 28 * (20 * 6 + 20 * 5)
    assert by_name["embed"].mult_adds == 0
    assert table.output == "(4, 7, 3)"
    assert nn.summary(Tagger(), ids).output == "(4, 7, 3)"  # an ndarray works as well


def test_multiply_adds_of_a_linear_and_a_conv2d_by_hand():
    linear = nn.summary(nn.Linear(10, 4), (6, 10))
    assert linear.mult_adds == 6 * 10 * 4  # 6 rows, each a (10,) · (10, 4) product
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1))
    table = conv.summary((2, 3, 9, 9))
    # output (2, 8, 5, 5): every element is a dot product over 3 channels × 3 × 3 positions
    assert table.rows[0].output_shape == "(2, 8, 5, 5)"
    assert table.rows[0].mult_adds == 2 * 8 * 5 * 5 * 3 * 3 * 3
    assert table.rows[0].output_bytes == 2 * 8 * 5 * 5 * 4  # float32
    assert "10,800" in str(table)


def test_a_recurrent_cell_model_is_its_own_row():
    table = nn.LSTMCell(3, 5).summary((2, 3))
    assert [row.name for row in table.rows] == ["LSTMCell"]
    assert table.mult_adds == 2 * (20 * 3 + 20 * 5)


def test_summary_refuses_what_is_neither_input_nor_shape():
    with pytest.raises(TypeError, match="summary: MLP needs an example input"):
        nn.summary(nn.MLP([3, 2]), "(1, 3)")
    with pytest.raises(ValueError, match="sizes >= 0"):
        nn.summary(nn.MLP([3, 2]), (-1, 3))
