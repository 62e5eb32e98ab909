"""Control flow in reverse mode: if/elif/else, ternaries, for and while loops, break,
continue, early returns, for...else, nested loops and loop-carried arrays.

Every function below is checked against central finite differences (``check_grad`` with its
default tolerances) at several inputs, chosen on both sides of every branch and far (much more
than ``eps``) from branch boundaries, with loops running zero, one and many times. Trip counts
come from a non-differentiated argument, either as an int (``range(n)``) or derived from a float
(``range(int(n))``). Further tests look at the generated source: it re-parses, straight-line code and branches save
nothing, and loops save only what the reverse sweep really needs.
"""

import ast
import copy
import math
import re
import time

import numpy as np
import pytest

import chainrule


# =========================================================================================
# if / elif / else, ternaries, and/or/not
# =========================================================================================

def if_else(x):
    if x > 0.5:
        y = x * x * 3.0
    else:
        y = math.sin(x) - x
    return y + x


def if_without_else(x, y):
    z = x * y
    if z > 1.0:
        z = math.log(z) + 1.0
    return z * x


def if_elif_else(x):
    if x < -1.0:
        y = -x * 2.0
    elif x < 1.0:
        y = x ** 3
    elif x < 2.0:
        y = math.exp(x)
    else:
        y = 5.0 * x
    return y


def branches_assign_different_variables(x, y):
    a = x
    b = y
    if x * y > 0.0:
        a = math.sin(x * y)
    else:
        b = math.cos(x) * y
    return a * b + a


def assigned_in_one_branch_and_used_there(x):
    if x > 0.0:
        z = math.exp(x)
        y = z * z
    else:
        y = x * 4.0
    return y


