"""Small models and simulations: losses of the kind people write to teach or fit things."""

import numpy as np

GRAVITY = 9.81
GRAVITATIONAL_CONSTANT = 6.674e-11

_rng = np.random.default_rng(7)


def _normal(*shape):
    return _rng.standard_normal(shape)


def logistic_regression_loss(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(labels * log_probs) / logits.shape[0]


def softmax_cross_entropy_unshifted(logits, labels):
    log_norm = np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    return -np.mean(np.sum(labels * (logits - log_norm), axis=1))


def mlp_loss(W1, b1, W2, b2, X, y):
    hidden = np.tanh(X @ W1.T + b1)
    prediction = hidden @ W2 + b2
    return np.mean((prediction - y) ** 2)


def gaussian_log_likelihood(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(-0.5 * z ** 2 - log_sigma - 0.5 * np.log(2.0 * np.pi))


def ridge_loss(w, X, y, lam=0.1):
    residual = X.dot(w) - y
    return residual.dot(residual) / len(y) + lam * np.sum(w ** 2)


def hinge_loss(w, X, y):
    margins = 1.0 - y * (X @ w)
    return np.mean(np.maximum(0.0, margins))


def poisson_nll(eta, counts):
    return np.sum(np.exp(eta) - counts * eta)


def attention_energy(q, K, V):
    scores = q @ K.T / np.sqrt(K.shape[1])
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    context = weights @ V
    return np.sum(context ** 2)


def spring_chain_energy(x, k, rest):
    stretch = x[1:] - x[:-1] - rest
    return 0.5 * k * np.sum(stretch ** 2)


def two_body_potential(p1, p2, m1, m2):
    separation = np.sqrt(np.sum((p1 - p2) ** 2))
    return -GRAVITATIONAL_CONSTANT * m1 * m2 / separation


def pendulum_energy(theta, omega, length=2.0, mass=0.5):
    kinetic = 0.5 * mass * (length * omega) ** 2
    potential = mass * GRAVITY * length * (1.0 - np.cos(theta))
    return np.sum(kinetic + potential)


def trajectory_fit(speed, angle, t, observed):
    vx, vy = speed * np.cos(angle), speed * np.sin(angle)
    x = vx * t
    y = vy * t - 0.5 * GRAVITY * t ** 2
    return np.sum((x - observed[0]) ** 2 + (y - observed[1]) ** 2)


def make_regularized_loss(lam):
    def regularized_loss(w, X, y):
        residual = X @ w - y
        data = np.mean(residual ** 2)
        return data + lam * np.sum(np.abs(w))
    return regularized_loss


def linear_layer_transposed(W, x):
    out = np.matmul(W, x)
    return np.sum(np.transpose(np.reshape(out, (2, 2))) * np.array([[1.0, 2.0], [3.0, 4.0]]))


_X = _normal(8, 3)
_y_binary = (_rng.uniform(size=8) > 0.5).astype(float)
_labels = np.eye(3)[[0, 2, 1, 1]]
_W1, _b1, _W2, _b2 = _normal(4, 3), _normal(4), _normal(4), 0.3
_t = np.linspace(0.1, 1.0, 5)
_observed = np.stack([8.0 * _t, 6.0 * _t - 4.9 * _t ** 2]) + 0.1 * _normal(2, 5)

CASES = [
    (logistic_regression_loss, (_normal(3), 0.2, _X, _y_binary), (0, 1)),
    (logistic_regression_loss, (_normal(3).astype(np.float32), np.float32(0.2),
                                _X.astype(np.float32), _y_binary.astype(np.float32)), (0, 1)),
    (softmax_cross_entropy, (_normal(4, 3), _labels), 0),
    (softmax_cross_entropy_unshifted, (_normal(4, 3), _labels), 0),
    (mlp_loss, (_W1, _b1, _W2, _b2, _X, _normal(8)), (0, 1, 2, 3)),
    (mlp_loss, (_W1.astype(np.float32), _b1.astype(np.float32), _W2.astype(np.float32),
                np.float32(_b2), _X.astype(np.float32), _normal(8).astype(np.float32)),
     (0, 1, 2, 3)),
    (gaussian_log_likelihood, (0.3, -0.2, _normal(6)), (0, 1)),
    (gaussian_log_likelihood, (_normal(6), _normal(6) * 0.1, _normal(6)), (0, 1, 2)),
    (ridge_loss, (_normal(3), _X, _normal(8)), 0),
    (ridge_loss, (_normal(3), _X, _normal(8), 0.5), (0, 3)),
    (hinge_loss, (np.array([0.4, -0.7, 1.1]), _X, np.array([1., -1., 1., 1., -1., -1., 1., -1.])),
     0),
    (poisson_nll, (_normal(5) * 0.5, np.array([0, 2, 1, 4, 1])), 0),
    (attention_energy, (_normal(2, 4), _normal(3, 4), _normal(3, 2)), (0, 1, 2)),
    (spring_chain_energy, (np.array([0.0, 1.1, 2.3, 2.9, 4.2]), 3.0, 1.0), (0, 1, 2)),
    (two_body_potential, (np.array([1.0, 2.0, -0.5]), np.array([-1.0, 0.5, 0.5]), 5.0e10, 3.0e10),
     (0, 1)),
    (pendulum_energy, (np.array([0.1, 0.4, -0.3]), np.array([1.0, -0.5, 0.2])), (0, 1)),
    (pendulum_energy, (np.array([0.1, 0.4, -0.3]), np.array([1.0, -0.5, 0.2]), 1.5, 2.0),
     (0, 1, 2, 3)),
    (trajectory_fit, (10.0, 0.7, _t, _observed), (0, 1)),
    (make_regularized_loss(0.05), (np.array([0.4, -0.7, 1.1]), _X, _normal(8)), 0),
    (linear_layer_transposed, (_normal(4, 3), _normal(3)), (0, 1)),
    (linear_layer_transposed, (np.array([[1, 2, 0], [0, -1, 3], [2, 2, 1], [-1, 0, 1]]),
                               np.array([1, -2, 3])), (0, 1)),
]
