"""Rating bands from the passing score: exact edges, p=0 and p=100."""

import pytest

from dashboard.assessments.rating import Rating, rating_bands, rating_for


@pytest.mark.parametrize(("p", "s", "value"), [
    (60, 100, 4), (60, 80, 4), (60, 79.99, 3), (60, 60, 3), (60, 59.99, 2), (60, 30, 2), (60, 29.99, 1),
    (60, 0, 1),
    (0, 0, 3), (0, 49.99, 3), (0, 50, 4), (0, 100, 4),
    (100, 100, 4), (100, 99.99, 2), (100, 50, 2), (100, 49.99, 1),
    (50, 75, 4), (50, 74.9, 3), (50, 25, 2), (50, 24.9, 1),
])
def test_rating_for_edges(p, s, value):
    assert rating_for(p, s).value == value


def test_rating_labels_are_levers():
    assert rating_for(60, 90) == Rating(4, "4 - Strong Hire")
    assert rating_for(60, 70) == Rating(3, "3 - Hire")
    assert rating_for(60, 40) == Rating(2, "2 - No Hire")
    assert rating_for(60, 10) == Rating(1, "1 - Strong No Hire")


def test_bands_cover_0_to_100_without_gaps():
    bands = rating_bands(60)
    assert [b[0] for b in bands] == [4, 3, 2, 1]
    assert bands[0][2:] == (80.0, 100.0)
    assert bands[1][2:] == (60.0, 80.0)
    assert bands[2][2:] == (30.0, 60.0)
    assert bands[3][2:] == (0.0, 30.0)


def test_bands_agree_with_rating_for():
    for p in (0, 37.5, 60, 100):
        for value, _label, low, high in rating_bands(p):
            if low < high or value == 4:
                assert rating_for(p, low).value == value
