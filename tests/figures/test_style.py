"""The paper's encodings: truncation markers and labels, palettes, estimator vocabulary."""

import pytest

from metagrad import names
from metagrad.figures import style


def test_markers_follow_the_paper_at_L80():
    # /work/shared/reference/paper-frontier-L80.png: star, circle, square, down-triangle
    assert style.truncation_markers([1, 20, 40, 79], 80) == {1: "*", 20: "o", 40: "s", 79: "v"}


def test_markers_follow_the_paper_at_L30():
    # the paper's figure 8: truncation 22 is a diamond (not the square of truncation 40 at L = 80)
    assert style.truncation_markers([1, 8, 22, 29], 30) == {1: "*", 8: "o", 22: "D", 29: "v"}


def test_other_windows_get_distinct_unused_markers():
    m = style.truncation_markers([1, 3, 5, 7, 9], 10)
    assert m[1] == "*" and m[9] == "v" and len(set(m.values())) == 5


def test_truncation_labels():
    assert style.truncation_label(29, 30) == "no truncation"
    assert style.truncation_label(8, 30) == "truncation 8"


def test_palettes_are_ordered_and_distinct():
    c = style.coefficient_colors([0.0, 1.0])
    d = style.discount_colors([0.0, 1.0])
    assert c[0.0] != c[1.0] and d[0.0] != d[1.0] and c[1.0] != d[1.0]


@pytest.mark.parametrize("legacy,code", sorted(names.LEGACY_CODES.items()))
def test_legacy_codes_read_as_current_codes(legacy, code):
    assert names.canonical(legacy) == code and names.canonical(code) == code
    assert code in names.ESTIMATORS
