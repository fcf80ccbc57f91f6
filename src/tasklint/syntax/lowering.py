"""Lower syntax newer than the running Python to code it parses, line for line.

A project on Python 3.12-3.14 writes ``class Box[T]:``, ``type JobId = int``,
``f"{x["k"]}"`` or ``except A, B:``; tasklint may run on an older interpreter (a pre-commit
environment, a CI image). When ``ast.parse`` fails, the source is parsed with libcst (it
reads Python 3.0-3.14 syntax whatever interpreter runs it) and rewritten by text edits
that keep every line where it was and, except where noted, every column (in UTF-8 bytes,
as ``ast`` counts them):

- type-parameter lists (``class Box[T]``, ``def f[T]``, ``type X[T] = ...``) become blanks;
- ``type X = Y`` becomes ``X = Y`` (the names on that line move 5 columns left);
- ``except A, B:`` becomes ``except(A, B):`` (the closing parenthesis shifts the colon);
- an f-string whose nested quotes, backslashes, comments or line breaks the running Python
  rejects is re-quoted (``f"{x['k']}"``), else becomes a tuple of its expressions, each in
  its place (the string's text is lost, its expressions are kept);
- a t-string (3.14) becomes an f-string;
- on Pythons older than the feature: ``except* E`` becomes ``except E``, ``*args: *Ts``
  loses the star, and ``match``/``case`` become ``if`` statements (patterns are dropped,
  guards kept), so the bodies are checked.

libcst is imported here only, and only when a file needs it. Nothing of tasklint is
imported: this is an AST helper, used by the project model's parser.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import io
import keyword
import os
import re
import sys
import time
import tokenize
import warnings
from collections.abc import Iterator
from typing import Any, Union

# Set (to anything but "" or "0") to lower every file, also what the running Python
# parses natively: the tests use it to prove the lowering on any interpreter.
FORCE_ENV = "TASKLINT_FORCE_LOWERING"

_BREAK = re.compile(r"\r\n|\r|\n")


def forced() -> bool:
    return os.environ.get(FORCE_ENV, "") not in ("", "0")


def parser_signature() -> str:
    """Which libcst lowers files (part of cache keys: installing it changes results): the
    file its package imports from, with that file's size and mtime (a reinstall rewrites
    it). Found without importing libcst or importlib.metadata: every run asks, a warm one
    too, and importing importlib.metadata cost more than the rest of its start-up."""
    try:
        from importlib.util import find_spec

        spec = find_spec("libcst")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return "libcst-none"
        st = os.stat(origin)
        return f"libcst-{origin}:{st.st_size}:{st.st_mtime_ns}"
    except Exception:  # not installed, or a broken installation
        return "libcst-none"


# A file is parsed more than once in a run (facts, rules, call graph): lower it once.
# Entries made in a forked facts worker travel back to the parent (``drain``/``remember``)
# so that the rule workers forked later find them.
_Outcome = Union[str, tuple[int, int], None]
_MEMO: dict[tuple[str, bool], _Outcome] = {}
_FRESH: list[tuple[tuple[str, bool], _Outcome]] = []
_MEMO_SIZE = 512


def drain() -> list[tuple[tuple[str, bool], _Outcome]]:
    """The outcomes lowered in this process since the last call."""
    fresh = list(_FRESH)
    _FRESH.clear()
    return fresh


def remember(entries: list[tuple[tuple[str, bool], _Outcome]]) -> None:
    """Outcomes another process lowered (what ``drain`` returned there)."""
    for key, found in entries:
        _store(key, found)


def _store(key: tuple[str, bool], found: _Outcome) -> None:
    if key not in _MEMO and len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = found


def lower(source: str) -> str | None:
    """Source the running Python parses, lines in place; None when it cannot be lowered
    (libcst missing or failing). Raises SyntaxError, at the line libcst names, when libcst
    rejects the code: it is invalid on every Python."""
    key = (hashlib.blake2b(source.encode("utf-8", "surrogatepass")).hexdigest(), forced())
    if key in _MEMO:
        found = _MEMO[key]
    else:
        found = _isolated(source)
        _store(key, found)
        _FRESH.append((key, found))
        if len(_FRESH) > _MEMO_SIZE:  # nobody drains (a flake8 worker): keep it bounded
            del _FRESH[0]
    if isinstance(found, tuple):
        error = SyntaxError("invalid syntax")
        error.lineno, error.offset = found
        raise error
    return found


# libcst's parser is native code: on hostile input (thousands of nested brackets or unary
# operators, huge expression chains) it can crash the process or run for minutes. A
# repository is untrusted input, so where the OS can fork it runs in a child process,
# killed after this many seconds; elsewhere only sources that pass the guard are lowered.
TIMEOUT = 30.0
MAX_NESTING = 100  # CPython itself refuses 200 nested brackets
MAX_LINE = 20_000


def _plausible(source: str) -> bool:
    """Cheap guard: no deep bracket nesting and no giant line (strings counted too)."""
    depth = deepest = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        return False
    return all(len(line) <= MAX_LINE for line in _BREAK.split(source))


def _isolated(source: str) -> str | tuple[int, int] | None:
    """``_lower`` run where a crash or a hang cannot take the run down: the lowered
    source, (line, column) of a syntax error, or None (libcst missing or failing)."""
    if not _plausible(source):
        return None
    if not forced():  # forced: the tests prove libcst's lowering of every file
        quick = _type_params_by_tokens(source)
        if quick is not None:
            return quick
    try:
        import libcst.metadata  # noqa: F401  (in the parent: a forked child has it loaded)
    except ImportError:
        return None
    if not hasattr(os, "fork"):
        return _outcome(source)
    import json
    import select
    import signal

    read_end, write_end = os.pipe()
    # the child's garbage collections must not walk (and so copy) the parent's objects
    gc.freeze()
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0:
            gc.unfreeze()
    if pid == 0:  # the child: lower, write the outcome, exit without any cleanup
        status = 1
        try:
            os.close(read_end)
            data = json.dumps(_outcome(source)).encode("utf-8", "surrogatepass")
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                chunks = []
                break
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return None
    try:
        found = json.loads(b"".join(chunks).decode("utf-8", "surrogatepass"))
    except ValueError:
        return None
    if isinstance(found, list) and len(found) == 2:
        return int(found[0]), int(found[1])
    return found if isinstance(found, str) else None


_OPENERS = {"(": ")", "[": "]", "{": "}"}
_STATEMENT_ENDS = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT})


def _type_params_by_tokens(source: str) -> str | None:
    """The lowering of a file whose only syntax newer than the running Python is PEP 695's
    (``def f[T]``, ``class Box[T]``, ``type X[T] = ...``), found by the tokenizer: the same
    text edits as ``_Lowerer`` makes for those nodes, without libcst (which costs a fork
    and a fifth of a second per file). None when the file holds none of them, when a
    parameter list is not one, or when the result still does not parse: something else is
    new or wrong, and libcst lowers the file or names its error."""
    if ("[" not in source and "type" not in source) or "\r" in source:
        return None  # (tokenize counts lines on "\n" alone)
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in _SKIPPED
        ]
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    starts = [0]
    starts.extend(m.end() for m in _BREAK.finditer(source))

    def at(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    edits: list[tuple[int, int, str]] = []
    statement_start = True
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        begins = statement_start
        statement_start = token.type in _STATEMENT_ENDS or token.string == ";"
        if nxt is None or nxt.type != tokenize.NAME or token.type != tokenize.NAME:
            i += 1
            continue
        alias = begins and token.string == "type"
        if not alias and token.string not in ("def", "class"):
            i += 1
            continue
        j = i + 2  # after the name
        if j < len(tokens) and tokens[j].string == "[":
            end = _type_params_end(tokens, j)
            if end is None:
                return None
            start_at, end_at = at(tokens[j].start), at(tokens[end].end)
            edits.append((start_at, end_at, _blank(source[start_at:end_at], continuation=True)))
            j = end + 1
        elif not alias:
            i += 1
            continue
        if alias:
            if j >= len(tokens) or tokens[j].string != "=":
                return None  # ``type X`` alone: not an alias, and invalid
            edits.append((at(token.start), at(nxt.start), ""))
        i = j
    if not edits:
        return None
    lowered = _apply_edits(source, edits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(lowered)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return lowered


def _apply_edits(source: str, edits: list[tuple[int, int, str]]) -> str:
    """``source`` with each (start, end, text) edit made, in order of position; of two
    overlapping edits the first one wins (the result is parsed again by the caller)."""
    out: list[str] = []
    last = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < last:
            continue
        out.append(source[last:start])
        out.append(text)
        last = end
    out.append(source[last:])
    return "".join(out)


def _type_params_end(tokens: list[tokenize.TokenInfo], open_at: int) -> int | None:
    """The index of the ``]`` closing the type-parameter list opened at ``open_at``, when
    the list is one: parameters ``[*|**]NAME[: bound][= default]`` separated by commas (a
    trailing one allowed), each bound and default an expression; else None."""
    depth = 0
    close = None
    for k in range(open_at, len(tokens)):
        text = tokens[k].string
        if tokens[k].type == tokenize.OP and text in _OPENERS:
            depth += 1
        elif tokens[k].type == tokenize.OP and text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                close = k
                break
    if close is None or text != "]":
        return None
    items: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    for token in tokens[open_at + 1 : close]:
        if token.type == tokenize.OP and token.string in _OPENERS:
            depth += 1
        elif token.type == tokenize.OP and token.string in (")", "]", "}"):
            depth -= 1
        if depth == 0 and token.string == ",":
            items.append([])
        else:
            items[-1].append(token)
    if not items[-1] and len(items) > 1:
        items.pop()  # a trailing comma
    if not items or not all(_type_param(item) for item in items):
        return None
    return close


def _type_param(item: list[tokenize.TokenInfo]) -> bool:
    """Is this ``[*|**]NAME[: bound][= default]``, with expressions that parse?"""
    k = 0
    if k < len(item) and item[k].string in ("*", "**"):
        k += 1
    if k >= len(item) or item[k].type != tokenize.NAME or keyword.iskeyword(item[k].string):
        return False
    k += 1
    parts: list[list[tokenize.TokenInfo]] = []
    while k < len(item):
        if item[k].string not in (":", "=") or (parts and item[k].string == ":"):
            return False
        parts.append([])
        k += 1
        while k < len(item) and not (item[k].string == "=" and item[k].type == tokenize.OP):
            parts[-1].append(item[k])
            k += 1
        # a ``=`` inside brackets is not at depth 0 here: the bound ends at the first one
    for part in parts:
        if not part:
            return False
        text = " ".join(t.string for t in part)
        try:
            ast.parse("(" + text + "\n)", mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _outcome(source: str) -> str | tuple[int, int] | None:
    try:
        return _lower(source)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1


def _lower(source: str) -> str | None:
    try:
        import libcst
        from libcst.metadata import MetadataWrapper, PositionProvider
    except ImportError:
        return None
    try:
        module = libcst.parse_module(source)
    except libcst.ParserSyntaxError as exc:
        error = SyntaxError("invalid syntax")
        error.lineno, error.offset = _error_position(source, str(exc.message), exc.raw_line)
        raise error from None
    except Exception:  # anything else hostile input provokes in libcst
        return None
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except Exception:
        return None
    try:
        lowerer = _Lowerer(source, positions)

        class Walk(libcst.CSTVisitor):
            def on_visit(self, node: Any) -> bool:
                return not lowerer.handle(node)  # False: its children were handled

            def on_leave(self, original_node: Any) -> None:
                return None

        module.visit(Walk())
        return lowerer.apply()
    except Exception:  # a lowering bug must not abort the run: the file stays unparsed
        return None


_ERROR_AT = re.compile(r"error at (\d+):(\d+)")


def _error_position(source: str, message: str, fallback: int) -> tuple[int, int]:
    """Where libcst's parser failed, as a line and 1-based column. It names the token it
    could not take; when that token starts a line, what is missing is at the end of the
    statement before it (``x = (`` then end of file, ``def f(:`` then ``pass``)."""
    found = _ERROR_AT.search(message)
    if not found:
        return max(1, int(fallback)), 1
    line, column = int(found.group(1)), int(found.group(2))
    lines = _BREAK.split(source)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    _, marker, wanted = message.partition("expected one of")
    expected = {t.strip() for t in wanted.split(",")} if marker else set()
    # (a comma among the expected tokens splits into an empty name)
    continues = bool(expected & {")", "]", "}", ":", "", "==", ".", "="})
    # an unexpected indent is reported where it is; a statement cut short (a line break
    # or the end of the file, at column 0, or a token where the statement before wanted
    # more: a closing bracket, a colon, an operator) at the end of the statement before it
    if text[:column].strip() == "" and (column == 0 or continues):
        for previous in range(min(line, len(lines) + 1) - 1, 0, -1):
            stripped = lines[previous - 1].strip()
            if stripped and not stripped.startswith("#"):
                return previous, len(lines[previous - 1]) + 1
    return max(1, line), column + 1


def _utf8_len(ch: str) -> int:
    return len(ch.encode("utf-8", "surrogatepass"))


def _blank(text: str, continuation: bool) -> str:
    """Spaces for ``text`` (as many as its UTF-8 bytes), line breaks kept; with
    ``continuation``, a backslash ends each line so the statement goes on."""
    out = [ch if ch in "\r\n" else " " * _utf8_len(ch) for ch in text]
    if continuation:
        for i, ch in enumerate(text):
            if ch in "\r\n" and i > 0 and text[i - 1] not in "\r\n":
                out[i - 1] = out[i - 1][:-1] + "\\"
    return "".join(out)


def _parses_as_string(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse("(" + text + "\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return isinstance(tree.body, (ast.JoinedStr, ast.Constant))


class _Lowerer:
    def __init__(self, source: str, positions: Any) -> None:
        self.source = source
        self.positions = positions
        starts = [0]
        starts.extend(m.end() for m in _BREAK.finditer(source))
        self.line_starts = starts
        self.edits: list[tuple[int, int, str]] = []
        self.force = forced()

    # -- positions -------------------------------------------------------------
    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def span(self, node: Any) -> tuple[int, int]:
        rng = self.positions[node]
        return self.offset(rng.start.line, rng.start.column), self.offset(
            rng.end.line, rng.end.column
        )

    def older_than(self, major: int, minor: int) -> bool:
        return self.force or sys.version_info < (major, minor)

    def edit(self, start: int, end: int, text: str) -> None:
        self.edits.append((start, end, text))

    def apply(self) -> str:
        return _apply_edits(self.source, self.edits)

    # -- the walk ----------------------------------------------------------------
    def handle(self, node: Any) -> bool:
        """Lower ``node``; True when that covered its children too."""
        kind = type(node).__name__
        if kind == "TypeParameters":
            start, end = self.span(node)
            self.edit(start, end, _blank(self.source[start:end], continuation=True))
            return True
        if kind == "TypeAlias":
            start, _ = self.span(node)
            name_start, _ = self.span(node.name)
            self.edit(start, name_start, "")
            return False
        if kind in ("ExceptHandler", "ExceptStarHandler"):
            self.except_handler(node, star=kind == "ExceptStarHandler")
            return False
        if kind in ("FormattedString", "TemplatedString"):
            self.fstring(node)
            return True
        if kind == "Annotation" and type(node.annotation).__name__ == "StarredElement":
            if self.older_than(3, 11):
                start, _ = self.span(node.annotation)
                self.edit(start, start + 1, " ")
            return False
        if kind == "Index" and getattr(node, "star", None) and self.older_than(3, 11):
            start, _ = self.span(node)
            self.edit(start, start + 1, " ")
            return False
        if kind == "Match" and self.older_than(3, 10):
            self.match(node)
            return False
        if kind == "MatchCase" and self.older_than(3, 10):
            self.match_case(node)  # the pattern is blanked: nothing in it is lowered
        return False

    def except_handler(self, node: Any, star: bool) -> None:
        start, _ = self.span(node)
        if star and self.older_than(3, 11):
            star_at = self.source.find("*", start)
            if star_at >= 0:
                self.edit(star_at, star_at + 1, " ")
        kind = node.type
        if kind is None or type(kind).__name__ != "Tuple" or kind.lpar:
            return
        type_start, type_end = self.span(kind)
        before = self.source[type_start - 1] if type_start > 0 else ""
        if before in (" ", "\t"):
            self.edit(type_start - 1, type_start, "(")
        else:
            self.edit(type_start, type_start, "(")
        self.edit(type_end, type_end, ")")

    def match(self, node: Any) -> None:
        start, _ = self.span(node)
        _, subject_end = self.span(node.subject)
        # `match` (5 characters) becomes `if  (`: the subject keeps its column
        self.edit(start, start + 5, "if  (")
        self.edit(subject_end, subject_end, ")")

    def match_case(self, node: Any) -> None:
        start, _ = self.span(node)
        if node.guard is not None:
            guard_start, _ = self.span(node.guard)
            text = _blank(self.source[start:guard_start], continuation=True)
            self.edit(start, guard_start, "if" + text[2:])
        else:
            _, pattern_end = self.span(node.pattern)
            colon = self.colon_after(pattern_end)
            text = _blank(self.source[start:colon], continuation=True)
            # `case P` -> `if    1`: always true, the body is what is checked
            self.edit(start, colon, "if" + text[2:-1] + "1")

    def colon_after(self, offset: int) -> int:
        """The ``:`` that ends a ``case`` line (a pattern's closing brackets may lie
        outside its node's range)."""
        source = self.source
        while offset < len(source) and source[offset] != ":":
            if source[offset] == "#":
                offset = source.find("\n", offset)
                if offset < 0:
                    return len(source)
                continue
            offset += 1
        return offset

    # -- f-strings -----------------------------------------------------------------
    def fstring(self, node: Any) -> None:
        start, end = self.span(node)
        text = self.source[start:end]
        prefix = node.prefix
        templated = type(node).__name__ == "TemplatedString"
        if templated:
            prefix = prefix.replace("t", "f").replace("T", "F")
            text = prefix + text[len(prefix) :]
        if _parses_as_string(text):
            if templated:
                self.edit(start, end, text)
            return
        quote = node.quote
        other = quote.replace('"', "\0").replace("'", '"').replace("\0", "'")
        body = text[len(prefix) + len(quote) : len(text) - len(quote)]
        candidates = [prefix + other + body + other]
        inner = self.requote_inner(node, start, text, quote)
        if inner is not None:
            candidates.append(inner)
        for candidate in candidates:
            if _parses_as_string(candidate):
                self.edit(start, end, candidate)
                return
        self.edit(start, end, self.as_tuple(node, start, text))

    def requote_inner(self, node: Any, start: int, text: str, quote: str) -> str | None:
        """``text`` with the nested strings that use the outer quote re-quoted."""
        chars = list(text)
        changed = False
        for inner in _nested_strings(node):
            inner_quote = getattr(inner, "quote", None)
            if inner_quote is None or inner_quote[0] != quote[0]:
                continue
            other = "'" if quote[0] == '"' else '"'
            s, e = self.span(inner)
            s -= start
            e -= start
            inner_text = text[s:e]
            if other in inner_text:
                return None
            chars[s:e] = list(inner_text.replace(quote[0], other))
            changed = True
        return "".join(chars) if changed else None

    def as_tuple(self, node: Any, start: int, text: str) -> str:
        """The f-string's expressions as a tuple, each in its place (the text is lost)."""
        keep = [False] * len(text)
        for expr in _fstring_expressions(node):
            s, e = self.span(expr)
            for i in range(max(0, s - start), min(len(text), e - start)):
                keep[i] = True
        out: list[str] = []
        comma_due = False
        for i, ch in enumerate(text):
            if keep[i]:
                out.append(ch)
                comma_due = True
            elif ch in "\r\n":
                out.append(ch)
            elif comma_due:
                out.append("," + " " * (_utf8_len(ch) - 1))
                comma_due = False
            else:
                out.append(" " * _utf8_len(ch))
        out[0] = "(" + out[0][1:]
        out[-1] = out[-1][:-1] + ")"
        return "".join(out)


def _fstring_expressions(node: Any) -> Iterator[Any]:
    for part in node.parts:
        expression = getattr(part, "expression", None)
        if expression is None:
            continue
        yield expression
        for spec in getattr(part, "format_spec", None) or ():
            nested = getattr(spec, "expression", None)
            if nested is not None:
                yield nested


def _nested_strings(node: Any) -> Iterator[Any]:
    stack = list(_fstring_expressions(node))
    while stack:
        current = stack.pop()
        if type(current).__name__ in ("SimpleString", "FormattedString"):
            yield current
            continue
        stack.extend(current.children)
