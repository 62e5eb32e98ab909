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
* ``name = (atom, ...)`` / ``[atom, ...]`` / ``{const: atom}``  tuple / list / dict literal
* ``name[index] = atom``                  store into an array, list or dict made in the
  function (in place: the reverse sweep restores the old value); ``xs.append(v)`` and
  ``xs.extend(ys)`` on a list become ``xs_1 = xs + [v]`` / ``xs + ys``
* ``name = <boolean expression>``         ``and``/``or``/``not`` kept whole, never differentiated
* ``Expr(callee(...))``                   call made for its side effects
* ``assert <expression>``                 kept whole, never differentiated
* ``if atom: ... else: ...``              branches end with copies into join names (phi)
* ``for target in iterable: ...``         ``iterable`` an atom or ``range``/``enumerate``/
  ``zip``/``reversed`` of atoms; ``loop.chainrule_elements`` says where each target comes from
* ``while test: ...``                     ``test`` a comparison of atoms, or ``True`` with the
  test computed first in the body (``loop.chainrule_test``) and a ``break``

Return, break and continue have been lowered to flags first (:mod:`chainrule.lowering`), so
loops run whole iterations and the function ends with a single ``return atom``. A variable
assigned in a loop and bound before it is *loop-carried*: it is copied into a header name
before the loop (``y_1 = y``), the body reads the header, and the body ends by copying its
last version back (``y_1 = y_3``); ``loop.chainrule_headers`` maps it. Conditional
expressions (``a if c else b``) become ``if`` statements.