def nested_if(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = math.sin(x + y)
        else:
            r = x * x
    return r * 2.0


def condition_and_or_not(x, y):
    if x > 0.0 and y > 0.0:
        r = x * y
    elif not (x > -1.0) or y < -2.0:
        r = x + 2.0 * y
    else:
        r = x * x - y
    return r


def ternary(x):
    y = x * x if x > 0.0 else -3.0 * x
    return y + 1.0


def ternary_inside_expression(x, y):
    return 2.0 * (x * y if x > y else x - y) + math.sin(x if y > 0.0 else y)


def nested_ternary(x):
    return x * x if x > 1.0 else (math.sin(x) if x > -1.0 else x * 3.0)


def branch_on_array_reduction(w, x):
    s = np.sum(w * x)
    if s > 0.0:
        out = np.sum(np.tanh(w) * x)
    else:
        out = np.sum(w * w) * s
    return out


def branch_reads_value_overwritten_later(x):
    y = x * 2.0
    if y > 1.0:
        z = y * y
    else:
        z = y * 3.0
    y = math.sin(z)
    return y + z


BRANCH_CASES = [
    (if_else, (1.3,), 0, "if_else-then"),
    (if_else, (-0.7,), 0, "if_else-else"),
    (if_else, (0.1,), 0, "if_else-else-positive"),
    (if_without_else, (2.0, 1.5), (0, 1), "if_without_else-taken"),
    (if_without_else, (0.5, 1.2), (0, 1), "if_without_else-not-taken"),
    (if_elif_else, (-2.5,), 0, "elif-first"),
    (if_elif_else, (0.4,), 0, "elif-second"),
    (if_elif_else, (1.6,), 0, "elif-third"),
    (if_elif_else, (3.1,), 0, "elif-else"),
    (branches_assign_different_variables, (0.8, 1.1), (0, 1), "different-vars-then"),
    (branches_assign_different_variables, (-0.8, 1.1), (0, 1), "different-vars-else"),
    (assigned_in_one_branch_and_used_there, (0.6,), 0, "one-branch-then"),
    (assigned_in_one_branch_and_used_there, (-0.6,), 0, "one-branch-else"),
    (nested_if, (1.2, 0.7), (0, 1), "nested_if-pp"),
    (nested_if, (1.2, -0.7), (0, 1), "nested_if-pn"),
    (nested_if, (-1.2, 0.7), (0, 1), "nested_if-np"),
    (nested_if, (-1.2, -2.7), (0, 1), "nested_if-nn"),
    (condition_and_or_not, (1.5, 0.5), (0, 1), "and-true"),
    (condition_and_or_not, (-1.5, 0.5), (0, 1), "not-true"),
    (condition_and_or_not, (0.5, -3.0), (0, 1), "or-second-true"),
    (condition_and_or_not, (0.5, -0.5), (0, 1), "all-false"),
    (ternary, (1.4,), 0, "ternary-then"),
    (ternary, (-1.4,), 0, "ternary-else"),
    (ternary_inside_expression, (1.0, 0.5), (0, 1), "ternary-expr-a"),
    (ternary_inside_expression, (0.2, -0.5), (0, 1), "ternary-expr-b"),
    (ternary_inside_expression, (-1.0, 0.5), (0, 1), "ternary-expr-c"),
    (nested_ternary, (1.5,), 0, "nested-ternary-1"),
    (nested_ternary, (0.3,), 0, "nested-ternary-2"),
    (nested_ternary, (-1.8,), 0, "nested-ternary-3"),
    (branch_on_array_reduction, (np.array([0.5, -0.2, 0.3]), np.array([1.0, 2.0, 3.0])),
     (0, 1), "array-branch-then"),
    (branch_on_array_reduction, (np.array([-0.5, -0.2, 0.3]), np.array([1.0, 2.0, 0.5])),
     (0, 1), "array-branch-else"),
    (branch_reads_value_overwritten_later, (0.9,), 0, "overwritten-then"),
    (branch_reads_value_overwritten_later, (0.2,), 0, "overwritten-else"),
]


# =========================================================================================
# for loops over ranges
# =========================================================================================

def range_loop(x, n):
    y = 0.5
    for i in range(int(n)):
        y = math.sin(y) * 0.9 + 0.1 * x
    return y


def range_loop_index_used(x, n):
    s = x
    for i in range(int(n)):
        s = s * math.cos(x * i) + i * x
    return s


def range_start_stop_step(x, a, b, c):
    y = x
    for i in range(int(a), int(b), int(c)):
        y = y * 0.5 + x * i * 0.1 + math.sin(y)
    return y


def range_computed_from_value(x):
    y = x
    steps = int(x * 3.0) + 2
    for i in range(steps):
        y = y * 0.8 + math.sqrt(x + i)
    return y


def range_of_len(v):
    s = 0.0
    for i in range(len(v) - 1):
        s = s + v[i] * v[i + 1] + np.sin(v[i])
    return s


def reversed_range(x, n):
    y = x
    for i in reversed(range(int(n))):
        y = y * (i + 1.0) * 0.3 + math.tanh(y)
    return y


def accumulate_outer(x, y, n):
    total = 0.0
    prod = 1.0
    for i in range(int(n)):
        total = total + x * i + y
        prod = prod * (1.0 + 0.1 * x * y)
    return total * prod


def augmented_assignment_in_loop(x, n):
    s = 1.0
    for i in range(int(n)):
        s += x * s * 0.1
        s *= 0.99
    return s


def first_assigned_in_loop(x, n):
    for i in range(int(n)):
        t = math.exp(x * (i + 1.0) * 0.2)
        u = t * x
    return t + u


def branch_inside_loop(x, n):
    y = x
    for i in range(int(n)):
        if y > 1.0:
            y = y * 0.5 + 0.1
        else:
            y = y * y + x
    return y


def branch_inside_loop_on_index(x, n):
    y = x
    for i in range(int(n)):
        if i % 2 == 0:
            y = math.sin(y) + x
        else:
            y = y * x * 0.5
    return y


def ternary_in_loop(x, n):
    s = 0.0
    for i in range(int(n)):
        s = s + (x * i if i > 1 else math.cos(x))
    return s


def loop_carried_two_variables(x, n):
    a = x
    b = 1.0
    for i in range(int(n)):
        a, b = b * 0.5 + math.sin(a), a * 0.3
    return a + b


RANGE_CASES = [
    (range_loop, (0.3, 0.0), 0, "range-zero"),
    (range_loop, (0.3, 1.0), 0, "range-one"),
    (range_loop, (0.3, 25.0), 0, "range-many"),
    (range_loop_index_used, (0.4, 0.0), 0, "range-index-zero"),
    (range_loop_index_used, (0.4, 1.0), 0, "range-index-one"),
    (range_loop_index_used, (0.4, 7.0), 0, "range-index-many"),
    (range_start_stop_step, (0.3, 2.0, 9.0, 3.0), 0, "range-2-9-3"),
    (range_start_stop_step, (0.3, 5.0, -3.0, -2.0), 0, "range-negative-step"),
    (range_start_stop_step, (0.3, 5.0, 5.0, 1.0), 0, "range-empty"),
    (range_start_stop_step, (0.3, 1.0, 2.0, 1.0), 0, "range-one-from-start"),
    (range_computed_from_value, (0.5,), 0, "computed-range-3"),
    (range_computed_from_value, (2.2,), 0, "computed-range-8"),
    (range_computed_from_value, (0.1,), 0, "computed-range-2"),
    (range_of_len, (np.array([0.3, -1.2, 0.7, 2.0]),), 0, "range-of-len"),
    (range_of_len, (np.array([0.3]),), 0, "range-of-len-zero"),
    (reversed_range, (0.2, 0.0), 0, "reversed-range-zero"),
    (reversed_range, (0.2, 6.0), 0, "reversed-range-many"),
    (accumulate_outer, (0.7, -0.4, 0.0), (0, 1), "accumulate-zero"),
    (accumulate_outer, (0.7, -0.4, 1.0), (0, 1), "accumulate-one"),
    (accumulate_outer, (0.7, -0.4, 9.0), (0, 1), "accumulate-many"),
    (augmented_assignment_in_loop, (0.6, 12.0), 0, "augassign"),
    (first_assigned_in_loop, (0.5, 1.0), 0, "first-assigned-one"),
    (first_assigned_in_loop, (0.5, 4.0), 0, "first-assigned-many"),
    (branch_inside_loop, (0.3, 6.0), 0, "branch-in-loop-a"),
    (branch_inside_loop, (1.7, 6.0), 0, "branch-in-loop-b"),
    (branch_inside_loop_on_index, (0.4, 5.0), 0, "branch-on-index"),
    (ternary_in_loop, (0.8, 6.0), 0, "ternary-in-loop"),
    (loop_carried_two_variables, (0.4, 5.0), 0, "tuple-assign-carried"),
]


# =========================================================================================
# for loops over arrays, lists, tuples, enumerate, zip, reversed
# =========================================================================================

def over_array_elements(v, w):
    s = 0.0
    for e in v:
        s = s + math.sin(e) * w
    return s


def over_array_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.sum(np.tanh(row * w))
    return s


def over_list_literal(x, y):
    s = 1.0
    for c in [x, 2.0, y * x, math.sin(y)]:
        s = s * c + c
    return s


def over_tuple_literal(x, y):
    s = 0.0
    for c in (y, x * x, 3.0):
        s = s + c * c * x
    return s


def over_list_variable(x, y):
    items = [x, y, x * y]
    s = 0.0
    for c in items:
        s = math.tanh(s + c)
    return s


def over_enumerate(v, x):
    s = 0.0
    for i, e in enumerate(v):
        s = s + (i + 1.0) * e * x + math.cos(e * i)
    return s


def over_zip(a, b):
    s = 0.0
    for p, q in zip(a, b):
        s = s + p * q + math.exp(p - q)
    return s


def over_zip_list_and_array(x, b):
    s = 0.0
    for p, q in zip([x, 2.0 * x, 3.0], b):
        s = s + p * np.sum(q * q)
    return s


def over_reversed_array(v):
    s = 0.5
    for e in reversed(v):
        s = s * 0.7 + math.sin(e * s)
    return s


def over_reversed_list(x, y):
    s = 0.0
    for c in reversed([x, y, x + y]):
        s = s * 2.0 + c * c
    return s


def rnn(W, h0, X):
    h = h0
    for x_t in X:
        h = np.tanh(W @ h + x_t)
    return np.sum(h * h)


def rnn_with_index(W, h0, X):
    h = h0
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + X[t] * (t + 1.0))
    return np.sum(h)


