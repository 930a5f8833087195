"""Do tables, ages and labels print as kubectl prints them?

Sources: cli-runtime pkg/printers/tabwriter.go (GetNewTabWriter: minwidth 6, padding 3),
apimachinery pkg/util/duration/duration.go (HumanDuration; cases below from its duration_test.go
TestHumanDuration), apimachinery pkg/labels/labels.go (FormatLabels).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from labs.commands.kubectl.table import Table, format_labels, human_duration, tabwrite


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=1), "1s"), (timedelta(seconds=70), "70s"), (timedelta(seconds=190), "3m10s"),
    (timedelta(seconds=70 * 60), "70m"), (timedelta(hours=2, minutes=10), "130m"), (timedelta(hours=6), "6h"),
    (timedelta(hours=4, minutes=15), "4h15m"), (timedelta(hours=26), "26h"), (timedelta(hours=58), "2d10h"),
    (timedelta(days=3), "3d"), (timedelta(days=10), "10d"), (timedelta(days=365 * 2 + 30), "2y30d"),
    (timedelta(days=365 * 9), "9y"), (timedelta(seconds=-1), "0s"), (timedelta(seconds=-3), "<invalid>"),
    (timedelta(seconds=130), "2m10s"), (timedelta(minutes=10), "10m"),
])
def test_human_duration_matches_apimachinery(delta, text):
    assert human_duration(delta) == text


def test_columns_are_padded_by_three_and_the_last_is_not_padded():
    assert tabwrite([["NAME", "AGE"], ["a", "5s"], ["longer-name", "10m"]]) == (
        "NAME          AGE\n"
        "a             5s\n"
        "longer-name   10m\n")


def test_a_narrow_column_is_still_six_wide():
    assert tabwrite([["A", "B", "C"], ["x", "y", "z"]]) == "A     B     C\nx     y     z\n"


def test_an_empty_last_cell_keeps_the_padding_of_the_cell_before():
    assert tabwrite([["IPV4", "IPV6"], ["10.0.0.1", ""]]) == "IPV4       IPV6\n10.0.0.1   \n"


def test_format_labels_sorts_and_says_none():
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_labels({}) == "<none>"


def test_table_adds_namespace_first_and_labels_last_and_hides_wide_columns():
    table = Table([("Name", 0), ("Age", 0), ("Extra", 1)])
    table.add(["x", "1s", "e"], namespace="ns", labels={"app": "x"})
    assert table.render(with_namespace=True, show_labels=True) == (
        "NAMESPACE   NAME   AGE   LABELS\nns          x      1s    app=x\n")
    assert table.render(wide=True) == "NAME   AGE   EXTRA\nx      1s    e\n"
    assert Table([("Name", 0)]).render() == ""