An *atom* is a local name, a constant, or a dotted name rooted at a global or closure variable
(``np.pi``, ``W``). Each statement carries the user statement it came from
(``stmt.user_statement``) for origins and comments.
"""

from __future__ import annotations

import builtins
import sys
import types
from dataclasses import dataclass, field

import gast

from .errors import TransformError
from .lowering import lower_exits
from .naming import Namer
from .parsing import ParsedFunction, resolve_dotted, resolve_global
from .syntax import assign, clone, const, make, name, name_ids, names, to_source, walk


@dataclass
class NormalFunction:
    parsed: ParsedFunction
    params: list[str]                 # parameter names, in order
    body: list                        # normalized statements
    result: object                    # the returned atom
    return_statement: object          # the user's return statement
    namer: Namer
    # Parameters the function updates with ``op=`` (``arg += ...``), with the statement that
    # does it: on an array or a list Python changes the caller's object, the normal form makes
    # a new one, so a caller must not pass one it holds. (``arg.append(v)`` and stores into an
    # argument are refused outright.)
    changed_arguments: dict = field(default_factory=dict)


def parameter_names(node: gast.FunctionDef) -> list[str]:
    args = node.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def assigned_names(node: gast.FunctionDef) -> set[str]:
    return name_ids(node, gast.Store)


class Normalizer:
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.namer = Namer.for_function(parsed.node)
        self.written = name_ids(parsed.node)            # the names the user wrote
        self.params = parameter_names(parsed.node)
        self.lowered = lower_exits(parsed.node, self.namer)
        self.local_names = _stored_names(self.lowered) | set(self.params)
        self.current = {p: p for p in self.params}   # user name -> its live SSA name
        self.block: list = []                          # where statements are emitted now
        self.user_statement = None
        self.local_functions: dict[str, tuple] = {}    # nested def/lambda -> (node, defaults)
        self.views: set[str] = set()                   # SSA names that may view another array
        # SSA name -> the containers that hold its object (`xs = [b]`, `xs.append(b)`): an
        # in-place change of it is seen through them.
        self.held: dict[str, set[str]] = {}
        self.changed_arguments: dict[str, object] = {}  # parameter -> the user statement
        self.lengths: dict[str, int] = {}              # SSA name -> length of a literal
        # SSA name -> [(block, loop, statement)]: a name first bound by a loop in both
        # branches of an if is one SSA name with two loops
        self.maybe_unbound: dict[str, list[tuple]] = {}
        self.inlining: list[str] = []                  # nested functions being inlined
        self.inline_result = None
        # SSA name -> the user names whose current value is the same object (plain copies
        # `a = b` share the object; an in-place `a += ...` on an array would change both).
        self.shared: dict[str, set[str]] = {}
        # SSA names bound to a list or dict made here (xs = list(xs) on a parameter: the
        # caller's list is not the one .append() then changes)
        self.new_containers: set[str] = set()
        # User names holding, when an enclosing for loop started, the sequence it iterates:
        # `a += ...` or `a.append(v)` on them would change what the loop goes on to read.
        # Each has its description and whether the loop reads the elements.
        self.iterated: dict[str, tuple[str, bool]] = {}
        # SSA name of a possible view (`c = b[0:2]`, `c = b.T`, a view of a view, or what a
        # function of yours returns: `c = helper(b)` may be `b`) -> (its user name, the arrays
        # it may view: (SSA name, user name) each). A statement that changes one of those
        # arrays in place is marked with them (see chainrule/aliasing.py).
        self.view_of: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        self.containers: set[str] = set()             # SSA names of list/tuple/dict values
        # SSA name -> the global or closure names whose object it may be (`a = G`): an
        # in-place change of it would change that object, outside the function.
        self.outside: dict[str, set[str]] = {}
        self.shown: dict[str, str] = {}                # renamed local -> the name written
        self.aliases: dict[str, set[str]] = {}         # a nested function's parameter -> the
        #                                                caller's name for its object

    # -- atoms ------------------------------------------------------------------------------

    def is_global_reference(self, node) -> bool:
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.local_names

    def read(self, identifier: str, node):
        if identifier in self.local_functions:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: nested function '{identifier}' is "
                f"used as a value; chainrule can only differentiate direct calls of it",
                construct="nested function as a value",
                hint="call it directly, or define it at module level",
                origin=self.parsed.origin(node))
        if identifier not in self.local_names:
            return name(identifier)
        if identifier not in self.current:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: local variable '{identifier}' is "
                f"read before it is assigned", construct="unbound local",
                hint="assign it first (or pass it in as an argument)",
                origin=self.parsed.origin(node))
        self.bind_if_unbound(self.current[identifier])
        return name(self.current[identifier])

    def bind_if_unbound(self, version: str) -> None:
        """A name a loop assigns is unbound after it when the loop ran no iteration; once it
        is read (or joined), it is bound to None before the loop, as Python would fail only
        if the value were used."""
        for block, loop, at in self.maybe_unbound.pop(version, ()):
            preset = gast.copy_location(assign(version, const(None)), at)
            preset.user_statement = at
            block.insert(next(i for i, s in enumerate(block) if s is loop), preset)

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
        self.note_views(temporary, None, value)    # b.T[0]: a view through `t1`
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
            if node.attr in _MUTATING_METHODS:
                raise TransformError(
                    f"cannot differentiate {self.parsed.name}: the method .{node.attr} is "
                    f"taken as a value; calling it later would change "
                    f"'{to_source(node.value).strip()}' in place, which chainrule cannot "
                    f"follow", construct="in-place method as a value",
                    origin=self.parsed.origin(node),
                    hint="call a function that returns a new object instead (e.g. np.sort)")
            return make(gast.Attribute, value=self.atom(node.value), attr=node.attr,
                        ctx=gast.Load())
        if isinstance(node, gast.Subscript):
            value = self.atom(node.value)
            return make(gast.Subscript, value=value, slice=self.index(node.slice),
                        ctx=gast.Load())
        if isinstance(node, (gast.Tuple, gast.List)):
            return type(node)(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.Dict):
            keys = [self.atom(k) for k in node.keys]
            return make(gast.Dict, keys=keys, values=[self.atom(v) for v in node.values])
        if isinstance(node, gast.IfExp):
            return self.conditional_expression(node)
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):
            return self.comprehension(node)
        if isinstance(node, gast.Lambda):
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: a lambda used as a value is not "
                f"supported", construct="lambda used as a value",
                hint="assign it to a name and call it directly (f = lambda ...; f(x)), or "
                     "define a function at module level", origin=self.parsed.origin(node))
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
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return self.inline_call(func.id, node)
        self.refuse_hidden_mutation(node)
        if self.is_global_reference(func):
            self.note_written_argument(node)
        if isinstance(func, gast.Name) or self.is_global_reference(func):
            callee = self.atom(func)
        elif isinstance(func, gast.Attribute):
            callee = make(gast.Attribute, value=self.atom(func.value), attr=func.attr,
                          ctx=gast.Load())
        else:
            callee = self.atom(func)
        args = []
        for argument in node.args:
            if isinstance(argument, gast.Starred):
                args.extend(self.unpacked(argument))
            else:
                args.append(self.atom(argument))
        keywords = [make(gast.keyword, arg=k.arg, value=self.atom(k.value))
                    for k in node.keywords]
        return make(gast.Call, func=callee, args=args, keywords=keywords)

    def unpacked(self, starred) -> list:
        """``*xs`` in a call, for a tuple or list whose length is known here."""
        value = starred.value
        if isinstance(value, (gast.Tuple, gast.List)):
            return [self.atom(e) for e in value.elts]
        sequence = self.atom(value)
        length = self.lengths.get(getattr(sequence, "id", None))
        if length is None:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: *{getattr(value, 'id', '...')} "
                f"in a call needs a tuple or list whose length is known where it is built",
                construct="starred argument", origin=self.parsed.origin(starred),
                hint="pass the elements explicitly, or build the tuple in this function")
        return [self.atom(make(gast.Subscript, value=sequence, slice=const(position),
                               ctx=gast.Load())) for position in range(length)]

    # -- containers and stores --------------------------------------------------------------

    def list_method(self, call) -> bool:
        """``xs.append(v)`` / ``xs.extend(ys)`` on a local list, as ``xs_1 = xs + [v]``."""
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and isinstance(call.func.value, gast.Name)
                and call.func.value.id in self.local_names
                and call.func.attr in ("append", "extend") and len(call.args) == 1
                and not call.keywords):
            return False
        owner = call.func.value.id
        current = self.read(owner, call.func.value)
        others = (self.shared.get(current.id, set()) - {owner}) | self.held.get(current.id, set())
        others |= self.outside.get(current.id, set()) | self.aliases.get(current.id, set())
        added = self.atom(call.args[0])
        if call.func.attr == "append":
            self.hold(make(gast.List, elts=[added], ctx=gast.Load()), owner)
            added = self.atom(make(gast.List, elts=[added], ctx=gast.Load()))
        self.bind(owner, make(gast.BinOp, left=current, op=gast.Add(), right=added))
        if call.func.attr == "append":
            self.block[-1].chainrule_appended = 1        # the reverse slices off the end
        if others:
            self.block[-1].chainrule_shared_with = sorted(self.displayed(others))
        if owner in self.iterated:     # the loop sees the new length, read elements or not
            self.block[-1].chainrule_iterated = (*self.iterated[owner], True)
        return True

    def note_written_argument(self, call) -> None:
        """``np.copyto(a, v)`` or ``np.sin(v, out=a)`` on a parameter changes the caller's
        array: noted as ``a += ...`` is, for the callers to refuse (this function's own
        transform refuses the write itself)."""
        written = [k.value for k in call.keywords if k.arg == "out"] + call.args[:1]
        parameters = [w.id for w in written if isinstance(w, gast.Name) and w.id in
                      self.params and self.current.get(w.id) == w.id]
        if not parameters:
            return
        from .operations import _writes_in_place       # (operations imports this module)
        writes = any(k.arg == "out" for k in call.keywords) or _writes_in_place(
            resolve_dotted(self.parsed, call.func, self.local_names), call.func)
        if writes:
            self.changed_arguments.setdefault(parameters[0], self.user_statement)

    def refuse_hidden_mutation(self, call) -> None:
        """A call in an expression (an argument, a lambda's or a comprehension's value, a
        conditional expression, an inlined function's return) that changes an object in
        place: refused, as it would run without the normal form seeing the change (only
        ``xs.append(v)`` and ``xs.extend(ys)`` as statements of their own are followed)."""
        func = call.func
        if self.is_builtin(func, ("getattr",)) and len(call.args) > 1 and isinstance(
                call.args[1], gast.Constant) and call.args[1].value in _MUTATING_METHODS:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: getattr(..., "
                f"{call.args[1].value!r}) takes an in-place method as a value; calling it "
                f"would change the object in place, which chainrule cannot follow",
                construct="in-place method as a value", origin=self.parsed.origin(call),
                hint="call a function that returns a new object instead (e.g. np.sort)")
        if self.is_builtin(func, ("setattr", "delattr")):
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: {func.id}() changes an object in "
                f"place, which chainrule cannot follow", construct=f"{func.id}()",
                origin=self.parsed.origin(call),
                hint="build a new object instead (e.g. y = y.reshape(...) for a shape)")
        if not (isinstance(func, gast.Attribute) and func.attr in _MUTATING_METHODS):
            return
        self.refuse_global_mutation(call)
        owner = _owner(func)
        if isinstance(owner, gast.Name) and owner.id in self.local_names:   # xs.append
            shown = self.shown.get(owner.id, owner.id)
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: .{func.attr}() inside an "
                f"expression changes '{shown}' in place, which chainrule cannot follow",
                construct="in-place method inside an expression",
                origin=self.parsed.origin(call),
                hint=f"call it as a statement of its own ({shown}.{func.attr}(...)), or "
                     f"build a new list with a comprehension or +")

    def refuse_global_mutation(self, call) -> None:
        """``G.append(x)`` on a global or closure object would change state outside the
        function (and its value could not be followed): refused."""
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and call.func.attr in _MUTATING_METHODS):
            return
        owner = _owner(call.func)
        if not isinstance(owner, gast.Name):
            # np.asarray(y).fill(0.0), y.view().sort(), rng(0).shuffle(y): what the call
            # returns may be an array of the function's (or the caller's)
            object_ = to_source(call.func.value).strip()
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: .{call.func.attr}() changes "
                f"'{object_}' in place, which may be (or view) an array of the function, "
                f"and chainrule cannot follow that", construct="in-place method",
                origin=self.parsed.origin(call),
                hint="use the function that returns a new object (e.g. np.sort, "
                     "np.full_like, np.where) instead")
        if owner.id not in self.local_names:
            resolved = resolve_global(self.parsed, owner.id)
            if isinstance(resolved, types.ModuleType):
                return          # np.put(y, ...): the NumPy function's own check refuses it
            if isinstance(resolved, type):                  # list.append(xs, v)
                raise TransformError(
                    f"cannot differentiate {self.parsed.name}: {owner.id}."
                    f"{call.func.attr}() changes its first argument in place, which "
                    f"chainrule cannot follow", construct="in-place method",
                    origin=self.parsed.origin(call),
                    hint="build a new object instead (a new list or dict, or np.sort)")
        local = owner.id in self.local_names and (
            owner.id not in self.params or self.current.get(owner.id) in self.new_containers)
        if local and call.func.attr not in ("append", "extend"):
            shown = self.shown.get(owner.id, owner.id)
            error = TransformError(
                f"cannot differentiate {self.parsed.name}: .{call.func.attr}() changes "
                f"'{shown}' in place, which chainrule cannot follow",
                construct="in-place method", origin=self.parsed.origin(call),
                hint=(f"write the operator instead ({shown} = {shown} + ..., or "
                      f"{shown} += ...)" if call.func.attr.startswith("__i") else
                      _new_object_hint(shown, shown, call.func.attr)))
            error.changes_argument = owner.id in self.current and self.may_be_argument(
                self.current[owner.id])
            raise error
        if not local:
            # A global or closure name assigned in the function would be local all through
            # it (Python reads it before it is bound): the copy needs a name of its own.
            copy = owner.id if owner.id in self.params else f"{owner.id}_copy"
            hint = (f"work on a copy made in the function ({copy} = list({owner.id}) or "
                    f"{copy} = {owner.id}.copy()) and return what you need"
                    if call.func.attr in ("append", "extend") else
                    _new_object_hint(copy, owner.id, call.func.attr))
            error = TransformError(
                f"cannot differentiate {self.parsed.name}: .{call.func.attr}() on "
                f"'{owner.id}' changes an object from outside the function",
                construct="mutation of outside state", origin=self.parsed.origin(call),
                hint=hint)
            error.changes_argument = owner.id in self.params
            raise error

    def store_item(self, target, value, index=None) -> None:
        """``name[index] = value``, in place, on a container the function made itself."""
        owner = target.value.id
        base = self.read(owner, target.value)
        others = (self.shared.get(base.id, set()) - {owner}) | self.held.get(base.id, set())
        others |= self.outside.get(base.id, set())
        shown = self.shown.get(owner, owner)
        problem = None
        if owner in self.params and self.current.get(owner) == owner:
            problem = (f"assignment into argument '{owner}' would change the caller's object",
                       f"copy it first ({owner} = {owner}.copy())")
        elif others:
            others = self.displayed(others)
            names_ = sorted(o for o in others if o.isidentifier())
            problem = (f"assignment into '{shown}', which names the same object as "
                       f"{', '.join([repr(o) for o in names_] + sorted(others - set(names_)))}",
                       f"copy it first ({shown} = {names_[0] if names_ else shown}.copy())")
        elif owner not in self.local_names or base.id in self.views:
            problem = (f"assignment into '{shown}', which may be a view of another array",
                       f"make it a copy first ({shown} = ....copy())")
        if problem:
            error = TransformError(f"cannot differentiate {self.parsed.name}: {problem[0]} "
                                   f"(assignment into an element)",
                                   construct="assignment into an element", hint=problem[1],
                                   origin=self.parsed.origin(target))
            error.changes_argument = self.may_be_argument(base.id)
            raise error
        index = index if index is not None else self.index(target.slice)
        store = make(gast.Assign, targets=[make(gast.Subscript, value=base, slice=index,
                                                ctx=gast.Store())], value=value)
        self.emit(store)
        self.changed_in_place(store, base.id, shown, index)
        if isinstance(value, gast.Name) and value.id in self.view_of:
            # keep[0] = y[:2]: a list or dict now holds a view of y (an array copies it: the
            # checks when the code runs find no shared memory then)
            held = [(value.id, value.id)] + self.view_of[value.id][1]
            if all(viewed != base.id for viewed, _ in held):     # not y[:2] = y[1:]
                bases = self.view_of.setdefault(base.id, (owner, []))[1]
                bases += [entry for entry in held if entry not in bases]
        self.hold(make(gast.List, elts=[value], ctx=gast.Load()), owner)   # d["k"] = lst

    # -- nested functions -------------------------------------------------------------------

    def define_function(self, node, name_: str) -> None:
        """Remember a nested ``def`` (or ``name = lambda ...``): calls to it are inlined.
        Defaults are evaluated here, where Python evaluates them."""
        if isinstance(node, gast.Lambda):
            body = [gast.copy_location(make(gast.Return, value=node.body), node.body)]
            node = gast.copy_location(make(gast.FunctionDef, name=name_, args=node.args,
                                           body=body, decorator_list=[], returns=None), node)
        if node.decorator_list:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: decorated nested function "
                f"'{name_}'", construct="decorated nested function",
                hint="define the decorated function at module level",
                origin=self.parsed.origin(node))
        args = node.args
        if args.vararg or args.kwarg:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: nested function '{name_}' takes "
                f"*args/**kwargs", construct="nested function with *args",
                hint="name each parameter", origin=self.parsed.origin(node))
        defaults = [self.atom(d) for d in args.defaults]
        kw_defaults = [d if d is None else self.atom(d) for d in args.kw_defaults]
        self.local_functions[name_] = (node, defaults, kw_defaults)

    def inline_call(self, function_name: str, call: gast.Call):
        """The value of a call of a nested function, computed by its body inlined here (its
        locals renamed apart; the variables it closes over read as they are now)."""
        node, defaults, kw_defaults = self.local_functions[function_name]
        if function_name in self.inlining:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: nested function "
                f"'{function_name}' calls itself", construct="recursive nested function",
                hint="define a recursive function at module level",
                origin=self.parsed.origin(call))
        args = node.args
        positional = [a.id for a in args.posonlyargs + args.args]
        keyword_only = [a.id for a in args.kwonlyargs]
        values = {}
        if len(call.args) > len(positional):
            raise self.call_error(call, function_name, "too many positional arguments")
        for parameter, argument in zip(positional, call.args):
            values[parameter] = self.atom(argument)
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg in values or \
                    keyword.arg not in positional + keyword_only:
                raise self.call_error(call, function_name, f"bad keyword {keyword.arg}")
            values[keyword.arg] = self.atom(keyword.value)
        for parameter, default in zip(positional[len(positional) - len(defaults):], defaults):
            values.setdefault(parameter, default)
        for parameter, default in zip(keyword_only, kw_defaults):
            if default is not None:
                values.setdefault(parameter, default)
        missing = [p for p in positional + keyword_only if p not in values]
        if missing:
            raise self.call_error(call, function_name, f"missing argument {missing[0]}")
        renames = {local: self.namer.fresh(local)
                   for local in _stored_names(node.body) | set(positional + keyword_only)}
        self.local_names.update(renames.values())
        self.shown.update({renamed: local for local, renamed in renames.items()})
        body = [_renamed(clone(statement), renames) for statement in node.body]
        inner = make(gast.FunctionDef, name=function_name, args=node.args, body=body,
                     decorator_list=[], returns=None)
        lowered = lower_exits(gast.copy_location(inner, node), self.namer)
        self.local_names |= _stored_names(lowered)
        outer_statement, outer_result = self.user_statement, self.inline_result
        self.inlining.append(function_name)
        try:
            for parameter, value in values.items():
                self.user_statement = outer_statement
                self.bind(renames[parameter], value)
                if isinstance(value, gast.Name) and value.id in self.shared_names():
                    # add(xs, v): L is the caller's object. For a list or dict that is
                    # shared at once; L.append(v) on it always is (an array's changes are
                    # checked when the code runs, against the arrays it may share).
                    self.aliases[self.current[renames[parameter]]] = {
                        self.user_name_of(value.id)}
                    if value.id in self.containers:
                        self.share(renames[parameter], value)
            self.inline_result = None
            for statement in lowered:
                if self.statement(statement):
                    break
            result = self.inline_result if self.inline_result is not None else const(None)
        finally:
            self.inlining.pop()
            self.user_statement, self.inline_result = outer_statement, outer_result
        return _normalized(result) if isinstance(result, gast.Name) else result

    def call_error(self, call, function_name: str, what: str) -> TransformError:
        return TransformError(f"cannot differentiate {self.parsed.name}: call of nested "
                              f"function '{function_name}': {what}",
                              construct=f"call of {function_name}",
                              origin=self.parsed.origin(call))

    def builtin_name(self, identifier: str) -> str:
        """The name ``identifier``, when it means the builtin here (not shadowed)."""
        if identifier in self.local_names or identifier in self.parsed.globals or \
                identifier in self.parsed.cells:
            raise TransformError(f"cannot differentiate {self.parsed.name}: enumerate(zip(...)) "
                                 f"needs the builtin {identifier}, which is shadowed",
                                 construct="shadowed builtin")
        return identifier

    def is_builtin(self, func, names) -> bool:
        return (isinstance(func, gast.Name) and func.id in names
                and func.id not in self.local_names
                and func.id not in self.parsed.globals and func.id not in self.parsed.cells
                and getattr(builtins, func.id, None) is not None)

    def opaque(self, node):
        """Boolean logic (``and``/``or``/``not``).

        Over names and constants only, it is kept whole (its local names renamed): pure, so
        the reverse sweep may evaluate it again. Anything else (calls, indexing) is lowered,
        keeping Python's short-circuit: ``a and b`` becomes ``t = a; if t: t = b``, so the
        value is computed once and is differentiable like any choice between branches."""
        if not _simple_boolean(node, self.local_names) or (
                isinstance(node, gast.BoolOp) and not _boolean_valued(node)):
            if isinstance(node, gast.UnaryOp):
                return self.opaque(make(gast.UnaryOp, op=node.op,
                                        operand=self.atom(node.operand)))
            return self.short_circuit(node)
        node = clone(node)
        for inner in names(node):
            if inner.id in self.local_names:
                inner.id = self.read(inner.id, inner).id
        node.chainrule_opaque = True
        return node

    def short_circuit(self, node):
        """``a and b and ...`` / ``a or b or ...`` as assignments and ``if`` statements."""
        temporary = self.namer.temporary()
        self.local_names.add(temporary)
        outer = self.user_statement
        first, *rest = node.values
        statements = [gast.copy_location(assign(temporary, first), node)]
        chain = []
        for value in reversed(rest):
            update = [gast.copy_location(assign(temporary, value), value)] + chain
            test = name(temporary) if isinstance(node.op, gast.And) else make(
                gast.UnaryOp, op=gast.Not(), operand=name(temporary))
            chain = [gast.copy_location(make(gast.If, test=test, body=update, orelse=[]),
                                        value)]
        for statement in statements + chain:
            for inner in walk(statement):
                if isinstance(inner, gast.stmt):
                    inner.chainrule_part_of = outer
            self.statement(statement)
            self.user_statement = outer
        return _normalized(name(self.current[temporary]))

    # -- statements -------------------------------------------------------------------------

    def emit(self, statement) -> None:
        statement.user_statement = self.user_statement
        gast.copy_location(statement, self.user_statement)
        self.block.append(statement)

    def changed_in_place(self, statement, base: str, base_name: str, index=None) -> None:
        """``statement`` changes the array (SSA name) ``base`` in place (at ``index``; None:
        all of it). It is marked with the possible views of ``base`` made before, which
        would show the change; and, when ``base`` is what a function of yours returned, with
        the arrays it was given, which it may be (or, for `v = b`, with `b`)."""
        views = [(view, user) for view, (user, bases) in self.view_of.items()
                 if view != base and any(viewed == base for viewed, _ in bases)]
        statement.chainrule_changes = (base, base_name, index, views)
        if base in self.view_of:              # v = b, or what a function of yours returned
            # (a copy: names joined later are not bound here)
            statement.chainrule_changes_given = list(self.view_of[base][1])
        # The checks read these names: one a loop assigns is bound (to None) before it, in
        # case the loop runs no turn.
        for checked, _ in views + getattr(statement, "chainrule_changes_given", []):
            self.bind_if_unbound(checked)

    def carried_views(self, body: list, headers: dict) -> None:
        """A change in place in a loop is seen by the next turn through what the loop
        carries (`hs.append(h)` after `h[:] = ...`): its header names that may view the
        changed array are views of it too."""
        for statement in walk(body):
            changes = getattr(statement, "chainrule_changes", None)
            if not changes:
                continue
            base, _, _, views = changes
            for header in headers.values():
                holder = self.view_of.get(header)
                if holder and any(viewed == base for viewed, _ in holder[1]) and \
                        all(view != header for view, _ in views):
                    views.append((header, holder[0]))

    def carried_outside(self, body: list, headers: dict) -> None:
        """A loop's next turn may change in place what a later statement of its body bound
        to an object from outside the function (``a += x; a = G``): such a change is
        refused as one on ``a = G; a += x`` is (it is only known once the body is done)."""
        carried = {header: self.outside[header] for header in headers.values()
                   if header in self.outside}
        variable_of = {header: variable for variable, header in headers.items()}
        if not carried:
            return
        for statement in walk(body):
            changes = getattr(statement, "chainrule_changes", None)
            base = changes[0] if changes else statement.value.left.id if getattr(
                statement, "chainrule_appended", None) else None
            if base not in carried:
                continue
            if isinstance(statement.targets[0], gast.Subscript):
                owner = self.shown.get(variable_of[base], variable_of[base])
                raise TransformError(
                    f"cannot differentiate {self.parsed.name}: assignment into '{owner}', "
                    f"which names the same object as "
                    f"{', '.join(repr(n) for n in sorted(carried[base]))} on a later turn "
                    f"of the loop (assignment into an element)",
                    construct="assignment into an element", hint=f"copy it first ({owner} = "
                    f"{sorted(carried[base])[0]}.copy())",
                    origin=self.parsed.origin(statement.user_statement))
            statement.chainrule_shared_with = sorted(
                set(getattr(statement, "chainrule_shared_with", None) or ()) | carried[base])

    def nested(self, statements: list, current: dict) -> tuple[list, dict]:
        """Normalize ``statements`` into a block of their own, starting from the SSA map
        ``current``; returns the block and the map at its end."""
        outer_block, outer_current, outer_user = self.block, self.current, self.user_statement
        self.block, self.current = [], dict(current)
        try:
            for statement in statements:
                self.statement(statement)
            return self.block, self.current
        finally:
            self.block, self.current, self.user_statement = outer_block, outer_current, outer_user

    def copy(self, target: str, source: str, into: list, at) -> None:
        self.bind_if_unbound(source)
        if source in self.views or source in self.params:
            self.views.add(target)
        if source in self.view_of:      # a join's name may view what any path's may
            self.merge_views({target: self.view_of[source]})
        if source in self.outside:
            self.outside.setdefault(target, set()).update(self.outside[source])
        if source in self.containers:
            self.containers.add(target)
        for _, bases in list(self.view_of.values()):    # a view of `b` views its copy too
            bases += [(target, user) for base, user in bases if base == source
                      and (target, user) not in bases]
        statement = assign(target, name(source))
        statement.user_statement = at
        gast.copy_location(statement, at)
        into.append(statement)

    # -- control flow -----------------------------------------------------------------------

    def condition(self, node):
        """An if/while test: a comparison or boolean expression of atoms stays whole (pure,
        so the reverse sweep can evaluate it again); anything else becomes an atom."""
        test = self.operation(node)
        if isinstance(test, (gast.Compare, gast.Name, gast.Constant)) or getattr(
                test, "chainrule_opaque", False):
            return test
        temporary = self.namer.temporary()
        self.emit(assign(temporary, test))
        return _normalized(name(temporary))

    def if_statement(self, node) -> None:
        test = self.condition(node.test)
        at = self.user_statement
        before = dict(self.current)
        views_before = self.views_now()
        outside_before = {version: set(names_) for version, names_ in self.outside.items()}
        body, after_body = self.nested(node.body, before)
        # A name first bound in the if has one SSA name in both branches: each branch
        # starts from what was known before it, and the join keeps what either knows.
        views_after_body, self.view_of = self.view_of, views_before
        outside_after_body, self.outside = self.outside, outside_before
        orelse, after_orelse = self.nested(node.orelse, before)
        self.merge_views(views_after_body)
        for version, names_ in outside_after_body.items():
            self.outside.setdefault(version, set()).update(names_)
        self.user_statement = at
        joins, renamed = {}, {}
        for variable in sorted(set(after_body) | set(after_orelse)):
            in_body, in_orelse = after_body.get(variable), after_orelse.get(variable)
            if in_body == in_orelse:
                self.current[variable] = in_body
                continue
            joined = self.namer.version(variable)          # phi: one name after the if
            joins[joined] = (in_body, in_orelse)
            for version, block in ((in_body, body), (in_orelse, orelse)):
                if version is None:
                    # Unbound on this path (Python would fail only if it were read): bind
                    # the join name to None, so later joins can always copy it.
                    unbound = assign(joined, const(None))
                    unbound.user_statement = at
                    block.append(gast.copy_location(unbound, at))
                elif _rename_last_definition(block, version, joined):
                    renamed[version] = joined
                else:
                    self.copy(joined, version, block, at)
            self.current[variable] = joined
            if in_body in self.new_containers and in_orelse in self.new_containers:
                self.new_containers.add(joined)
        if renamed:
            _rename_checked_views(body + orelse, renamed)
        self.join_views(joins, name_ids(body + orelse, gast.Store))
        statement = make(gast.If, test=test, body=body or [make(gast.Pass)], orelse=orelse)
        self.emit(statement)

    def views_now(self) -> dict:
        """A copy of ``view_of`` that later changes to it leave alone."""
        return {version: (user, list(bases)) for version, (user, bases) in
                self.view_of.items()}

    def merge_views(self, other: dict) -> None:
        """Let ``view_of`` also hold what ``other`` (another path's) holds."""
        for version, (user, bases) in other.items():
            mine = self.view_of.setdefault(version, (user, []))[1]
            mine += [base for base in bases if base not in mine]

    def join_views(self, joins: dict[str, tuple], assigned: set[str]) -> None:
        """After a join (``joins``: joined name -> the versions it joins), a joined name may
        be a view of whatever any of its versions may view: a view made on one path is
        checked on every path after it. A viewed name that the joined paths assign
        (``assigned``) is replaced by the name it is joined into; one not joined and not
        live is left out (a temporary of one path: a check may read only names bound on
        its path)."""
        renamed = {version: joined for joined, versions in joins.items()
                   for version in versions if version is not None}
        for joined, versions in joins.items():
            for version in versions:
                if version in self.views:
                    self.views.add(joined)
                if version in self.outside:
                    self.outside.setdefault(joined, set()).update(self.outside[version])
                if version in self.containers:
                    self.containers.add(joined)
                if version in self.view_of:
                    self.merge_views({joined: self.view_of[version]})
        self.prune_views(assigned | set(joins), renamed)

    def prune_views(self, assigned: set[str], renamed: dict[str, str]) -> None:
        """After a join, what ``view_of`` says of the names the joined paths assign: a name
        joined into another is replaced by it (``renamed``); one neither joined nor live is
        left out."""
        live = set(self.current.values())
        for version in assigned:
            entry = self.view_of.get(version)
            if entry is None:
                continue
            if version not in live:         # a temporary of one path: no check reads it
                del self.view_of[version]
                continue
            bases = []
            for base, user in entry[1]:
                base = renamed.get(base, base)
                if base != version and (base in live or base not in assigned) and \
                        (base, user) not in bases:
                    bases.append((base, user))
            entry[1][:] = bases
            if not bases:
                del self.view_of[version]

    def assert_statement(self, node) -> None:
        """``assert test, message`` runs in the primal as Python runs it: the test once, the
        message only if it fails (``if not test: assert False, message``). No gradient flows
        through it. Under ``python -O`` Python drops it, and so does the transform."""
        if sys.flags.optimize:
            return
        if node.msg is None or isinstance(node.msg, gast.Constant):
            self.emit(make(gast.Assert, test=self.condition(node.test), msg=node.msg))
        elif isinstance(node.test, gast.Constant) and not node.test.value:
            self.emit(make(gast.Assert, test=node.test, msg=self.atom(node.msg)))
        else:
            failing = gast.copy_location(make(gast.Assert, test=const(False), msg=node.msg),
                                         node)
            failing.chainrule_part_of = self.user_statement
            self.if_statement(gast.copy_location(make(
                gast.If, test=make(gast.UnaryOp, op=gast.Not(), operand=node.test),
                body=[failing], orelse=[]), node))

    def conditional_expression(self, node):
        """``a if c else b`` as an if statement assigning a temporary in each branch."""
        test = self.atom(node.test)
        temporary = self.namer.temporary()
        self.local_names.add(temporary)
        branches = [assign(temporary, node.body), assign(temporary, node.orelse)]
        for branch in branches:
            gast.copy_location(branch, node)
        outer = self.user_statement
        self.if_statement(gast.copy_location(
            make(gast.If, test=test, body=branches[:1], orelse=branches[1:]), node))
        self.user_statement = outer
        if self.current[temporary] in self.view_of:     # messages name what the user wrote
            bases = self.view_of[self.current[temporary]][1]
            self.view_of[self.current[temporary]] = (to_source(node).strip(), bases)
        return _normalized(name(self.current[temporary]))

    def comprehension(self, node):
        """``[e for v in xs if c]`` (or a generator, or a dict comprehension) as the loop
        that builds it: ``t = []; for v in xs: if c: t.append(e)``. Its variables are
        renamed apart, as Python keeps them local to the comprehension."""
        result = self.namer.temporary()
        self.local_names.add(result)
        targets = name_ids([g.target for g in node.generators])
        renames = {t: self.namer.fresh(t) for t in targets}
        self.local_names.update(renames.values())
        if isinstance(node, gast.DictComp):
            key, value = (_renamed(clone(node.key), renames), _renamed(clone(node.value),
                                                                        renames))
            start = make(gast.Dict, keys=[], values=[])
            innermost = make(gast.Assign, targets=[make(
                gast.Subscript, value=name(result), slice=key, ctx=gast.Store())], value=value)
        else:
            start = make(gast.List, elts=[], ctx=gast.Load())
            innermost = make(gast.Expr, value=make(gast.Call, func=make(
                gast.Attribute, value=name(result), attr="append", ctx=gast.Load()),
                args=[_renamed(clone(node.elt), renames)], keywords=[]))
        body = [gast.copy_location(innermost, node)]
        for position, generator in reversed(list(enumerate(node.generators))):
            for condition in reversed(generator.ifs):
                body = [gast.copy_location(make(gast.If, test=_renamed(
                    clone(condition), renames), body=body, orelse=[]), node)]
            iterable = generator.iter if position == 0 else _renamed(clone(generator.iter),
                                                                       renames)
            body = [gast.copy_location(make(gast.For, target=_renamed(
                clone(generator.target), renames), iter=iterable, body=body, orelse=[]),
                node)]
        outer = self.user_statement
        statements = [gast.copy_location(assign(result, start), node)] + body
        for statement in statements:
            for inner in walk(statement):
                if isinstance(inner, gast.stmt):
                    inner.chainrule_part_of = outer     # comments name the user's statement
            self.statement(statement)
            self.user_statement = outer
        return _normalized(name(self.current[result]))

    def loop_headers(self, node, at) -> dict[str, str]:
        """Header names of the loop-carried variables, initialized before the loop.

        A variable is carried when it is bound before the loop, or when an iteration may
        leave it unassigned (it then keeps an earlier iteration's value; before the first
        assignment it holds None where Python would have it unbound)."""
        targets = _stored_names([node.target]) if isinstance(node, gast.For) else set()
        assigned = _stored_names(node.body, self.local_names) | targets
        every_iteration = _definitely_assigned(node.body, self.local_names) | targets
        headers = {}
        for variable in sorted(assigned):
            if variable not in self.current and variable in every_iteration:
                continue
            header = self.namer.version(variable)
            if self.current.get(variable) in self.new_containers and \
                    _only_new_containers(node.body, variable):
                self.new_containers.add(header)
            if variable in self.current:
                self.copy(header, self.current[variable], self.block, at)
            else:
                unbound = assign(header, const(None))
                unbound.user_statement = at
                self.block.append(gast.copy_location(unbound, at))
            headers[variable] = header
            self.current[variable] = header
        return headers

    def close_loop(self, loop, body: list, after_body: dict, headers: dict, at) -> None:
        exit_test = getattr(loop.chainrule_user, "chainrule_exit_test", None)
        loop.chainrule_exit_test = None
        if exit_test is not None:
            # Evaluated at the end of the body, on this iteration's values.
            outer_block, outer_current = self.block, self.current
            self.block, self.current = body, after_body
            self.user_statement = loop.chainrule_user.chainrule_exit_statement
            loop.chainrule_exit_test = self.condition(exit_test)
            body, after_body = self.block, self.current
            self.block, self.current = outer_block, outer_current
            self.user_statement = at
        for variable, header in headers.items():
            if after_body.get(variable, header) != header:
                self.copy(header, after_body[variable], body, at)   # back for the next turn
        self.carried_views(body, headers)
        self.carried_outside(body, headers)
        before = dict(self.current)
        for variable, version in after_body.items():
            self.current[variable] = headers.get(variable, version)
        self.prune_views(name_ids(body, gast.Store), {
            after_body[variable]: header for variable, header in headers.items()
            if variable in after_body})
        loop.chainrule_headers = headers
        loop.chainrule_exit_flags = [self.current[f] for f in getattr(
            loop.chainrule_user, "chainrule_exit_flags", [])]
        loop.body = body or [make(gast.Pass)]
        self.emit(loop)
        for variable, version in self.current.items():
            if variable not in before and variable not in headers:
                # Bound only if the loop ran: bound to None before it if read later.
                self.maybe_unbound.setdefault(version, []).append((self.block, loop, at))

    def for_statement(self, original) -> None:
        at = self.user_statement
        node = gast.copy_location(make(gast.For, target=original.target, iter=original.iter,
                                       body=original.body, orelse=[]), original)  # rewritable
        iterable, sources = self.loop_iterable(node)
        at_entry = dict(self.current)
        headers = self.loop_headers(node, at)
        before = dict(self.current)
        targets = node.target.elts if len(sources) > 1 else [node.target]
        loop_targets, elements, unpacking = [], [], []
        for target, source in zip(targets, sources):
            if isinstance(target, gast.Name):
                version = self.namer.version(target.id) if target.id in before or \
                    target.id in self.params else target.id
                before[target.id] = version
            else:
                version = self.namer.temporary()           # unpacked at the start of the body
                unpacking.append(gast.copy_location(make(
                    gast.Assign, targets=[target], value=_normalized(name(version))), node))
            self.namer.reserve(version)
            loop_targets.append(name(version, store=True))
            elements.append((version, source))
            if source is not None:
                self.views.add(version)        # a row of an array, an item of a list
                if isinstance(source[0], gast.Name):
                    self.note_views(version, target.id if isinstance(target, gast.Name)
                                    else version, make(gast.Subscript, value=source[0],
                                                       slice=const(0), ctx=gast.Load()))
        iterated = dict(self.iterated)
        read_in_body = name_ids(original.body, gast.Load)
        for target, source in zip(targets, sources):
            if source is not None and isinstance(source[0], gast.Name):
                origin = self.parsed.origin(original)
                # An element the body never reads cannot see an array's update (nor can an
                # index); a list's new length changes the loop all the same.
                reads = bool(name_ids(target, gast.Store) & read_in_body)
                for user, version in at_entry.items():
                    if version == source[0].id and user in self.local_names:
                        self.iterated[user] = (f"the sequence the loop at line "
                                               f"{origin.lineno if origin else '?'} iterates",
                                               reads)
        try:
            body, after_body = self.nested(unpacking + node.body, before)
        finally:
            self.iterated = iterated
        self.user_statement = at
        loop = make(gast.For, target=loop_targets[0] if len(loop_targets) == 1 else make(
            gast.Tuple, elts=loop_targets, ctx=gast.Store()), iter=iterable, body=[],
            orelse=[])
        loop.chainrule_user = original
        loop.chainrule_elements = elements
        self.close_loop(loop, body, after_body, headers, at)

    def loop_iterable(self, node):
        """The loop header's iterable (atoms) and, per target, the sequence it indexes:
        ``None`` for a counter (range, enumerate's index), else ``(atom, reversed?)``."""
        iterable = node.iter
        if isinstance(iterable, gast.Call) and not iterable.keywords:
            func, args = iterable.func, iterable.args
            if self.is_builtin(func, ("range",)):
                return make(gast.Call, func=func, args=[self.atom(a) for a in args],
                            keywords=[]), [None]
            tuple_target = isinstance(node.target, (gast.Tuple, gast.List))
            if self.is_builtin(func, ("enumerate",)) and tuple_target and \
                    len(node.target.elts) == 2 and len(args) == 1 and \
                    isinstance(args[0], gast.Call) and self.is_builtin(args[0].func, ("zip",)) \
                    and isinstance(node.target.elts[1], (gast.Tuple, gast.List)) and \
                    len(node.target.elts[1].elts) == len(args[0].args):
                # for i, (a, b) in enumerate(zip(xs, ys)) is for i, a, b in zip(range, xs, ys)
                zipped = args[0].args
                counter = make(gast.Call, func=name(self.builtin_name("range")), args=[
                    make(gast.Call, func=name(self.builtin_name("len")), args=[zipped[0]],
                         keywords=[])], keywords=[])
                node.target = make(gast.Tuple, elts=[node.target.elts[0]] +
                                   node.target.elts[1].elts, ctx=gast.Store())
                node.iter = make(gast.Call, func=args[0].func, args=[counter] + zipped,
                                 keywords=[])
                return self.loop_iterable(node)
            if self.is_builtin(func, ("enumerate",)) and tuple_target and \
                    len(node.target.elts) == 2 and len(args) in (1, 2):
                sequence, source = self.sequence(args[0])
                extra = [self.atom(a) for a in args[1:]]
                return make(gast.Call, func=func, args=[sequence] + extra, keywords=[]), [
                    None, source]
            if self.is_builtin(func, ("zip",)) and tuple_target and \
                    len(node.target.elts) == len(args):
                parts = [self.sequence(a) for a in args]
                return make(gast.Call, func=func, args=[p[0] for p in parts], keywords=[]), [
                    p[1] for p in parts]
        sequence, source = self.sequence(iterable)
        return sequence, [source]

    def sequence(self, node):
        """A loop's sequence as written in the header, and where its elements come from:
        ``(atom, reversed?)``."""
        if isinstance(node, gast.Call) and self.is_builtin(node.func, ("reversed",)) and \
                len(node.args) == 1 and not node.keywords:
            atom = self.atom(node.args[0])
            return make(gast.Call, func=node.func, args=[atom], keywords=[]), (atom, True)
        atom = self.atom(node)
        return atom, (atom, False)

    def while_statement(self, node) -> None:
        at = self.user_statement
        headers = self.loop_headers(node, at)
        test_block, after_test = self.nested([], self.current)
        outer_block, outer_current = self.block, self.current
        self.block, self.current = test_block, after_test
        test = self.condition(node.test)
        test_block, test_current = self.block, self.current
        self.block, self.current = outer_block, outer_current
        if test_block:
            # The test needs statements of its own: `while True:` and leave when it fails.
            leave = make(gast.If, test=make(gast.UnaryOp, op=gast.Not(), operand=test),
                         body=[make(gast.Break)], orelse=[])
            test_block.append(gast.copy_location(leave, at))
            for statement in test_block:
                statement.user_statement = at
            header_test = const(True)
        else:
            header_test = test
        body, after_body = self.nested(node.body, test_current)
        self.user_statement = at
        loop = make(gast.While, test=header_test, body=[], orelse=[])
        loop.chainrule_user = node
        loop.chainrule_test = test_block
        self.close_loop(loop, body, after_body, headers, at)

    def bind(self, identifier: str, value) -> None:
        """Assign ``value`` (already normalized) to a new version of ``identifier``."""
        version = (identifier if identifier not in self.current and identifier not in
                   self.params else self.namer.version(identifier))
        self.namer.reserve(version)
        self.emit(assign(version, value))
        self.current[identifier] = version
        if _is_new_container(value) or isinstance(value, gast.BinOp):  # a + [v]: new too
            self.new_containers.add(version)
        if _may_be_view(value, self.views, self.params):
            self.views.add(version)
        self.note_views(version, identifier, value)
        if isinstance(value, gast.Name) and value.id in self.containers:
            self.containers.add(version)
        self.outside.pop(version, None)
        if isinstance(value, gast.Name) and (value.id in self.outside or (
                value.id in self.written and value.id not in self.local_names)):
            # (a generated name, SSA or temporary, is never one the user wrote)
            self.outside[version] = set(self.outside.get(value.id, {value.id}))
        if isinstance(value, (gast.Tuple, gast.List)):
            self.lengths[version] = len(value.elts)

    def note_views(self, version: str, identifier: str | None, value) -> None:
        """Record what ``version`` (user name ``identifier``; a temporary's is what it holds,
        ``a[1]``), just assigned ``value``, may be a view of (see ``view_of``)."""
        self.view_of.pop(version, None)
        bases = []
        if isinstance(value, gast.Name):                 # d = c: what c may view
            bases = self.local_arrays([value.id], identifier)
        elif _may_be_view(value, self.views, self.params) or _may_share(value):
            candidates = _viewed_names(value)
            bases = self.local_arrays(candidates[:1], identifier) or \
                self.local_arrays(candidates[1:2], identifier)   # np.transpose(b): b
        elif self.of_your_function(value):
            # What a function of yours returns may be one of its arguments, or a view.
            bases = self.local_arrays([a.id for a in value.args + [k.value for k in
                                                                    value.keywords]
                                       if isinstance(a, gast.Name)], identifier)
        elif isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
            items = value.values if isinstance(value, gast.Dict) else value.elts
            bases = self.local_arrays([item.id for item in items
                                       if isinstance(item, gast.Name)], identifier)
            self.containers.add(version)
        elif isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and any(
                isinstance(part, gast.Name) and part.id in self.containers
                for part in (value.left, value.right)):
            # keep + [v] (and keep.append(v)): a list holding what either part holds
            bases = self.local_arrays([part.id for part in (value.left, value.right)
                                       if isinstance(part, gast.Name)
                                       and part.id in self.view_of], identifier)
            self.containers.add(version)
        for viewed, _ in list(bases):                     # a view of a view views its array
            bases += [base for base in self.view_of.get(viewed, ("", []))[1]
                      if base not in bases]
        if bases:
            self.view_of[version] = (identifier or to_source(value).strip(), bases)

    def local_arrays(self, versions: list[str], identifier: str) -> list[tuple[str, str]]:
        """(SSA name, user name) of those of ``versions`` that are live locals, or
        temporaries that may view one (``t1`` in ``b.T[0]``)."""
        found = []
        for viewed in versions:
            owner = next((user for user, live in self.current.items()
                          if live == viewed and user != identifier), None)
            if owner is None and viewed in self.view_of:
                owner = viewed
            if owner is not None:
                found.append((viewed, owner))
        return found

    def of_your_function(self, value) -> bool:
        """Whether ``value`` is a call of a Python function (not a builtin, not NumPy's):
        ``helper(b)`` or ``module.helper(b)``."""
        if not isinstance(value, gast.Call) or not self.is_global_reference(value.func):
            return False
        if isinstance(value.func, gast.Name):
            callee = resolve_global(self.parsed, value.func.id)
        else:
            callee = resolve_dotted(self.parsed, value.func, self.local_names)
        return isinstance(callee, types.FunctionType) and \
            not (callee.__module__ or "").startswith("numpy")

    def assign_target(self, target, node) -> None:
        """Assign the (user) expression ``node`` to ``target``."""
        if isinstance(target, gast.Name) and isinstance(node, gast.Lambda):
            self.define_function(node, target.id)
            return
        if isinstance(target, gast.Subscript):
            self.store_item(target, self.atom(node))
            return
        if isinstance(target, gast.Name):
            value = self.operation(node)
            self.bind(target.id, value)
            self.hold(value, target.id)
            self.share(target.id, value)
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

    def may_be_argument(self, version: str) -> bool:
        """Whether the SSA name ``version`` may be (or view) an argument's object: a change
        to it may change the caller's (see ``GradientBuilder.check_changed_arguments``)."""
        if version in self.params or version in self.views:
            return True
        return any(other in self.params for other in self.shared.get(version, ())) or any(
            base in self.params for base, _ in self.view_of.get(version, ("", []))[1])

    def displayed(self, others: set[str]) -> set[str]:
        """The names of ``others`` the user wrote (a temporary, the value of `G if c else z`
        or of a comprehension, is named by what it may be), or all of them if none is."""
        return {o for o in others if o in self.written or not o.isidentifier()} or others

    def share(self, identifier: str, value) -> None:
        """``identifier`` was just bound to ``value``: when that is another local's object,
        the two names share it (an in-place change of either is seen through the other)."""
        if isinstance(value, gast.Name) and value.id in self.shared_names():
            group = self.shared.setdefault(value.id, {self.user_name_of(value.id)})
            group.add(identifier)
            self.shared[self.current[identifier]] = group

    def hold(self, container, owner: str) -> None:
        """Remember that the list, tuple or dict literal ``container`` (bound to ``owner``)
        holds the objects of the names among its items."""
        items = container.values if isinstance(container, gast.Dict) else \
            container.elts if isinstance(container, (gast.List, gast.Tuple)) else ()
        for item in items:
            if isinstance(item, gast.Name) and item.id in self.shared_names():
                self.held.setdefault(item.id, set()).add(f"an item of '{owner}'")

    def shared_names(self) -> set[str]:
        """SSA names that are the current value of a local name (copies can share them)."""
        return set(self.current.values())

    def user_name_of(self, ssa_name: str) -> str:
        return next(user for user, version in self.current.items() if version == ssa_name)

    def statement(self, node) -> bool:
        """Normalize one user statement; ``True`` once the function has returned."""
        self.user_statement = getattr(node, "chainrule_part_of", node)
        if isinstance(node, gast.Assign):
            if len(node.targets) == 1:
                self.assign_target(node.targets[0], node.value)
            else:
                value = self.atom(node.value)
                for target in node.targets:
                    self.assign_target(target, value)
        elif isinstance(node, gast.AnnAssign):
            self.assign_target(node.target, node.value)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Subscript):
            # y[i] += v reads the element, then stores the sum back in place.
            index = self.index(node.target.slice)
            base = self.read(node.target.value.id, node.target.value)
            element = make(gast.Subscript, value=base, slice=index, ctx=gast.Load())
            total = make(gast.BinOp, left=self.atom(element), op=node.op,
                         right=self.atom(node.value))
            value = self.atom(total)
            holders = sorted({user for _, user in self.view_of.get(base.id, ("", []))[1]
                              if user.isidentifier()} - {node.target.value.id})
            if base.id in self.containers and holders and isinstance(value, gast.Name) and \
                    self.block and self.block[-1].targets[0].id == value.id:
                # xs[0] += v changes an array or list item in place, which these names
                # (xs = [y]) also hold: refused when the code runs if the item is one.
                self.block[-1].chainrule_shared_with = holders
            self.store_item(node.target, value, index)
        elif isinstance(node, gast.AugAssign):
            if node.target.id in self.params and self.current.get(node.target.id) == \
                    node.target.id:
                self.changed_arguments.setdefault(node.target.id, self.user_statement)
            current = self.read(node.target.id, node.target)
            others = self.shared.get(current.id, set()) - {node.target.id}
            others = others | self.held.get(current.id, set()) | self.outside.get(current.id,
                                                                                set())
            if current.id in self.views and not others and node.target.id not in self.params:
                others = {"the array or list it may be a slice, row or item of"}
            self.bind(node.target.id, make(gast.BinOp, left=current, op=node.op,
                                            right=self.atom(node.value)))
            # An array's op= changes it in place (a number is rebound: checked at run time).
            self.changed_in_place(self.block[-1], current.id,
                                  self.shown.get(node.target.id, node.target.id))
            if others:
                # On an array this updates the object that `others` also name; the reverse
                # builder refuses it unless the value is a Python scalar.
                self.block[-1].chainrule_shared_with = sorted(self.displayed(others))
            if node.target.id in self.iterated:
                self.block[-1].chainrule_iterated = (*self.iterated[node.target.id], False)
        elif isinstance(node, gast.Expr):
            self.refuse_global_mutation(node.value)
            if self.list_method(node.value):
                pass
            elif isinstance(node.value, gast.Call):
                self.emit(make(gast.Expr, value=self.call(node.value)))
            elif not isinstance(node.value, gast.Constant):
                self.atom(node.value)
        elif isinstance(node, gast.If):
            self.if_statement(node)
        elif isinstance(node, gast.For):
            self.for_statement(node)
        elif isinstance(node, gast.While):
            self.while_statement(node)
        elif isinstance(node, gast.Assert):
            self.assert_statement(node)
        elif isinstance(node, gast.FunctionDef):
            self.define_function(node, node.name)
        elif isinstance(node, (gast.Break, gast.Continue)):
            # Lowering removes every one of these; one left would be silently dropped.
            raise AssertionError(f"internal error: {type(node).__name__} left after lowering")
        elif isinstance(node, gast.Return):
            if self.inlining:                       # the end of an inlined nested function
                self.inline_result = self.atom(node.value) if node.value is not None \
                    else const(None)
                return True
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
        for statement in self.lowered:
            if self.statement(statement):
                return_statement = statement
                break
        if return_statement is None:
            raise TransformError(
                f"cannot differentiate {self.parsed.name}: it has no return statement",
                construct="missing return", hint="return the value to differentiate",
                origin=self.parsed.origin(self.parsed.node))
        return NormalFunction(self.parsed, self.params, self.block, self.result,
                              return_statement, self.namer, self.changed_arguments)


def _boolean_valued(node) -> bool:
    """Whether ``and``/``or`` here can only produce True/False (so never carries a
    gradient): its operands are comparisons, negations or constants."""
    if isinstance(node, gast.BoolOp):
        return all(_boolean_valued(v) for v in node.values)
    return isinstance(node, (gast.Compare, gast.Constant)) or (
        isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not))