def loop_carried_array_with_outer_accumulator(W, x):
    h = x
    loss = 0.0
    for k in range(3):
        h = np.sin(W @ h) + h * 0.5
        loss = loss + np.sum(h * h) * (k + 1.0)
    return loss


RNG = np.random.default_rng(7)
W3 = RNG.standard_normal((3, 3)) * 0.5
H3 = RNG.standard_normal(3) * 0.5
X43 = RNG.standard_normal((4, 3)) * 0.5

SEQUENCE_CASES = [
    (over_array_elements, (np.array([0.1, -0.4, 1.3]), 0.7), (0, 1), "array-elements"),
    (over_array_elements, (np.array([0.5]), 0.7), (0, 1), "array-one-element"),
    (over_array_elements, (np.zeros(0), 0.7), (0, 1), "array-empty"),
    (over_array_rows, (X43, np.array([0.3, -0.5, 1.1])), (0, 1), "array-rows"),
    (over_list_literal, (0.6, -0.3), (0, 1), "list-literal"),
    (over_tuple_literal, (0.6, -0.3), (0, 1), "tuple-literal"),
    (over_list_variable, (0.6, -0.3), (0, 1), "list-variable"),
    (over_enumerate, (np.array([0.2, -0.1, 0.9, 0.4]), 1.3), (0, 1), "enumerate"),
    (over_zip, (np.array([0.2, -0.1, 0.9]), np.array([0.5, 0.4, -0.3])), (0, 1), "zip"),
    (over_zip, (np.array([0.2, -0.1, 0.9]), np.array([0.5, 0.4])), (0, 1), "zip-unequal"),
    (over_zip_list_and_array, (0.4, X43[:3]), (0, 1), "zip-list-array"),
    (over_reversed_array, (np.array([0.3, 1.2, -0.8, 0.1]),), 0, "reversed-array"),
    (over_reversed_list, (0.6, -0.3), (0, 1), "reversed-list"),
    (rnn, (W3, H3, X43), (0, 1, 2), "rnn"),
    (rnn, (W3, H3, X43[:1]), (0, 1, 2), "rnn-one-step"),
    (rnn, (W3, H3, X43[:0]), (0, 1, 2), "rnn-no-steps"),
    (rnn_with_index, (W3, H3, X43), (0, 1, 2), "rnn-indexed"),
    (loop_carried_array_with_outer_accumulator, (W3, H3), (0, 1), "array-carried-loss"),
]


# =========================================================================================
# nested loops
# =========================================================================================

def triangular_nested(v):
    s = 0.0
    for i in range(len(v)):
        for j in range(i):
            s = s + v[i] * v[j] * (j + 1.0)
    return s


def nested_inner_from_outer(x, n):
    y = x
    for i in range(int(n)):
        for j in range(i, int(n)):
            y = y * 0.9 + math.sin(x * (j - i + 1.0))
        y = math.tanh(y)
    return y


def nested_over_rows_and_elements(X, w):
    s = 0.0
    for row in X:
        acc = 0.0
        for e in row:
            acc = acc + e * w
        s = s + acc * acc
    return s


def while_inside_for(x, n):
    s = 0.0
    for i in range(int(n)):
        y = x + i
        while y < 5.0:
            y = y * 1.5 + 0.2
        s = s + y
    return s


def triple_nested(x):
    s = x
    for i in range(3):
        for j in range(i + 1):
            for k in range(j):
                s = s * 0.9 + x * (i + j * k) * 0.1
    return s


NESTED_CASES = [
    (triangular_nested, (np.array([0.3, -1.1, 0.8, 1.5]),), 0, "triangular"),
    (nested_inner_from_outer, (0.4, 0.0), 0, "inner-from-outer-zero"),
    (nested_inner_from_outer, (0.4, 1.0), 0, "inner-from-outer-one"),
    (nested_inner_from_outer, (0.4, 5.0), 0, "inner-from-outer-many"),
    (nested_over_rows_and_elements, (X43, 0.7), (0, 1), "rows-and-elements"),
    (while_inside_for, (0.37, 4.0), 0, "while-in-for"),
    (triple_nested, (0.6,), 0, "triple"),
]


# =========================================================================================
# while loops
# =========================================================================================

def while_value_dependent(x):
    y = x
    while y < 10.0:
        y = y * 1.5 + 0.1
    return y * x


def while_counter(x, n):
    i = 0
    y = x
    while i < int(n):
        y = math.sin(y) + x * 0.5
        i = i + 1
    return y


def while_compound_condition(x, y):
    k = 0
    while x < 4.0 and k < 10:
        x = x * 1.3 + y * 0.1
        k = k + 1
    return x * y


def while_true_with_break(x):
    y = x
    while True:
        y = y * y + 0.3
        if y > 3.0:
            break
    return y


def bouncing_ball(v0):
    h = 1.0
    v = v0
    t = 0.0
    dt = 0.01
    while t < 1.5:
        v = v - 9.81 * dt
        h = h + v * dt
        if h < 0.0:
            h = -h * 0.8
            v = -v * 0.8
        t = t + dt
    return h + 0.1 * v


def bouncing_ball_until_rest(v0, drag):
    h = 1.0
    v = v0
    bounces = 0
    while bounces < 3:
        v = v - 9.81 * 0.02 - drag * v * 0.02
        h = h + v * 0.02
        if h < 0.0:
            h = -h
            v = -v * 0.7
            bounces = bounces + 1
    return h * 10.0 + v


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-3:
        x = 0.5 * (x + a / x)
    return x


