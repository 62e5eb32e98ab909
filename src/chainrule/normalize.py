"""Lower a function body so each statement performs one operation on names (A-normal form).

Every local variable is also renamed so that each assignment writes a new name (``x``,
``x_1``, ``x_2``, ...): in straight-line code the reverse sweep can then read any earlier value
without saving it.

The forms that survive, each an ``Assign`` to a single local name unless stated:

* ``name = atom``                         copy
* ``name = atom OP atom`` / ``OP atom``   arithmetic (``BinOp`` / ``UnaryOp``)
* ``name = atom < atom ...``              comparison (never differentiated)
* ``name = callee(atom, ..., k=atom)``    call; ``callee`` is a dotted non-local name
  (``np.sin``, ``helper``), ``atom.method`` or an atom
* ``name = atom.attr``                    attribute of a local value
* ``name = atom[index]``                  index built of atoms, slices and tuples of those
* ``name = (atom, ...)`` / ``[atom, ...]``  tuple / list literal
* ``name = <boolean expression>``         ``and``/``or``/``not`` kept whole, never differentiated
* ``Expr(callee(...))``                   call made for its side effects
* ``assert <expression>``                 kept whole, never differentiated

An *atom* is a local name, a constant, or a dotted name rooted at a global or closure variable
(``np.pi``, ``W``). The function ends with a single ``return atom``. Each statement carries the
user statement it came from (``stmt.user_statement``) for origins and comments.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import gast

from .errors import TransformError
from .naming import Namer
from .parsing import ParsedFunction
from .syntax import assign, clone, const, make, name


@dataclass
class NormalFunction:
    parsed: ParsedFunction
    params: list[str]                 # parameter names, in order
    body: list                        # normalized statements
    result: object                    # the returned atom
    return_statement: object          # the user's return statement
    namer: Namer


def parameter_names(node: gast.FunctionDef) -> list[str]:
    args = node.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def assigned_names(node: gast.FunctionDef) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


class Normalizer:
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.namer = Namer.for_function(parsed.node)
        self.params = parameter_names(parsed.node)
        self.local_names = assigned_names(parsed.node) | set(self.params)
        self.current = {p: p for p in self.params}   # user name -> its live SSA name
        self.body: list = []
        self.user_statement = None
        # SSA name -> the user names whose current value is the same object (plain copies
        # `a = b` share the object; an in-place `a += ...` on an array would change both).
        self.shared: dict[str, set[str]] = {}

    # -- atoms ------------------------------------------------------------------------------

    def is_global_reference(self, node) -> bool:
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.local_names

    def read(self, identifier: str, node):
        if identifier not in self.local_names:
            return name(identifier)
        if identifier not in self.current:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: local variable '{identifier}' is "
                f"read before it is assigned", construct="unbound local",
                hint="assign it first (or pass it in as an argument)",
                origin=self.parsed.origin(node))
        return name(self.current[identifier])

    def atom(self, node):
        if getattr(node, "chainrule_normalized", False) or isinstance(node, gast.Constant):
            return node
        if (isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd))
                and isinstance(node.operand, gast.Constant)
                and isinstance(node.operand.value, (int, float, complex))
                and not isinstance(node.operand.value, bool)):
            value = node.operand.value
            return const(-value if isinstance(node.op, gast.USub) else value)
        if isinstance(node, gast.Name):
            return _normalized(self.read(node.id, node))
        if isinstance(node, gast.Attribute) and self.is_global_reference(node):
            return _normalized(clone(node))
        value = self.operation(node)
        temporary = self.namer.temporary()
        self.emit(assign(temporary, value))
        return _normalized(name(temporary))

    def index(self, node):
        if isinstance(node, gast.Slice):
            return make(gast.Slice, lower=node.lower and self.atom(node.lower),
                        upper=node.upper and self.atom(node.upper),
                        step=node.step and self.atom(node.step))
        if isinstance(node, gast.Tuple):
            return make(gast.Tuple, elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        return self.atom(node)

    # -- one operation ----------------------------------------------------------------------

    def operation(self, node):
        """``node`` as a single operation whose operands are atoms (located at ``node``)."""
        result = self._operation(node)
        if getattr(result, "lineno", None) is None and hasattr(node, "lineno"):
            gast.copy_location(result, node)
        return result

    def _operation(self, node):
        if getattr(node, "chainrule_normalized", False) or isinstance(
                node, (gast.Name, gast.Constant)) or (
                isinstance(node, gast.Attribute) and self.is_global_reference(node)):
            return self.atom(node)
        if isinstance(node, gast.BinOp):
            left = self.atom(node.left)
            return make(gast.BinOp, left=left, op=node.op, right=self.atom(node.right))
        if isinstance(node, gast.UnaryOp):
            if isinstance(node.op, gast.Not):
                return self.opaque(node)
            operand = self.atom(node.operand)
            if isinstance(operand, gast.Constant):
                return self.atom(make(gast.UnaryOp, op=node.op, operand=operand))
            return make(gast.UnaryOp, op=node.op, operand=operand)
        if isinstance(node, gast.Compare):
            left = self.atom(node.left)
            return make(gast.Compare, left=left, ops=node.ops,
                        comparators=[self.atom(c) for c in node.comparators])
        if isinstance(node, gast.BoolOp):
            return self.opaque(node)
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Attribute):
            return make(gast.Attribute, value=self.atom(node.value), attr=node.attr,
                        ctx=gast.Load())
        if isinstance(node, gast.Subscript):
            value = self.atom(node.value)
            return make(gast.Subscript, value=value, slice=self.index(node.slice),
                        ctx=gast.Load())
        if isinstance(node, (gast.Tuple, gast.List)):
            return type(node)(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())
        raise TransformError(
            f"cannot differentiate {self.parsed.name}: {type(node).__name__} expression is not "
            f"supported", construct=type(node).__name__, origin=self.parsed.origin(node))

    def call(self, node: gast.Call):
        func = node.func
        if self.is_builtin(func, ("min", "max")) and len(node.args) > 2 and not node.keywords:
            # max(a, b, c) == max(max(a, b), c): every rule then has two arguments.
            nested = make(gast.Call, func=func, args=node.args[:2], keywords=[])
            gast.copy_location(nested, node)
            return self.call(make(gast.Call, func=func, args=[nested] + node.args[2:],
                                  keywords=[]))
        if self.is_builtin(func, ("sum",)) and len(node.args) == 1 and not node.keywords \
                and isinstance(node.args[0], (gast.Tuple, gast.List)) and node.args[0].elts:
            # sum([a, b, c]) == 0 + a + b + c, differentiated as plain additions.
            total = const(0)
            for element in node.args[0].elts:
                total = make(gast.BinOp, left=total, op=gast.Add(), right=element)
            return self.operation(total)
        if isinstance(func, gast.Name) or self.is_global_reference(func):
            callee = self.atom(func)
        elif isinstance(func, gast.Attribute):
            callee = make(gast.Attribute, value=self.atom(func.value), attr=func.attr,
                          ctx=gast.Load())
        else:
            callee = self.atom(func)
        args = [self.atom(a) for a in node.args]
        keywords = [make(gast.keyword, arg=k.arg, value=self.atom(k.value))
                    for k in node.keywords]
        return make(gast.Call, func=callee, args=args, keywords=keywords)

    def is_builtin(self, func, names) -> bool:
        return (isinstance(func, gast.Name) and func.id in names
                and func.id not in self.local_names
                and func.id not in self.parsed.globals and func.id not in self.parsed.cells
                and getattr(builtins, func.id, None) is not None)

    def opaque(self, node):
        """An expression kept whole (boolean logic): only its local names are renamed."""
        node = clone(node)
        for inner in gast.walk(node):
            if isinstance(inner, gast.Name) and inner.id in self.local_names:
                inner.id = self.read(inner.id, inner).id
        node.chainrule_opaque = True
        return node

    # -- statements -------------------------------------------------------------------------

    def emit(self, statement) -> None:
        statement.user_statement = self.user_statement
        gast.copy_location(statement, self.user_statement)
        self.body.append(statement)

    def bind(self, identifier: str, value) -> None:
        """Assign ``value`` (already normalized) to a new version of ``identifier``."""
        version = (identifier if identifier not in self.current and identifier not in
                   self.params else self.namer.version(identifier))
        self.namer.reserve(version)
        self.emit(assign(version, value))
        self.current[identifier] = version

    def assign_target(self, target, node) -> None:
        """Assign the (user) expression ``node`` to ``target``."""
        if isinstance(target, gast.Name):
            value = self.operation(node)
            self.bind(target.id, value)
            if isinstance(value, gast.Name) and value.id in self.shared_names():
                group = self.shared.setdefault(value.id, {self.user_name_of(value.id)})
                group.add(target.id)
                self.shared[self.current[target.id]] = group
            return
        elements = target.elts
        if isinstance(node, (gast.Tuple, gast.List)) and len(node.elts) == len(elements):
            values = [self.atom(e) for e in node.elts]      # all read before any is written
            for element, value in zip(elements, values):
                self.assign_target(element, value)
            return
        whole = self.atom(node)
        for position, element in enumerate(elements):
            item = make(gast.Subscript, value=clone(whole), slice=const(position),
                        ctx=gast.Load())
            self.assign_target(element, item)

    def shared_names(self) -> set[str]:
        """SSA names that are the current value of a local name (copies can share them)."""
        return set(self.current.values())

    def user_name_of(self, ssa_name: str) -> str:
        return next(user for user, version in self.current.items() if version == ssa_name)

    def statement(self, node) -> bool:
        """Normalize one user statement; ``True`` once the function has returned."""
        self.user_statement = node
        if isinstance(node, gast.Assign):
            if len(node.targets) == 1:
                self.assign_target(node.targets[0], node.value)
            else:
                value = self.atom(node.value)
                for target in node.targets:
                    self.assign_target(target, value)
        elif isinstance(node, gast.AnnAssign):
            self.assign_target(node.target, node.value)
        elif isinstance(node, gast.AugAssign):
            current = self.read(node.target.id, node.target)
            others = self.shared.get(current.id, set()) - {node.target.id}
            self.bind(node.target.id, make(gast.BinOp, left=current, op=node.op,
                                            right=self.atom(node.value)))
            if others:
                # On an array this updates the object that `others` also name; the reverse
                # builder refuses it unless the value is a Python scalar.
                self.body[-1].chainrule_shared_with = sorted(others)
        elif isinstance(node, gast.Expr):
            if isinstance(node.value, gast.Call):
                self.emit(make(gast.Expr, value=self.call(node.value)))
            elif not isinstance(node.value, gast.Constant):
                self.atom(node.value)
        elif isinstance(node, gast.Assert):
            self.emit(make(gast.Assert, test=self.opaque(node.test),
                           msg=node.msg and self.opaque(node.msg)))
        elif isinstance(node, gast.Return):
            if node.value is None or isinstance(node.value, (gast.Name, gast.Constant)):
                self.result = self.atom(node.value) if node.value is not None else const(None)
            else:
                value = self.operation(node.value)
                out = self.namer.fresh("out")
                self.emit(assign(out, value))
                self.result = name(out)
            return True
        return False

    def run(self) -> NormalFunction:
        self.result = None
        return_statement = None
        for statement in self.parsed.node.body:
            if self.statement(statement):
                return_statement = statement
                break
        if return_statement is None:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: it has no return statement",
                construct="missing return", hint="return the value to differentiate",
                origin=self.parsed.origin(self.parsed.node))
        return NormalFunction(self.parsed, self.params, self.body, self.result,
                              return_statement, self.namer)


def _normalized(atom):
    """Mark an atom as already normalized, so it is never renamed again."""
    atom.chainrule_normalized = True
    return atom


def normalize(parsed: ParsedFunction) -> NormalFunction:
    return Normalizer(parsed).run()
