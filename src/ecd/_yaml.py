"""The one YAML loader of ``ecd``: safe, fast (libyaml when present), strict about duplicate keys.

Every YAML file the project reads — ``chapters/book.yml``, sidecars, mappings,
catalogs, parameter files — goes through :func:`load_yaml`. Plain YAML keeps
the last of two equal keys in a mapping (``required: true`` then
``required: false`` silently means false; a second top-level ``chapters:``
replaces the first list); here that is a :class:`~ecd.errors.DuplicateKeyError`
naming the file and both lines. Merge keys (``<<: *base``) may still be
overridden on purpose.
"""
from __future__ import annotations

import yaml

from ecd.errors import DuplicateKeyError

# libyaml's parser is ~10x faster than the pure-Python one when it is available; the
# constructor (where mappings are built) is Python in both, so the check below applies to both
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class _Repeated(Exception):
    def __init__(self, key, line: int, first: int):
        super().__init__(key, line, first)
        self.key, self.line, self.first = key, line, first


class _StrictLoader(_Base):
    """The safe loader, refusing a mapping that repeats a key."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: yaml itself refuses it below
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise _Repeated(key, line, first)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(source, label: str = "<yaml>"):
    """Parse YAML text (or an open text file) safely, refusing duplicate keys.

    Parameters
    ----------
    source : str or text file
        The YAML document.
    label : str
        How the file is named in a message (e.g. ``chapters/book.yml``).

    Returns
    -------
    object
        The parsed document (``None`` for an empty one).

    Raises
    ------
    ecd.errors.DuplicateKeyError
        A mapping repeats a key; the message names the file and both lines.
    yaml.YAMLError
        The text is not YAML.

    Examples
    --------
    >>> from ecd._yaml import load_yaml
    >>> load_yaml("a: 1\\nb: [x, y]\\n")
    {'a': 1, 'b': ['x', 'y']}
    >>> load_yaml("required: true\\nrequired: false\\n", "chapters/book.yml")
    Traceback (most recent call last):
    ...
    ecd.errors.DuplicateKeyError: chapters/book.yml line 2: duplicate key 'required' (first on line 1); YAML would keep only the last value and drop the first without a word — keep one of the two
    """
    loader = _StrictLoader(source)
    try:
        return loader.get_single_data()
    except _Repeated as e:
        raise DuplicateKeyError(label, e.key, e.line, e.first) from None
    finally:
        loader.dispose()