def _simple_boolean(node, local_names: set[str]) -> bool:
    """Boolean logic over names, constants and comparisons of those (no calls, no indexing,
    no attributes of local values)."""
    for inner in walk(node):
        if isinstance(inner, (gast.Call, gast.Subscript, gast.IfExp, gast.Lambda,
                              gast.ListComp, gast.GeneratorExp, gast.DictComp, gast.NamedExpr)):
            return False
        if isinstance(inner, gast.Attribute):
            root = inner
            while isinstance(root, gast.Attribute):
                root = root.value
            if not isinstance(root, gast.Name) or root.id in local_names:
                return False
    return True


def _definitely_assigned(statements: list, lists: set[str]) -> set[str]:
    """User names that every run of ``statements`` assigns."""
    found = set()
    for statement in statements:
        if isinstance(statement, (gast.Assign, gast.AnnAssign, gast.AugAssign)):
            targets = statement.targets if isinstance(statement, gast.Assign) else [
                statement.target]
            found |= name_ids(list(targets), gast.Store)
        elif isinstance(statement, gast.If):
            found |= _definitely_assigned(statement.body, lists) & _definitely_assigned(
                statement.orelse, lists)
        elif isinstance(statement, gast.Expr):
            found |= _stored_names([statement], lists)   # xs.append(v)
    return found


