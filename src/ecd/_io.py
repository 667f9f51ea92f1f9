"""What an operating-system error means for a user, and what to do about it.

Disk full, a read-only file system or missing permissions are not bugs of
``ecd``: they are named (:func:`describe`) so that the build and the warehouse
can say what happened and what to do instead of ending in a traceback.
"""
from __future__ import annotations

import errno
import os

# errors of the place being written, not of the program
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


def is_storage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an OSError of the storage (full, read-only, no permission, I/O)."""
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def describe(exc: OSError, where: str = "") -> str:
    """One sentence: what happened (with the path) and what to do.

    Examples
    --------
    >>> import errno
    >>> from ecd._io import describe
    >>> describe(OSError(errno.ENOSPC, "No space left on device", "/x/build/runs/r1/site/a.html"))  # doctest: +ELLIPSIS
    'the disk is full (No space left on device) while writing /x/build/runs/r1/site/a.html: free space on that disk ...'
    """
    path = exc.filename or where or "?"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"the disk is full ({os.strerror(exc.errno)}) while writing {'' if exc.filename else 'in '}{path}"
        todo = ("free space on that disk (`df -h`; old runs in build/runs/ may be removed) or set ECD_HOME to a "
                "project copy on a disk with room, then run again")
    elif exc.errno == errno.EROFS:
        what = f"the file system is read-only ({os.strerror(exc.errno)}) at {path}"
        todo = "remount it read-write, or set ECD_HOME to a project copy on a writable disk"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        what = f"permission denied ({os.strerror(exc.errno)}) at {path}"
        todo = "give this user write access (chmod/chown), or set ECD_HOME to a project copy it may write"
    else:
        what = f"{exc.strerror or exc} at {path}"
        todo = "check the disk (`dmesg`, `df -h`) and run again"
    return f"{what}: {todo}"
