"""Aim a bouncing ball: differentiate a small physics simulation and use the gradient.

A ball is thrown from the origin with speed (vx, vy). A `while` loop steps it forward with
explicit Euler until it has travelled past the wall at x = WALL; when it hits the ground it
bounces, losing some of its vertical speed. We want it to cross the wall at height TARGET
after one bounce.

`grad` differentiates the whole simulation — loop, value-dependent bounce branch, stopping
condition — with respect to the initial velocity, and Newton's method on the height uses that
derivative to find the launch speed. Run: python examples/projectile.py
"""

import numpy as np

from chainrule import check_grad, grad, value_and_grad

GRAVITY = 9.81
DT = 0.001
WALL = 4.0
TARGET = 0.6


def height_at_wall(vy, vx):
    x, y = 0.0, 0.0
    while x < WALL:
        vy = vy - GRAVITY * DT
        x = x + vx * DT
        y = y + vy * DT
        if y < 0.0:               # bounce: reflect, keep 80% of the vertical speed
            y = -y
            vy = -0.8 * vy
    return y


def miss(vy, vx):
    """Squared distance between where the ball crosses the wall and the target."""
    return (height_at_wall(vy, vx) - TARGET) ** 2


def aim(vy, vx, steps=20):
    """Newton's method on height_at_wall(vy) - TARGET, using chainrule's derivative."""
    height_and_slope = value_and_grad(height_at_wall)
    for _ in range(steps):
        height, slope = height_and_slope(vy, vx)
        if abs(height - TARGET) < 1e-10:
            break
        vy = vy - (height - TARGET) / slope
    return vy


def main():
    vx = 3.0
    vy0 = 4.5
    print(f"launch vy = {vy0}: crosses the wall at height {height_at_wall(vy0, vx):.4f}")
    error = check_grad(height_at_wall, vy0, vx, wrt=(0, 1))
    print(f"derivatives match finite differences (scaled error {error:.2e})")

    vy = aim(vy0, vx)
    height = height_at_wall(vy, vx)
    print(f"aimed: vy = {vy:.6f} crosses the wall at height {height:.10f} (target {TARGET})")
    ok = abs(height - TARGET) < 1e-8
    print("OK  hit the target" if ok else "FAIL missed the target")

    # The same derivative through the loss, as gradient descent would use it:
    dmiss = grad(miss, wrt=("vy", "vx"))(vy0, vx)
    print(f"d(miss)/d(vy, vx) at the start: ({dmiss[0]:.4f}, {dmiss[1]:.4f})")
    print("\nThe generated gradient of the simulation:\n")
    print(grad(height_at_wall).source_for(vy0, vx))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
