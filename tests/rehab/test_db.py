import pytest

from rehab.db import id_slices


@pytest.mark.parametrize(
    ("ids", "size", "slices"),
    [([], 3, []), ([1, 2], 3, [[1, 2]]), ([1, 2, 3], 3, [[1, 2, 3]]), ([5, 4, 3, 2, 1], 2, [[5, 4], [3, 2], [1]])],
)
def test_id_slices_keep_order_and_size(ids, size, slices):
    assert list(id_slices(ids, size)) == slices


def test_id_slices_default_stays_under_postgresqls_parameter_limit():
    assert max(len(part) for part in id_slices(range(200_000))) < 65_535
    assert sum(len(part) for part in id_slices(iter(range(200_000)))) == 200_000