def _rename_last_definition(block: list, version: str, joined: str) -> bool:
    """Let the statement of ``block`` that defines ``version`` define ``joined`` instead,
    when nothing else in the block reads ``version`` (saves a copy into the join name)."""
    definitions = [s for s in block if isinstance(s, gast.Assign)
                   and isinstance(s.targets[0], gast.Name) and s.targets[0].id == version]
    if len(definitions) != 1 or version in _loaded_names(block) or \
            version in _stored_names([s for s in block if s is not definitions[0]]):
        return False
    definitions[0].targets[0].id = joined
    return True


def _rename_checked_views(statements: list, renamed: dict[str, str]) -> None:
    """The views a change in place is checked against, after their definitions were
    renamed to a join's name (``_rename_last_definition``): the old name is bound nowhere."""
    for statement in walk(statements):
        changes = getattr(statement, "chainrule_changes", None)
        if changes:
            changes[3][:] = [(renamed.get(view, view), user) for view, user in changes[3]]
        given = getattr(statement, "chainrule_changes_given", None)
        if given:
            given[:] = [(renamed.get(array, array), user) for array, user in given]


def _loaded_names(statements: list) -> set[str]:
    """Names the statements read, including the tests loops keep beside their body."""
    found = set()
    for statement in statements:
        for node in walk(statement):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                found.add(node.id)
            if isinstance(node, (gast.For, gast.While)):
                found |= _loaded_names(getattr(node, "chainrule_test", []))
                exit_test = getattr(node, "chainrule_exit_test", None)
                if exit_test is not None:
                    found |= _loaded_names([make(gast.Expr, value=exit_test)])
    return found


_MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "update",
                     "setdefault", "popitem", "sort", "reverse", "fill", "resize", "put",
                     "itemset", "setfield", "__setitem__", "__delitem__", "add", "discard",
                     "partition", "shuffle", "__setattr__", "__delattr__"} | {
    f"__i{operation}__" for operation in ("add", "sub", "mul", "truediv", "floordiv", "mod",
                                          "pow", "matmul", "and", "or", "xor", "lshift",
                                          "rshift")}       # b.__iadd__(x): b += x, in place

_VIEW_FUNCTIONS = {"reshape", "transpose", "ravel", "squeeze", "expand_dims", "broadcast_to",
                   "rot90", "permute_dims",
                   "asarray", "asanyarray", "atleast_1d", "atleast_2d", "atleast_3d",
                   "swapaxes", "moveaxis", "view", "diagonal", "flip", "fliplr", "flipud",
                   "real", "imag", "matrix_transpose", "rollaxis"}


def _owner(func):
    """The name a method is reached from: ``xs`` in ``xs.append``, ``d["k"].sort``."""
    owner = func.value
    while isinstance(owner, (gast.Attribute, gast.Subscript)):
        owner = owner.value
    return owner


def _viewed_names(value) -> list[str]:
    """The names whose array ``value`` may be a view of: ``b`` in ``b[0:2]``, ``b[i]``,
    ``b.T``, ``b.reshape(...)``, ``np.transpose(b)`` (the module's name too, for the caller
    to tell apart)."""
    if isinstance(value, gast.Name):
        candidates = [value]                         # d = c: c's views too
    elif isinstance(value, (gast.Subscript, gast.Attribute)):
        candidates = [value.value]
    elif isinstance(value, gast.Call):
        if isinstance(value.func, gast.Attribute) and value.func.attr == "einsum":
            # one operand's einsum("ii->i", a) or einsum(a, [1, 0]) is a view of it
            return [a.id for a in value.args if isinstance(a, gast.Name)][:1]
        candidates = value.args[:1]
        if isinstance(value.func, gast.Attribute):
            candidates = [value.func.value] + candidates
    else:
        candidates = []
    return [c.id for c in candidates if isinstance(c, gast.Name)]


