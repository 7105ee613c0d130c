"""evaltools._distinct: the mask path gives np.unique's arrays exactly."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from evaltools._distinct import unique_codes


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 999)),
       st.sampled_from([np.int64, np.int32, np.int8]))
def test_same_as_numpy_unique(key, dtype):
    key = (key % 120 if dtype == np.int8 else key).astype(dtype)
    size = int(key.max()) + 1 + 7
    for inv in (False, True):
        for cnt in (False, True):
            ours = unique_codes(key, size, return_inverse=inv, return_counts=cnt)
            ref = np.unique(key, return_inverse=inv, return_counts=cnt)
            ours, ref = (ours, ref) if isinstance(ref, tuple) else ((ours,), (ref,))
            for a, b in zip(ours, ref):
                assert a.dtype == b.dtype and np.array_equal(a, b)


def test_large_code_space_goes_to_numpy():
    key = np.array([10 ** 9, 3, 10 ** 9])
    values, inverse = unique_codes(key, 10 ** 9 + 1, return_inverse=True)
    assert values.tolist() == [3, 10 ** 9] and inverse.tolist() == [1, 0, 1]


def test_codes_outside_the_space_go_to_numpy():
    """A missing categorical code (-1) or a code past ``size`` is not folded into the mask."""
    key = np.array([2, -1, 2, 0])
    for size in (3, 2):
        ours = unique_codes(key, size, return_inverse=True, return_counts=True)
        ref = np.unique(key, return_inverse=True, return_counts=True)
        assert all(np.array_equal(a, b) for a, b in zip(ours, ref))