WHILE_CASES = [
    (while_value_dependent, (0.5,), 0, "while-many"),
    (while_value_dependent, (7.0,), 0, "while-one"),
    (while_value_dependent, (12.0,), 0, "while-zero"),
    (while_counter, (0.3, 0.0), 0, "while-counter-zero"),
    (while_counter, (0.3, 1.0), 0, "while-counter-one"),
    (while_counter, (0.3, 8.0), 0, "while-counter-many"),
    (while_compound_condition, (1.1, 0.5), (0, 1), "while-and-value"),
    (while_compound_condition, (0.01, 0.02), (0, 1), "while-and-counter"),
    (while_compound_condition, (5.0, 0.5), (0, 1), "while-and-zero"),
    (while_true_with_break, (0.4,), 0, "while-true-break-many"),
    (while_true_with_break, (2.0,), 0, "while-true-break-first"),
    (newton_sqrt, (2.0,), 0, "newton"),
]


# =========================================================================================
# break, continue, return, for...else
# =========================================================================================

def break_when_large(x, n):
    y = x
    for i in range(int(n)):
        y = y * 1.7 + math.sin(y)
        if y > 4.0:
            break
        y = y + 0.1 * x
    return y * x


def break_in_inner_loop(x):
    s = 0.0
    for i in range(4):
        y = x * (i + 1.0)
        for j in range(5):
            y = y * 1.4
            if y > 2.0:
                break
            s = s + y
        s = s + y * 0.1
    return s


def continue_on_negative(v, w):
    s = 0.0
    for e in v:
        if e < 0.0:
            continue
        s = s + e * e * w
    return s


def continue_first_statement(x, n):
    s = x
    for i in range(int(n)):
        if i % 3 == 1:
            continue
        s = s * 0.8 + math.sin(s * x)
    return s


def continue_and_break(v):
    s = 0.0
    for e in v:
        if e < 0.0:
            continue
        if e > 5.0:
            break
        s = s + math.sqrt(e) * s + e
    return s


def return_in_loop(x, n):
    y = x
    for i in range(int(n)):
        y = y * 1.2 + 0.3 * math.sin(y)
        if y > 5.0:
            return y * 2.0
    return y


def return_in_branch(x):
    if x < 0.0:
        return x * x
    y = math.exp(x)
    if y > 5.0:
        return y - x
    return y + x


def return_in_nested_loop(x):
    s = x
    for i in range(4):
        for j in range(4):
            s = s * 1.2 + 0.1 * i
            if s > 3.0:
                return s * x
    return s + x


def return_in_while(x):
    y = x
    k = 0
    while k < 20:
        y = y * y * 0.5 + x
        if y > 10.0:
            return math.log(y)
        k = k + 1
    return y


def for_else(x, limit):
    y = x
    for i in range(6):
        if y > limit:
            break
        y = y * 1.5 + 0.2
    else:
        y = y + x * 3.0
    return y


def while_else(x):
    y = x
    k = 0
    while k < 5:
        y = y * 1.4
        if y > 8.0:
            break
        k = k + 1
    else:
        y = y * x
    return y


EXIT_CASES = [
    (break_when_large, (3.0, 6.0), 0, "break-first"),
    (break_when_large, (0.5, 8.0), 0, "break-middle"),
    (break_when_large, (0.2, 2.0), 0, "break-never"),
    (break_in_inner_loop, (0.3,), 0, "break-inner"),
    (continue_on_negative, (np.array([0.5, -1.0, 2.0, -0.3]), 0.8), (0, 1), "continue-some"),
    (continue_on_negative, (np.array([-0.5, -1.0]), 0.8), (0, 1), "continue-all"),
    (continue_on_negative, (np.array([0.5, 1.0]), 0.8), (0, 1), "continue-none"),
    (continue_first_statement, (0.6, 7.0), 0, "continue-on-index"),
    (continue_and_break, (np.array([0.5, -1.0, 2.0, 7.0, 1.0]),), 0, "continue-and-break"),
    (continue_and_break, (np.array([0.5, -1.0, 2.0]),), 0, "continue-no-break"),
    (return_in_loop, (6.0, 12.0), 0, "return-in-loop-first"),
    (return_in_loop, (0.5, 12.0), 0, "return-in-loop-middle"),
    (return_in_loop, (0.5, 3.0), 0, "return-in-loop-not-taken"),
    (return_in_loop, (0.5, 0.0), 0, "return-in-loop-zero-iterations"),
    (return_in_branch, (-0.7,), 0, "return-branch-first"),
    (return_in_branch, (2.0,), 0, "return-branch-second"),
    (return_in_branch, (0.5,), 0, "return-branch-none"),
    (return_in_nested_loop, (0.9,), 0, "return-nested-taken"),
    (return_in_nested_loop, (0.01,), 0, "return-nested-not-taken"),
    (return_in_while, (0.9,), 0, "return-while-taken"),
    (return_in_while, (0.3,), 0, "return-while-not-taken"),
    (for_else, (0.5, 100.0), (0, 1), "for-else-runs"),
    (for_else, (0.5, 2.0), (0, 1), "for-else-breaks"),
    (for_else, (3.0, 2.0), (0, 1), "for-else-breaks-first"),
    (while_else, (0.5,), 0, "while-else-runs"),
    (while_else, (3.0,), 0, "while-else-breaks"),
]


# =========================================================================================
# more realistic shapes of user code
# =========================================================================================

def range_loop_int(x, n):
    y = 0.5
    for i in range(n):
        y = math.sin(y) * 0.9 + 0.1 * x
    return y


def helper_with_loop(y, n):
    for i in range(n):
        y = math.sin(y) + 0.5 * y
    return y


def calls_helper_with_loop(x):
    return helper_with_loop(x * 2.0, 3) * x


def helper_with_branch(y):
    if y > 1.0:
        return y * y
    return -y