# Functions whose result may share memory with their argument, though not so often that a
# store into the result should be refused outright (`parts = np.split(b, 3)` is a list).
_MAY_SHARE_FUNCTIONS = {"split", "array_split", "hsplit", "vsplit", "dsplit", "diag",
                        "ascontiguousarray", "asfortranarray", "astype", "require", "einsum"}


def _may_share(value) -> bool:
    if not isinstance(value, gast.Call):
        return False
    if isinstance(value.func, gast.Name):       # list(b): b's rows; list(xs): xs's arrays
        return value.func.id in ("list", "tuple", "dict")
    return isinstance(value.func, gast.Attribute) and value.func.attr in _MAY_SHARE_FUNCTIONS


def _new_object_hint(name: str, source: str, method: str) -> str:
    """What to write instead of ``source.method(...)`` changing an object in place."""
    instead = {"fill": f"{name} = np.full_like({source}, value)",
               "partition": f"{name} = np.partition({source}, kth)"}.get(
        method, f"{name} = np.sort({source})")
    return (f"use the function that returns a new object (e.g. {instead}, or a new "
            f"list/dict) instead")


def _only_new_containers(statements: list, variable: str) -> bool:
    """Whether every assignment to ``variable`` in ``statements`` (a loop's body, not
    normalized yet) binds a list or dict made anew, or the result of an operator (a new
    object too); ``variable += ...`` and ``.append`` keep the object they change."""
    for node in walk(statements, closed=(gast.FunctionDef, gast.Lambda)):
        if isinstance(node, gast.Assign) and any(
                variable in name_ids(target, gast.Store) for target in node.targets):
            if not (len(node.targets) == 1 and isinstance(node.targets[0], gast.Name) and (
                    _is_new_container(node.value) or isinstance(node.value, gast.BinOp))):
                return False
        elif isinstance(node, (gast.For, gast.comprehension, gast.With, gast.AnnAssign,
                               gast.NamedExpr)) and variable in name_ids(
                node.target if not isinstance(node, gast.With) else node, gast.Store):
            return False
    return True


