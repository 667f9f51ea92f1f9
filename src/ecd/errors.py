"""Named exceptions and warnings of ``ecd``.

Every error a user can provoke is one of these. Messages name the file, row and
column (or the parameter), show what was found and what was expected, and say
how to fix it.

Hierarchy::

    EcdError (Exception)
    ├── ConfigError            bad parameter, manifest or option  (CLI exit 2)
    │   ├── ParameterError     one named parameter has a bad value
    │   └── DuplicateKeyError  a YAML file repeats a key (file and lines named)
    ├── DataError              a data file or frame is malformed   (CLI exit 2)
    │   ├── SchemaError        values break a schema (collects every failure)
    │   ├── ProvenanceError    missing/incorrect .meta.yaml, sha256 mismatch
    │   └── MissingDataError   missing values where ``missing="raise"``
    ├── DesignError            an invalid survey design (lonely PSU, bad fpc, ...)
    ├── ModelError             a model cannot be fitted on these data
    └── BuildError             the book build failed (execution, rendering, lock)   (CLI exit 20)
        ├── LockError          another build holds the lock                         (CLI exit 2)
        ├── BuildDirError      build/ cannot be used (read-only, not writable, full) (CLI exit 2)
        └── RunError           the run failed on the way (disk full, I/O error); nothing published

    EcdWarning (UserWarning)   raised as errors in the test suite
"""
from __future__ import annotations

import re

__all__ = [
    "EcdError",
    "ConfigError",
    "ParameterError",
    "DuplicateKeyError",
    "DataError",
    "SchemaError",
    "ProvenanceError",
    "MissingDataError",
    "DesignError",
    "ModelError",
    "BuildError",
    "LockError",
    "BuildDirError",
    "RunError",
    "EcdWarning",
]


# numpy >= 2 spells scalars as np.int64(3), np.str_('a'), np.True_ in repr(); a message shows the value
_NUMPY_SCALAR = re.compile(
    r"np\.(?:u?int\d*|float\d*|longdouble|complex\d*|str_|bytes_|datetime64|timedelta64)"
    r"\(((?:'[^']*'|\"[^\"]*\"|[^()'\"])*)\)")
_NUMPY_BOOL = re.compile(r"np\.(True|False)_")


def plain(text: str) -> str:
    """``text`` with numpy scalar reprs written as the values a user typed.

    Examples
    --------
    >>> plain("row np.int64(3): np.str_('a') is not a number (np.float64(nan), np.True_)")
    "row 3: 'a' is not a number (nan, True)"
    """
    if "np." not in text:
        return text
    return _NUMPY_BOOL.sub(r"\1", _NUMPY_SCALAR.sub(r"\1", text))


class EcdError(Exception):
    """Base class of every error raised on purpose by ``ecd``.

    Messages are passed through :func:`plain`, so a value shown with ``!r``
    reads ``3``, not ``np.int64(3)``.
    """

    def __init__(self, *args):
        super().__init__(*(plain(a) if isinstance(a, str) else a for a in args))


class ConfigError(EcdError, ValueError):
    """A configuration, manifest or option is invalid."""


class ParameterError(ConfigError):
    """A function or notebook parameter has an invalid value.

    Parameters
    ----------
    name : str
        The parameter's name.
    message : str
        What was found, what was expected and how to fix it.
    """

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"parameter {name!r}: {message}")


class DuplicateKeyError(ConfigError):
    """A YAML mapping repeats a key; YAML would silently keep the last value.

    Parameters
    ----------
    label : str
        The file as the user sees it (e.g. ``chapters/book.yml``).
    key : object
        The repeated key.
    line, first : int
        1-based lines of the repetition and of the first occurrence.
    """

    def __init__(self, label: str, key, line: int, first: int):
        self.label, self.key, self.line, self.first = label, key, line, first
        super().__init__(f"{label} line {line}: duplicate key {key!r} (first on line {first}); YAML would keep only "
                         f"the last value and drop the first without a word — keep one of the two")


class DataError(EcdError, ValueError):
    """A data file or data frame is malformed."""


class SchemaError(DataError):
    """Values break a schema.

    ``failures`` holds one human-readable line per failing cell so that every
    problem is reported at once (lazy validation).
    """

    def __init__(self, message: str, failures: list[str] | None = None, epilogue: str = ""):
        self.failures = [plain(f) if isinstance(f, str) else f for f in failures or []]
        self.epilogue = epilogue
        text = message
        if self.failures:
            text += "\n" + "\n".join(f"  - {f}" for f in self.failures)
        if epilogue:  # e.g. the user-catalog entry to paste, said once after the list
            text += "\n" + epilogue
        super().__init__(text)


class ProvenanceError(DataError):
    """A raw file's metadata sidecar is missing, incomplete or does not match the file."""


class MissingDataError(DataError):
    """Missing values were found where ``missing="raise"`` (the default)."""


class DesignError(EcdError, ValueError):
    """A survey design is invalid (weights, strata, PSUs, fpc, lonely PSUs)."""


class ModelError(EcdError, ValueError):
    """A statistical model cannot be fitted on the data given."""


class BuildError(EcdError, RuntimeError):
    """The book build failed."""


class LockError(BuildError):
    """Another build holds the build lock."""


class BuildDirError(BuildError):
    """The build directory cannot be used at all (read-only, not writable, full): nothing was started."""


class RunError(BuildError):
    """A run failed on the way for a reason outside the notebooks (disk full, I/O error).

    Nothing was published: ``build/current`` still shows the last good release.
    """


class EcdWarning(UserWarning):
    """A warning raised by ``ecd`` (the test suite turns these into errors)."""

    def __init__(self, *args):
        super().__init__(*(plain(a) if isinstance(a, str) else a for a in args))
