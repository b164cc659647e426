"""A tiny arithmetic expression evaluator with a memoising LRU cache.

This module is a self-contained sample used by ctxlab to show how source
code tokenizes: it has docstrings, comments, nested indentation, numeric
literals of several shapes, string literals and a little bit of everything.

Example:
    >>> calc = Calculator()
    >>> calc.evaluate("2 * (3 + 4) - 1.5")
    12.5
    >>> calc.evaluate("max(1, 2, 3) ^ 2", variables={"x": 10})
    9
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Union

Number = Union[int, float]

# Operator table: symbol -> (binding power, right associative?, function).
BINARY_OPS: Dict[str, tuple] = {
    "+": (10, False, lambda a, b: a + b),
    "-": (10, False, lambda a, b: a - b),
    "*": (20, False, lambda a, b: a * b),
    "/": (20, False, lambda a, b: a / b),
    "%": (20, False, lambda a, b: a % b),
    "^": (30, True, lambda a, b: a ** b),
}

CONSTANTS: Dict[str, float] = {
    "pi": 3.141592653589793,
    "e": 2.718281828459045,
    "tau": 6.283185307179586,
    "golden": 1.618033988749895,
}

FUNCTIONS: Dict[str, Callable[..., Number]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
    "round": round,
}


class ExpressionError(ValueError):
    """Raised when an expression cannot be tokenized, parsed or evaluated."""


@dataclass(frozen=True)
class Token:
    kind: str  # one of: "num", "name", "op", "lparen", "rparen", "comma", "end"
    text: str
    pos: int


def tokenize(source: str) -> Iterator[Token]:
    """Split *source* into tokens, yielding a final ``end`` token."""
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            start = i
            while i < n and (source[i].isdigit() or source[i] in "._eE"):
                # Allow exponents like 6.02e23 and separators like 1_000_000.
                if source[i] in "eE" and i + 1 < n and source[i + 1] in "+-":
                    i += 1
                i += 1
            yield Token("num", source[start:i], start)
        elif ch.isalpha() or ch == "_":
            start = i
            while i < n and (source[i].isalnum() or source[i] == "_"):
                i += 1
            yield Token("name", source[start:i], start)
        elif ch in BINARY_OPS:
            yield Token("op", ch, i)
            i += 1
        elif ch in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[ch]
            yield Token(kind, ch, i)
            i += 1
        else:
            raise ExpressionError(f"unexpected character {ch!r} at column {i}")
    yield Token("end", "", n)


@dataclass
class Parser:
    """A small Pratt parser that turns tokens into nested tuples (an AST)."""

    tokens: List[Token]
    index: int = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        tok = self.tokens[self.index]
        self.index += 1
        return tok

    def expect(self, kind: str) -> Token:
        tok = self.advance()
        if tok.kind != kind:
            raise ExpressionError(f"expected {kind} at column {tok.pos}, got {tok.text!r}")
        return tok

    def parse(self, min_power: int = 0):
        left = self.parse_prefix()
        while True:
            tok = self.peek()
            if tok.kind != "op":
                break
            power, right_assoc, _ = BINARY_OPS[tok.text]
            if power < min_power or (power == min_power and not right_assoc):
                break
            self.advance()
            right = self.parse(power if right_assoc else power + 1)
            left = ("binop", tok.text, left, right)
        return left

    def parse_prefix(self):
        tok = self.advance()
        if tok.kind == "num":
            text = tok.text.replace("_", "")
            value = float(text) if any(c in text for c in ".eE") else int(text)
            return ("num", value)
        if tok.kind == "op" and tok.text == "-":
            return ("neg", self.parse(25))  # binds tighter than * but looser than ^
        if tok.kind == "lparen":
            inner = self.parse()
            self.expect("rparen")
            return inner
        if tok.kind == "name":
            if self.peek().kind == "lparen":
                self.advance()
                args = []
                if self.peek().kind != "rparen":
                    args.append(self.parse())
                    while self.peek().kind == "comma":
                        self.advance()
                        args.append(self.parse())
                self.expect("rparen")
                return ("call", tok.text, tuple(args))
            return ("var", tok.text)
        raise ExpressionError(f"unexpected token {tok.text!r} at column {tok.pos}")


def evaluate_ast(node, variables: Dict[str, Number]) -> Number:
    """Recursively evaluate an AST produced by :class:`Parser`."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "neg":
        return -evaluate_ast(node[1], variables)
    if kind == "var":
        name = node[1]
        if name in variables:
            return variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        raise ExpressionError(f"unknown variable {name!r}")
    if kind == "call":
        func = FUNCTIONS.get(node[1])
        if func is None:
            raise ExpressionError(f"unknown function {node[1]!r}")
        return func(*(evaluate_ast(arg, variables) for arg in node[2]))
    if kind == "binop":
        _, _, func = BINARY_OPS[node[1]]
        left = evaluate_ast(node[2], variables)
        right = evaluate_ast(node[3], variables)
        try:
            return func(left, right)
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None
    raise ExpressionError(f"bad node {node!r}")


@dataclass
class LRUCache:
    """Least-recently-used cache with hit/miss counters."""

    capacity: int = 128
    hits: int = 0
    misses: int = 0
    _data: "OrderedDict[str, object]" = field(default_factory=OrderedDict)

    def get(self, key: str) -> Optional[object]:
        if key in self._data:
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]
        self.misses += 1
        return None

    def put(self, key: str, value: object) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)  # evict the oldest entry

    def __len__(self) -> int:
        return len(self._data)


class Calculator:
    """Parses expressions once, caches the AST, and evaluates on demand."""

    def __init__(self, cache_size: int = 64) -> None:
        self.cache = LRUCache(capacity=cache_size)

    def compile(self, source: str):
        ast = self.cache.get(source)
        if ast is None:
            parser = Parser(list(tokenize(source)))
            ast = parser.parse()
            parser.expect("end")
            self.cache.put(source, ast)
        return ast

    def evaluate(self, source: str, variables: Optional[Dict[str, Number]] = None) -> Number:
        return evaluate_ast(self.compile(source), variables or {})


if __name__ == "__main__":
    calc = Calculator(cache_size=8)
    samples = [
        "1 + 2 * 3",
        "(1 + 2) * 3",
        "2 ^ 3 ^ 2",
        "-4 ^ 0.5 + sqrt(16)",
        "max(1_000, 999.99, 6.02e23 / 1e20)",
        "round(pi * r ^ 2, 3)",
        "1 + 2 * 3",  # a cache hit
    ]
    for expr in samples:
        try:
            print(f"{expr:<40} = {calc.evaluate(expr, {'r': 2.5})}")
        except ExpressionError as exc:
            print(f"{expr:<40} ! {exc}")
    print(f"cache: {len(calc.cache)} entries, {calc.cache.hits} hits, {calc.cache.misses} misses")