def _is_new_container(value) -> bool:
    """``[...]``, ``{...}``, ``list(...)``, ``dict(...)``: a list or dict made anew."""
    return isinstance(value, (gast.List, gast.Dict)) or (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
        and value.func.id in ("list", "dict"))


def _may_be_view(value, views: set[str], params: list[str]) -> bool:
    """Whether a value may share memory with another array (so storing into it is unsafe)."""
    if isinstance(value, gast.Name):
        return value.id in views or value.id in params
    if isinstance(value, (gast.Subscript, gast.Attribute)):
        return True
    if isinstance(value, gast.Call):
        func = value.func
        called = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")
        return called in _VIEW_FUNCTIONS
    return False


def _stored_names(statements: list, lists: set[str] | None = None) -> set[str]:
    """Names the statements assign (a nested function's own locals excluded); with
    ``lists``, also those of them that ``.append``/``.extend`` rebinds."""
    found = set()
    for node in walk(statements, closed=(gast.FunctionDef, gast.Lambda)):
        if isinstance(node, gast.FunctionDef):
            found.add(node.name)
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            found.add(node.id)
        elif lists and isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr in ("append", "extend") and \
                isinstance(node.func.value, gast.Name) and node.func.value.id in lists:
            found.add(node.func.value.id)          # xs.append(v) rebinds xs (xs = xs + [v])
    return found


def _renamed(node, renames: dict[str, str]):
    """``node`` with the names in ``renames`` replaced (not inside nested functions)."""
    for inner in names(node):
        if inner.id in renames:
            inner.id = renames[inner.id]
    return node


def _normalized(atom):
    """Mark an atom as already normalized, so it is never renamed again."""
    atom.chainrule_normalized = True
    return atom


def normalize(parsed: ParsedFunction) -> NormalFunction:
    return Normalizer(parsed).run()
