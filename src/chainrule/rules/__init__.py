"""Gradient rules, one module per domain; importing this package registers all of them."""

from . import builtins, math, nondiff, numpy, operators  # noqa: F401  (registration)
from .registry import (Rule, adjoint, array_attribute, array_method, is_nondifferentiable,
                       method_function, nondifferentiable, rule_for)

__all__ = ["Rule", "adjoint", "array_attribute", "array_method", "is_nondifferentiable",
           "method_function", "nondifferentiable", "rule_for"]
