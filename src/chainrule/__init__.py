"""chainrule: gradients of plain Python/NumPy functions by source transformation.

``@grad`` reads a function's source, writes a new function that runs it and then applies the
chain rule statement by statement in reverse, compiles it, caches it, and lets you read it.
"""

from .api import GradientFunction, grad, source, value_and_grad
from .cache import cache_info, clear_cache
from .errors import ChainruleError, TransformError
from .rules import adjoint
from .testing import GradientCheckError, check_grad

__all__ = ["ChainruleError", "GradientCheckError", "GradientFunction", "TransformError",
           "adjoint", "cache_info", "check_grad", "clear_cache", "grad", "source",
           "value_and_grad"]
__version__ = "0.1.0"
