"""Scalar formulas as users write them: Python floats, the ``math`` module, builtins."""

import math

GRAVITY = 9.81                 # module-level constants, read as globals
STANDARD_GRAVITATIONAL_PARAMETER = 398600.4418   # Earth, km^3/s^2
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def quadratic(x):
    return 3 * x ** 2 - 4 * x + 5


def rosenbrock(x, y, a=1.0, b=100.0):
    return (a - x) ** 2 + b * (y - x ** 2) ** 2


def projectile_range(speed, angle):
    return speed ** 2 * math.sin(2.0 * angle) / GRAVITY


def spring_energy(k, x, rest_length):
    stretch = x - rest_length
    return 0.5 * k * stretch ** 2


def pendulum_period(length, amplitude):
    small_angle = 2.0 * math.pi * math.sqrt(length / GRAVITY)
    correction = 1.0 + amplitude ** 2 / 16.0 + 11.0 * amplitude ** 4 / 3072.0
    return small_angle * correction


def mechanical_energy(mass, speed, height):
    kinetic = 0.5 * mass * speed ** 2
    potential = mass * GRAVITY * height
    return kinetic + potential


def orbital_speed(radius, semi_major_axis):
    return math.sqrt(STANDARD_GRAVITATIONAL_PARAMETER * (2.0 / radius - 1.0 / semi_major_axis))


def logistic_unit(x, w, b):
    z = w * x + b
    return 1.0 / (1.0 + math.exp(-z))


def softplus(x):
    return math.log1p(math.exp(x))


def gaussian_log_pdf(x, mu, sigma):
    z = (x - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - LOG_SQRT_2PI


def normal_cdf(x, mu=0.0, sigma=1.0):
    return 0.5 * (1.0 + math.erf((x - mu) / (sigma * math.sqrt(2.0))))


def polar_distance(r, theta):
    px, py = r * math.cos(theta), r * math.sin(theta)
    return math.hypot(px - 1.0, py + 0.5)


def heading(dx, dy):
    bearing = math.atan2(dy, dx)
    return math.degrees(bearing)


def running_update(x):
    y = x
    y += 2.0 * x
    y *= x
    y -= 1.0
    y /= 3.0
    y **= 2
    return y


def reassigned_parameter(x):
    x = 2.0 * x
    x = math.sin(x)
    x = x + x ** 2
    return x


def abs_min_max(a, b):
    spread = abs(a - b)
    return spread + max(a, b) * min(a, b) + max(a, 0.0, b) - min(b, 1.0)


def pow_and_float(base, exponent):
    return pow(base, exponent) + float(base) * pow(exponent, 2)


def sum_of_products(a, b, c):
    return sum([a * b, b * c, c * a]) + sum([a, b], 1.0)


def integer_constants(x):
    degree = int(3.7)
    count = len([1.0, 2.0, 3.0])
    return x ** degree / count


def smooth_step(x):
    above = x > 1.0
    return above * x ** 2 + (1 - above) * (2.0 * x - 1.0)


def trigonometry(x):
    return math.tan(x) + math.atan(x) + math.asin(x / 2.0) * math.acos(x / 3.0) \
        - math.cos(x) ** 2


def hyperbolic(x):
    return math.sinh(x) * math.cosh(x) + math.tanh(x) + math.asinh(x) \
        + math.acosh(1.0 + x * x) + math.atanh(x / 2.0)


def logarithms(x):
    return math.log(x) + math.log(x, 3.0) + math.log2(x) + math.log10(x) + math.expm1(x / 4.0)


def wave_phase(t, omega, phase=0.25):
    angle = math.radians(omega * t) + phase
    return math.fabs(math.sin(angle)) * math.pow(1.0 + t, 1.5)


def sawtooth(t, period):
    return (t % period) / period


def signed_power(x, *, scale=2.0, shift=-1.0):
    return scale * -x ** 3 + +shift * x


def make_scaled_quadratic(a, b):
    def scaled_quadratic(x):
        return a * x ** 2 + b * x
    return scaled_quadratic


def make_damping(zeta):
    def damped_oscillation(t, omega):
        decay = math.exp(-zeta * omega * t)
        return decay * math.cos(omega * t * math.sqrt(1.0 - zeta ** 2))
    return damped_oscillation


CASES = [
    (quadratic, (3.0,), 0),
    (quadratic, (3,), 0),                                # Python int input
    (rosenbrock, (0.5, 1.2), (0, 1)),                    # default arguments
    (rosenbrock, (0.5, 1.2, 2.0, 10.0), ("a", "b")),
    (projectile_range, (20.0, 0.6), (0, 1)),
    (spring_energy, (3.5, 1.7, 1.2), (0, 1, 2)),
    (pendulum_period, (1.5, 0.4), (0, 1)),
    (mechanical_energy, (2.0, 3.0, 10.0), ("mass", "speed", "height")),
    (orbital_speed, (7000.0, 8000.0), (0, 1)),
    (logistic_unit, (0.7, -1.3, 0.4), (0, 1, 2)),
    (softplus, (0.3,), 0),
    (gaussian_log_pdf, (1.2, 0.4, 0.9), (0, 1, 2)),
    (normal_cdf, (0.3,), 0),
    (normal_cdf, (0.3, 0.1, 1.5), (0, 1, 2)),
    (polar_distance, (2.0, 0.7), (0, 1)),
    (heading, (1.5, -0.8), (0, 1)),
    (running_update, (1.3,), 0),
    (reassigned_parameter, (0.4,), 0),
    (abs_min_max, (0.8, 1.9), (0, 1)),
    (abs_min_max, (-0.6, 2.5), (0, 1)),
    (pow_and_float, (1.7, 2.3), (0, 1)),
    (sum_of_products, (0.5, -1.5, 2.0), (0, 1, 2)),
    (integer_constants, (1.4,), 0),
    (smooth_step, (1.6,), 0),
    (smooth_step, (0.4,), 0),
    (trigonometry, (0.6,), 0),
    (hyperbolic, (0.7,), 0),
    (logarithms, (2.5,), 0),
    (wave_phase, (0.8, 40.0), (0, 1)),
    (sawtooth, (3.7, 1.5), (0, 1)),
    (signed_power, (1.1,), 0),
    (make_scaled_quadratic(2.5, -1.0), (0.8,), 0),       # closure constants
    (make_damping(0.2), (0.9, 3.0), (0, 1)),
]