def calls_helper_with_branch_in_loop(x):
    s = 0.0
    for i in range(4):
        s = s + helper_with_branch(x * i)
    return s


def parameter_reassigned_in_loop(x, n):
    s = 0.0
    for i in range(n):
        x = x * 0.9 + 0.05
        s = s + x * x
    return s + x


def loop_target_used_after(x, n):
    for i in range(n):
        x = x * 1.1
    return x * i


def assigned_in_one_branch_in_loop_used_after(v):
    last = 0.0
    for e in v:
        if e > 0.0:
            last = e * e
    return last


def first_assigned_in_branch_in_loop(x, n):
    for i in range(n):
        if i == 1:
            z = x * x * i
    return z * x


def defined_in_one_branch_used_under_same_condition(x):
    if x > 0.0:
        z = math.exp(x)
    y = x * 3.0
    if x > 0.0:
        y = y + z * z
    return y


def constant_branches(x):
    if x > 0.0:
        s = 1.0
    else:
        s = -1.0
    return s * x * x


def carried_only_sometimes(x, n):
    a = x
    b = 0.0
    for i in range(n):
        if i % 2 == 0:
            b = a * a
        a = a * 0.8 + b * 0.1
    return a + b


def enumerate_with_start(v):
    s = 0.0
    for i, e in enumerate(v, 1):
        s = s + i * e * e
    return s


def zip_three(a, b, c):
    s = 0.0
    for p, q, r in zip(a, b, c):
        s = s + p * q * r
    return s


def zip_range_and_array(a, w):
    s = 0.0
    for i, p in zip(range(3), a):
        s = s + p * w * i
    return s


def over_reversed_slice(a, w):
    s = 0.0
    for p in a[::-1]:
        s = s * 0.5 + p * w
    return s


def over_computed_array(W, X):
    s = 0.0
    for r in W @ X:
        s = s + np.sum(np.sin(r))
    return s


def over_columns(X):
    s = 0.0
    for col in X.T:
        s = s + np.sum(col) ** 2
    return s


def over_list_argument(h, mats):
    for m in mats:
        h = np.tanh(m @ h)
    return np.sum(h)


def horner_over_tuple_argument(x, coeffs):
    s = 0.0
    for c in coeffs:
        s = s * x + c
    return s


def nested_loop_over_list(x, n):
    vals = [x, x * 2.0]
    total = 0.0
    for k in range(n):
        for v in vals:
            total = total + v * v * k
    return total


def while_array_condition(h, W):
    k = 0
    while np.sum(h * h) < 5.0 and k < 50:
        h = W @ h + h
        k = k + 1
    return np.sum(h)


def while_not_or(x):
    y = x
    k = 0
    while not (y > 6.0 or k >= 8):
        y = y * 1.2 + 0.3
        k = k + 1
    return y * x


def while_indexing(v):
    i = 0
    s = 0.0
    while i < len(v):
        s = s + v[i] * (i + 1.0)
        i = i + 2
    return s


def continue_in_while(x):
    k = 0
    s = 0.0
    while k < 6:
        k = k + 1
        if k % 2 == 0:
            continue
        s = s + x ** k
    return s


def return_in_while_true(x):
    y = x
    while True:
        y = y * 1.5
        if y > 4.0:
            return y * x


def return_in_for_else(x):
    y = x
    for i in range(3):
        if y > 10.0:
            break
        y = y * 2.0
    else:
        return y * x
    return y


def two_breaks(x, n):
    y = x
    for i in range(n):
        y = y * 1.3
        if y > 5.0:
            break
        y = y + 0.2
        if y < -5.0:
            break
    return y


