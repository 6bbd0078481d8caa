"""Bounds on the work one input file or command may cause.

Cards, scenarios, simulation files and commands come from people and scripts that
regiekaart cannot vouch for; without bounds a few hundred bytes of YAML aliases expand
to a billion nodes, ``/dev/zero`` fills the memory and a deeply nested document ends in
a ``RecursionError``. Every reader therefore takes a :class:`Limits` and refuses, with a
:class:`~regiekaart.errors.LimitExceeded` naming the limit and how to raise it, before
the work gets large. The defaults are generous for real cards (the universal card is
37 kB, about 1,200 values, no aliases, nesting depth 9; an example scenario has a
dozen steps). Pure-Python YAML reads about 100 kB a second of dense flow lists, so
the node bound also keeps the time of a file near its size bound to seconds:

=========================  ==========  ===================================================
field                      default     environment variable
=========================  ==========  ===================================================
``max_card_bytes``         1 MiB       ``REGIEKAART_MAX_CARD_BYTES``
``max_scenario_bytes``     1 MiB       ``REGIEKAART_MAX_SCENARIO_BYTES``
``max_simulation_bytes``   1 MiB       ``REGIEKAART_MAX_SIMULATION_BYTES``
``max_command_bytes``      1 MiB       ``REGIEKAART_MAX_COMMAND_BYTES``
``max_yaml_aliases``       100         ``REGIEKAART_MAX_YAML_ALIASES``
``max_yaml_nodes``         50,000      ``REGIEKAART_MAX_YAML_NODES``
``max_depth``              64          ``REGIEKAART_MAX_DEPTH``
``max_scenario_steps``     5,000       ``REGIEKAART_MAX_SCENARIO_STEPS``
=========================  ==========  ===================================================

``REGIEKAART_MAX_FILE_BYTES`` sets the three file sizes at once; a specific variable
wins over it. ``max_yaml_nodes`` counts the nodes of a document *after* its aliases are
expanded, which is what makes an alias bomb visible while it is still small.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import attrs

from regiekaart.errors import InputRefused, LimitExceeded

__all__ = [
    "ENV_PREFIX",
    "FILE_BYTES_ENV",
    "Limits",
    "MiB",
    "decode_text",
    "env_name",
    "exceeded",
    "read_at_most",
    "read_bounded",
    "resolve",
]

MiB = 1024 * 1024

ENV_PREFIX = "REGIEKAART_"
FILE_BYTES_ENV = "REGIEKAART_MAX_FILE_BYTES"
"""Sets ``max_card_bytes``, ``max_scenario_bytes`` and ``max_simulation_bytes`` together."""

_FILE_FIELDS = ("max_card_bytes", "max_scenario_bytes", "max_simulation_bytes")


@attrs.frozen(kw_only=True)
class Limits:
    """How much one input may ask of the reader; see the module for defaults and variables."""

    max_card_bytes: int = MiB
    max_scenario_bytes: int = MiB
    max_simulation_bytes: int = MiB
    max_command_bytes: int = MiB
    max_yaml_aliases: int = 100
    max_yaml_nodes: int = 50_000
    max_depth: int = 64
    max_scenario_steps: int = 5_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, with every ``REGIEKAART_MAX_*`` variable that is set applied.

        A variable that is not a positive whole number is an error rather than ignored:
        an operator who raised a limit must not silently get the default.
        """
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        if FILE_BYTES_ENV in env:
            size = _positive(FILE_BYTES_ENV, env[FILE_BYTES_ENV])
            values.update(dict.fromkeys(_FILE_FIELDS, size))
        for field in attrs.fields(cls):
            name = env_name(field.name)
            if name in env:
                values[field.name] = _positive(name, env[name])
        return cls(**values)


def env_name(field: str) -> str:
    """The environment variable of a :class:`Limits` field: ``REGIEKAART_MAX_DEPTH``."""
    return ENV_PREFIX + field.upper()


def _positive(name: str, raw: str) -> int:
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputRefused(
            f"{name}={raw!r}: a limit must be a positive whole number", file="environment"
        )
    return value


def resolve(limits: Limits | None) -> Limits:
    """``limits`` if given, else the defaults with the environment applied."""
    return limits if limits is not None else Limits.from_env()


def exceeded(
    what: str, field: str, limit: int, *, file: str, line: int | None = None
) -> LimitExceeded:
    """The error for a bound that was hit, saying how to raise it."""
    return LimitExceeded(
        f"{what} (limit {field} = {limit:,}; raise it with {env_name(field)} or limits=)",
        limit=field,
        file=file,
        line=line,
    )


def read_bounded(path: Path, field: str, limits: Limits) -> bytes:
    """The bytes of the regular file at ``path``, refusing more than ``limits.<field>``.

    At most limit + 1 bytes are read, so ``/dev/zero`` or a 50 MB file is refused at
    once; a directory, a FIFO or a device is refused before it is opened for reading
    (opening a FIFO would wait for a writer).
    """
    name = str(path)
    limit: int = getattr(limits, field)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputRefused("file not found", file=name) from None
    except OSError as exc:
        raise InputRefused(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputRefused("is a directory, not a file", file=name)
    if not stat.S_ISREG(info.st_mode):
        raise InputRefused("is not a regular file (a device, FIFO or socket)", file=name)
    if info.st_size > limit:
        raise exceeded(f"the file has {info.st_size:,} bytes", field, limit, file=name)
    try:
        with path.open("rb") as stream:
            data = read_at_most(stream, limit + 1)
    except OSError as exc:
        raise InputRefused(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    if len(data) > limit:
        raise exceeded(f"the file has more than {limit:,} bytes", field, limit, file=name)
    return data


def read_at_most(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``, in chunks, so a short read is not the end."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(min(left, MiB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def decode_text(data: bytes, *, file: str) -> str:
    """UTF-8 text (a UTF-8 byte order mark is dropped); anything else is refused by line.

    Files are decoded strictly so a latin-1 or UTF-16 file is named as such instead of
    being read as garbage; a NUL is refused here too, as the usual sign of UTF-16 without
    a byte order mark.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data[:offset].count(b"\n") + 1
        hint = " (UTF-16? save the file as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputRefused(
            f"not UTF-8 text (byte 0x{data[offset]:02X} at line {line}){hint}", file=file, line=line
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InputRefused(
            f"a NUL byte at line {line}: not a text file (UTF-16? save the file as UTF-8)",
            file=file,
            line=line,
        )
    return text
