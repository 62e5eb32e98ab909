"""NumPy code as users write it: broadcasting, reductions, methods, shape operations."""

import numpy as np

_rng = np.random.default_rng(20240531)


def _normal(*shape):
    return _rng.standard_normal(shape)


def _positive(*shape):
    return _rng.uniform(0.5, 2.0, shape)


WEIGHTS = np.array([0.5, -1.0, 2.0])      # a global array constant


def l2_norm(x):
    return np.sqrt(np.sum(x ** 2))


def mean_squared_error(prediction, target):
    return np.mean((prediction - target) ** 2)


def weighted_features(x):
    scaled = x * WEIGHTS
    return np.sum(scaled + np.exp(-x))


def column_energy(x):
    totals = x.sum(axis=0)
    return totals.dot(totals) + x.mean()


def centered_variance(x):
    mu = x.mean(axis=0, keepdims=True)
    centered = x - mu
    return np.sum(centered ** 2) / len(x)


def variance_identity(x):
    return np.mean(x ** 2) - np.mean(x) ** 2


def gram_energy(x):
    gram = x.T @ x
    return np.sum(gram * gram)


def clipped_blend(a, b):
    upper = np.maximum(a, b)
    lower = np.minimum(a, 0.5 * b)
    return np.sum(upper * lower)


def reshape_and_transpose(x):
    m = np.reshape(x, (2, 3))
    t = np.transpose(m)
    return np.sum(t @ m) + np.sum(x.reshape((3, 2)).T ** 2)


def cosine_similarity(a, b):
    return np.dot(a, b) / (np.sqrt(np.dot(a, a)) * np.sqrt(np.dot(b, b)))


def quadratic_form(x, A, b):
    return 0.5 * x @ A @ x - b @ x


def outer_tanh(column, row):
    return np.sum(np.tanh(column * row))


def scalar_times_matrix(s, m):
    return np.sum(np.sin(s * m) + s / m)


def trig_mix(x):
    return np.sum(np.sin(x) * np.cos(x) + np.arctan(x) + np.tan(0.5 * x) ** 2)


def softplus_total(x):
    return np.sum(np.log1p(np.exp(x))) + np.sum(np.expm1(0.1 * x))


def absolute_deviation(x, center):
    return np.mean(np.abs(x - center))


def rosenbrock_nd(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def squares_and_roots(x):
    return np.sum(np.square(x) + np.sqrt(x) + np.power(x, 1.5) + np.log(x))


def masked_relu_sum(x):
    mask = x > 0.0
    return np.sum(x * mask * WEIGHTS)


def normalize_rows(x):
    norms = np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))
    unit = x / norms
    return np.sum(unit * WEIGHTS)


def hyperbolic_arrays(x):
    return np.sum(np.sinh(x) + np.cosh(x) * np.tanh(x) + np.arcsin(x / 3.0)
                  + np.arccos(x / 4.0))


def sum_over_axes(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2) + np.sum(np.mean(x, axis=-1) ** 3)


def make_penalized_norm(weight):
    def penalized_norm(x):
        return np.sqrt(np.sum(x ** 2)) + weight * np.sum(x ** 4)
    return penalized_norm


CASES = [
    (l2_norm, (_normal(5),), 0),
    (l2_norm, (_normal(5).astype(np.float32),), 0),       # float32 stays float32
    (l2_norm, (np.array([3, -4, 12]),), 0),               # int array -> float64 gradient
    (l2_norm, (_normal(10, 10),), 0),                     # >64 elements: random projections
    (mean_squared_error, (_normal(6), _normal(6)), (0, 1)),
    (mean_squared_error, (_normal(4), np.array([1, 0, 2, -1])), (0, 1)),
    (weighted_features, (_normal(2, 3),), 0),
    (column_energy, (_normal(4, 3),), 0),
    (centered_variance, (_normal(5, 2),), 0),
    (variance_identity, (_normal(7),), 0),
    (gram_energy, (_normal(3, 2),), 0),
    (clipped_blend, (np.array([0.3, -1.2, 2.0]), np.array([[1.0, -0.5, 0.4], [-0.2, 0.7, 3.1]])),
     (0, 1)),
    (reshape_and_transpose, (_normal(6),), 0),
    (cosine_similarity, (_normal(4), _normal(4)), (0, 1)),
    (quadratic_form, (_normal(3), _normal(3, 3), _normal(3)), (0, 1, 2)),
    (outer_tanh, (_normal(2, 1), _normal(1, 3)), (0, 1)),
    (scalar_times_matrix, (0.7, _positive(2, 3)), (0, 1)),
    (scalar_times_matrix, (np.float64(0.7), _positive(2, 3)), (0, 1)),   # NumPy scalar
    (trig_mix, (_normal(2, 2),), 0),
    (softplus_total, (_normal(5),), 0),
    (absolute_deviation, (np.array([0.5, 2.0, -1.0, 3.5]), 1.2), (0, 1)),
    (rosenbrock_nd, (np.array([0.5, 1.2, 0.7, 1.1, -0.3]),), 0),
    (squares_and_roots, (_positive(3, 2),), 0),
    (squares_and_roots, (_positive(3, 2).astype(np.float32),), 0),
    (masked_relu_sum, (np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, 1.5]]),), 0),
    (normalize_rows, (_normal(4, 3),), 0),
    (hyperbolic_arrays, (_rng.uniform(-0.9, 0.9, (2, 3)),), 0),
    (sum_over_axes, (_normal(2, 3, 4),), 0),
    (make_penalized_norm(0.1), (_normal(3),), 0),
]
