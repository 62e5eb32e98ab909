import numpy as np
import pytest

import chainrule


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def fresh_cache():
    chainrule.clear_cache()
    yield
    chainrule.clear_cache()