def inner_break_depends_on_outer(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            if j > i:
                break
            s = s + x ** (i + j)
    return s


def ternary_on_carried_value_in_nested_loop(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            s = s + (x * j if s > 1.0 else x * x * i)
    return s


def loop_target_shadows_parameter(x, y):
    for x in [y, 2.0 * y]:
        y = y + x * x
    return y + x


def early_return_of_array_expression(w, x):
    h = w * x
    for k in range(3):
        if np.sum(h) > 5.0:
            return np.sum(h * h)
        h = h * 1.7
    return np.sum(h)


def list_built_in_loop(v):
    out = []
    for e in v:
        out.append(e * e)
    return out[0] + out[1] * 2.0


def rnn_collecting_states(X, w):
    hs = []
    h = w
    for x in X:
        h = np.tanh(h * x)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


MATS = [np.eye(2) * 0.5, np.array([[0.1, 0.7], [-0.4, 0.2]])]

MORE_CASES = [
    (range_loop_int, (0.3, 0), 0, "int-range-zero"),
    (range_loop_int, (0.3, 1), 0, "int-range-one"),
    (range_loop_int, (0.3, 40), 0, "int-range-many"),
    (calls_helper_with_loop, (0.4,), 0, "helper-with-loop"),
    (calls_helper_with_branch_in_loop, (0.3,), 0, "helper-with-branch"),
    (parameter_reassigned_in_loop, (0.7, 5), 0, "parameter-reassigned"),
    (loop_target_used_after, (0.7, 5), 0, "loop-target-after"),
    (assigned_in_one_branch_in_loop_used_after, (np.array([0.5, -0.3, 1.2, -0.7]),), 0,
     "one-branch-in-loop-after"),
    (first_assigned_in_branch_in_loop, (0.7, 4), 0, "first-assigned-in-branch-in-loop"),
    (defined_in_one_branch_used_under_same_condition, (0.6,), 0, "same-condition-then"),
    (defined_in_one_branch_used_under_same_condition, (-0.6,), 0, "same-condition-else"),
    (constant_branches, (0.7,), 0, "constant-branches-then"),
    (constant_branches, (-0.7,), 0, "constant-branches-else"),
    (carried_only_sometimes, (0.7, 5), 0, "carried-sometimes"),
    (enumerate_with_start, (np.array([0.5, -0.3, 1.2]),), 0, "enumerate-start"),
    (zip_three, (np.array([0.5, -0.3]), np.array([1.5, 0.2]), np.array([0.1, 0.9])),
     (0, 1, 2), "zip-three"),
    (zip_range_and_array, (np.array([1.0, 2.0, 3.0, 4.0]), 0.7), (0, 1), "zip-range-array"),
    (over_reversed_slice, (np.array([1.0, 2.0, 3.0]), 0.7), (0, 1), "reversed-slice"),
    (over_computed_array, (np.full((2, 3), 0.3), np.arange(6.0).reshape(3, 2)), (0, 1),
     "computed-iterable"),
    (over_columns, (np.arange(6.0).reshape(3, 2),), 0, "columns"),
    (over_list_argument, (np.array([0.3, -0.2]), MATS), 0, "list-argument"),
    (horner_over_tuple_argument, (0.7, (1.0, -2.0, 0.5)), 0, "tuple-argument"),
    (nested_loop_over_list, (0.7, 4), 0, "nested-over-list"),
    (while_array_condition, (np.array([0.3, 0.5]), np.array([[0.2, 0.1], [0.0, 0.3]])),
     (0, 1), "while-array-condition"),
    (while_not_or, (0.5,), 0, "while-not-or-value"),
    (while_not_or, (0.01,), 0, "while-not-or-counter"),
    (while_not_or, (7.0,), 0, "while-not-or-zero"),
    (while_indexing, (np.array([0.5, -0.3, 1.2, 2.0, 3.0]),), 0, "while-indexing"),
    (continue_in_while, (0.8,), 0, "continue-in-while"),
    (return_in_while_true, (0.5,), 0, "return-while-true"),
    (return_in_while_true, (5.0,), 0, "return-while-true-first"),
    (return_in_for_else, (0.5,), 0, "return-in-for-else"),
    (return_in_for_else, (3.0,), 0, "return-after-for-else-break"),
    (two_breaks, (0.5, 10), 0, "two-breaks-first"),
    (two_breaks, (-3.0, 10), 0, "two-breaks-second"),
    (two_breaks, (0.1, 2), 0, "two-breaks-never"),
    (inner_break_depends_on_outer, (0.6,), 0, "inner-break-on-outer-index"),
    (ternary_on_carried_value_in_nested_loop, (0.7,), 0, "ternary-carried-nested"),
    (loop_target_shadows_parameter, (0.3, 0.8), (0, 1), "target-shadows-parameter"),
    (early_return_of_array_expression, (np.array([0.5, 1.0]), np.array([1.2, 0.9])), (0, 1),
     "array-early-return-taken"),
    (list_built_in_loop, (np.array([0.5, -0.3, 1.2]),), 0, "list-append-in-loop"),
    (rnn_collecting_states, (np.array([0.5, -0.3, 1.2]), 0.7), (0, 1), "list-append-stack"),
    (early_return_of_array_expression, (np.array([0.1, 0.2]), np.array([1.2, 0.9])), (0, 1),
     "array-early-return-not-taken"),
]


# =========================================================================================
# regressions: bugs these tests found, fixed since (minimal reproductions)
# =========================================================================================

def assigned_in_nested_branch_only(x):
    if x < 0.0:
        if x < -1.0:
            y = 2.0 * x
    return x * x


def elif_returns_then_code(x):
    if x > 10.0:
        return x
    elif x < -10.0:
        return -x
    y = x * 2.0
    return y


def elif_returns_in_loop(x):
    for i in range(3):
        x = x * 1.5
        if x > 10.0:
            return x
        elif x < -10.0:
            return -x * 2.0
    return x * 0.5


def two_return_ifs_in_loop(x):
    for i in range(3):
        x = x * 1.5
        if x > 10.0:
            return x
        if x < -10.0:
            return -x * 2.0
    return x * 0.5


def enumerate_of_reversed(v):
    s = 0.0
    for i, e in enumerate(reversed(v)):
        s = s * 0.5 + (i + 1.0) * math.sin(e)
    return s


def enumerate_of_zip(a, b):
    s = 0.0
    for i, (p, q) in enumerate(zip(a, b)):
        s = s + (i + 1.0) * p * q
    return s


def zip_of_reversed(a, b):
    s = 0.0
    for p, q in zip(reversed(a), b):
        s = s + p * q
    return s


def assigned_in_loop_and_returned(x, n):
    for i in range(n):
        z = x * 2.0
    return z


def last_element_returned(v):
    for e in v:
        z = e * e
    return z


# Bugs found while writing these tests, fixed since: kept as regression cases.
REGRESSION_CASES = [
    (assigned_in_nested_branch_only, (-0.5,), 0, "bug-nested-if-partial-assign"),
    (elif_returns_then_code, (-12.0,), 0, "bug-elif-returns-then-code"),
    (elif_returns_in_loop, (0.5,), 0, "bug-elif-returns-in-loop"),
    (elif_returns_in_loop, (4.0,), 0, "bug-elif-returns-in-loop-taken"),
    (two_return_ifs_in_loop, (0.5,), 0, "bug-two-return-ifs-in-loop"),
    (enumerate_of_reversed, (np.array([0.5, -0.3, 1.2]),), 0, "bug-enumerate-reversed"),
    (enumerate_of_zip, (np.array([0.5, -0.3, 1.2]), np.array([0.3, 0.6, 0.9])), (0, 1),
     "bug-enumerate-zip"),
    (zip_of_reversed, (np.array([0.5, -0.3, 1.2]), np.array([0.3, 0.6, 0.9])), (0, 1),
     "bug-zip-reversed"),
    (assigned_in_loop_and_returned, (0.7, 3), 0, "bug-loop-local-returned"),
    (last_element_returned, (np.array([0.5, -0.3, 1.2]),), 0, "bug-last-element-returned"),
]


# =========================================================================================
# the finite-difference checks
# =========================================================================================

ALL_CASES = (BRANCH_CASES + RANGE_CASES + SEQUENCE_CASES + NESTED_CASES + WHILE_CASES
             + EXIT_CASES + MORE_CASES + REGRESSION_CASES + [
                 (bouncing_ball, (0.5,), 0, "bounce-up"),
                 (bouncing_ball, (-2.0,), 0, "bounce-down"),
                 (bouncing_ball, (3.0,), 0, "bounce-high"),
                 (bouncing_ball_until_rest, (0.5, 0.3), (0, 1), "bounce-until-rest"),
                 (bouncing_ball_until_rest, (-3.0, 0.1), (0, 1), "bounce-until-rest-down"),
             ])



def _params(cases):
    return [pytest.param(function, args, wrt, id=case_id)
            for function, args, wrt, case_id in cases]


def test_case_ids_are_unique():
    ids = [case[3] for case in ALL_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("function, args, wrt", _params(ALL_CASES))
def test_gradient_matches_finite_differences(function, args, wrt):
    assert chainrule.check_grad(function, *args, wrt=wrt) <= 1.0


def _same_values(a, b):
    if isinstance(a, tuple):
        return all(_same_values(p, q) for p, q in zip(a, b))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    return True


@pytest.mark.parametrize("function, args, wrt", _params(ALL_CASES))
def test_value_and_grad_agrees_with_function_and_grad(function, args, wrt):
    value, gradient = chainrule.value_and_grad(function, wrt=wrt)(*args)
    np.testing.assert_allclose(value, function(*args), rtol=1e-12)
    assert _same_values(gradient, chainrule.grad(function, wrt=wrt)(*args))


@pytest.mark.parametrize("function, args, wrt", _params(ALL_CASES))
def test_inputs_are_not_mutated(function, args, wrt):
    before = copy.deepcopy(args)
    chainrule.grad(function, wrt=wrt)(*args)
    chainrule.value_and_grad(function, wrt=wrt)(*args)
    for old, new in zip(before, args):
        assert type(old) is type(new)
        if isinstance(old, list):
            for a, b in zip(old, new):
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("function, args, wrt", _params(ALL_CASES))
def test_generated_source_reparses(function, args, wrt):
    source = chainrule.grad(function, wrt=wrt).source_for(*args)
    tree = ast.parse(source)
    assert any(isinstance(node, ast.FunctionDef) for node in tree.body)


def test_cases_cover_both_sides_of_branches():
    """Sanity check on the fixtures themselves: inputs really reach the branches named."""
    assert if_else(1.3) == 1.3 * 1.3 * 3.0 + 1.3
    assert if_elif_else(1.6) == math.exp(1.6)
    assert break_when_large(3.0, 6.0) == pytest.approx((3.0 * 1.7 + math.sin(3.0)) * 3.0)
    assert return_in_loop(0.5, 3.0) < 5.0
    assert return_in_loop(0.5, 12.0) > 10.0                  # returned in iteration 9
    assert return_in_loop(6.0, 12.0) == pytest.approx(2.0 * (6.0 * 1.2 + 0.3 * math.sin(6.0)))
    assert break_when_large(0.2, 2.0) < 4.0 * 0.2
    assert for_else(0.5, 2.0) < 3.0 and for_else(0.5, 100.0) > 9.0
    assert return_in_while(0.3) < 1.0 and while_else(3.0) == pytest.approx(3.0 * 1.4 ** 3)
    assert while_value_dependent(12.0) == 144.0
    assert while_value_dependent(7.0) == pytest.approx((7.0 * 1.5 + 0.1) * 7.0)


# =========================================================================================
# specific gradients, checked by hand
# =========================================================================================

def test_zero_iteration_loop_gives_zero_gradient():
    assert chainrule.grad(range_loop)(0.3, 0.0) == 0.0
    assert chainrule.grad(while_counter)(0.3, 0.0) == 1.0
    gradient = chainrule.grad(over_array_elements, wrt=(0, 1))(np.zeros(0), 0.7)
    assert gradient[0].shape == (0,) and gradient[1] == 0.0


def test_while_that_does_not_run():
    # y = x, result x * x
    assert chainrule.grad(while_value_dependent)(12.0) == pytest.approx(24.0)


def test_rnn_gradients_have_argument_shapes():
    dW, dh, dX = chainrule.grad(rnn, wrt=(0, 1, 2))(W3, H3, X43)
    assert dW.shape == W3.shape and dh.shape == H3.shape and dX.shape == X43.shape
    dW, dh, dX = chainrule.grad(rnn, wrt=(0, 1, 2))(W3, H3, X43[:0])
    np.testing.assert_array_equal(dW, np.zeros((3, 3)))
    np.testing.assert_allclose(dh, 2.0 * H3)
    assert dX.shape == (0, 3)


def _bounce_margin(v0):
    """The smallest |h| at which ``bouncing_ball`` tests ``h < 0``: must dwarf eps."""
    h, v, t, margin = 1.0, v0, 0.0, np.inf
    while t < 1.5:
        v = v - 9.81 * 0.01
        h = h + v * 0.01
        margin = min(margin, abs(h))
        if h < 0.0:
            h, v = -h * 0.8, -v * 0.8
        t = t + 0.01
    return margin


@pytest.mark.parametrize("v0", [0.5, -2.0, 3.0])
def test_bouncing_ball_inputs_are_away_from_the_bounce_boundary(v0):
    assert _bounce_margin(v0) > 1e-4


def test_bouncing_ball_bounces():
    """The bounce branch is taken, so the gradient differs from the no-bounce formula."""
    no_bounce = 1.5 + 0.1          # d(h + 0.1 v)/dv0 without bouncing (about 150 steps)
    assert abs(chainrule.grad(bouncing_ball)(-2.0) - no_bounce) > 0.1


def test_long_scalar_loop_is_fast():
    def long_loop(x, n):
        y = 0.5
        for i in range(int(n)):
            y = math.sin(y) * 0.9 + 0.1 * x
        return y

    gradient = chainrule.grad(long_loop)
    gradient(0.3, 10.0)                       # transform and compile outside the timing
    start = time.perf_counter()
    value = gradient(0.3, 20000.0)
    assert time.perf_counter() - start < 1.0
    assert chainrule.check_grad(long_loop, 0.3, 20000.0) <= 1.0
    assert math.isfinite(value)


def test_long_while_loop_is_fast():
    def decay(x):
        y = 1.0
        t = 0.0
        while t < 100.0:
            y = y - 0.001 * y * x
            t = t + 0.01
        return y

    gradient = chainrule.grad(decay)
    gradient(0.5)
    start = time.perf_counter()
    gradient(0.5)
    assert time.perf_counter() - start < 1.0
    assert chainrule.check_grad(decay, 0.5) <= 1.0


# =========================================================================================
# what the generated code saves
# =========================================================================================

STACK = re.compile(r"^\s*(\w+)_stack = \[\]\s*$", re.MULTILINE)


def _stacked(source):
    return set(STACK.findall(source))


def test_loop_invariant_values_are_not_stacked():
    source = chainrule.grad(range_loop).source_for(0.3, 5.0)
    stacked = _stacked(source)
    assert stacked, source                      # the carried y is needed by cos(y)
    # Only versions of y: neither x nor the invariant 0.1 * x (nor a temporary) is stacked.
    assert all(name == "y" or name.startswith("y_") for name in stacked), source


def test_loop_invariant_array_is_not_stacked():
    source = chainrule.grad(rnn, wrt=(0, 1, 2)).source_for(W3, H3, X43)
    assert "W" not in _stacked(source), source
    assert "X" not in _stacked(source), source


def test_branch_without_active_statements_does_not_store_decision():
    def counted(x, n):
        y = x
        c = 0
        for i in range(int(n)):
            y = math.sin(y) * 0.9
            if y > 0.5:                  # an active condition, but nothing active inside
                c = c + 1
        return y * x

    def uncounted(x, n):
        y = x
        for i in range(int(n)):
            y = math.sin(y) * 0.9
        return y * x

    source = chainrule.grad(counted).source_for(0.3, 5.0)
    reference = chainrule.grad(uncounted).source_for(0.3, 5.0)
    assert len(_stacked(source)) == len(_stacked(reference)) == 1, source
    assert chainrule.check_grad(counted, 0.3, 5.0) <= 1.0


def test_branch_with_active_statements_in_loop_is_differentiated_per_iteration():
    source = chainrule.grad(branch_inside_loop).source_for(0.3, 6.0)
    assert ast.parse(source)
    assert _stacked(source), source


def test_straight_line_code_has_no_stack():
    def straight(x, y):
        a = x * y
        b = math.sin(a) + x
        return a * b - y

    source = chainrule.grad(straight, wrt=(0, 1)).source_for(0.3, 0.4)
    assert "_stack" not in source, source


@pytest.mark.parametrize("function, args, wrt", [
    (if_else, (1.3,), 0),
    (if_elif_else, (0.4,), 0),
    (nested_if, (1.2, 0.7), (0, 1)),
    (ternary, (1.4,), 0),
    (return_in_branch, (2.0,), 0),
    (branches_assign_different_variables, (0.8, 1.1), (0, 1)),
])
def test_branches_outside_loops_have_no_stack(function, args, wrt):
    source = chainrule.grad(function, wrt=wrt).source_for(*args)
    assert "_stack" not in source, source


def test_loop_source_reparses_and_has_a_reverse_loop():
    source = chainrule.grad(rnn, wrt=(0, 1, 2)).source_for(W3, H3, X43)
    tree = ast.parse(source)
    loops = [node for node in ast.walk(tree) if isinstance(node, (ast.For, ast.While))]
    assert len(loops) >= 2, source


# =========================================================================================
# argument kinds and errors
# =========================================================================================

def test_integer_trip_count_matches_float_derived_one():
    gradient = chainrule.grad(range_loop_int)(0.3, 4)
    expected = chainrule.grad(range_loop)(0.3, 4.0)
    assert gradient == pytest.approx(expected, rel=1e-12)


def test_integer_input_gets_float_gradient_through_a_loop():
    def power(x, n):
        y = x
        for i in range(n):
            y = y * x
        return y

    gradient = chainrule.grad(power)(2, 3)
    assert type(gradient) is float and gradient == 32.0


def test_float32_stays_float32_through_a_loop():
    def repeated(v):
        s = v
        for i in range(3):
            s = np.sin(s) * 1.5
        return np.sum(s)

    gradient = chainrule.grad(repeated)(np.array([0.1, 0.2], dtype=np.float32))
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, chainrule.grad(repeated)(np.array([0.1, 0.2])),
                               rtol=1e-5)


def test_unbound_after_zero_iterations_is_an_error_as_in_python():
    def last(x, n):
        for i in range(n):
            z = x * 2.0
        return z

    with pytest.raises(UnboundLocalError):
        last(0.7, 0)
    with pytest.raises(ValueError, match="only a loop that ran no iteration assigns"):
        chainrule.grad(last)(0.7, 0)


def test_loop_invariant_values_computed_in_the_loop_are_not_stored():
    def ode_like(k, x0):
        x = x0
        for i in range(50):
            a = -k * x              # -k is the same every iteration
            x = x + 0.01 * a
        return x

    source = chainrule.grad(ode_like).source_for(1.3, 0.7)
    assert "t1_stack" not in source and "x_1_stack" in source
    assert chainrule.check_grad(ode_like, 1.3, 0.7) <= 1.0


def test_header_copied_from_an_invariant_value_is_still_stored():
    def reset_each_turn(x):
        y = x
        total = 0.0
        for i in range(4):
            total = total + y * y
            y = 0.5 * x            # invariant, but y at the start of iteration 1 is x
        return total

    assert chainrule.check_grad(reset_each_turn, 0.9) <= 1.0
