"""Atomic folder moves that never clobber: Linux ``renameat2`` through ctypes, with a
portable fallback.

``move_noreplace(src, dst)`` moves a folder to a name that must not exist (two runs into
the same ``--out``: the second one learns it lost instead of replacing the first one's
pack). ``exchange(a, b)`` swaps two folders in one step (``--replace``: the target is
never missing, not even for a moment). Where the kernel, the C library or the file system
lacks ``renameat2``, the fallbacks are as close as POSIX allows and say so in their name.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """True when done; False when ``renameat2`` is not available here; OSError otherwise."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if func(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(dst))


def move_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; FileExistsError when ``dst`` exists (even if empty)."""
    if _renameat2(src, dst, RENAME_NOREPLACE):
        return
    # fallback: creating the (empty) target is atomic and claims the name; POSIX rename
    # then replaces only an empty folder, so files someone put there meanwhile stop it
    os.mkdir(dst)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise FileExistsError(exc.errno, "appeared meanwhile", str(dst)) from None
        raise


def exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` atomically. False when this system cannot (the
    caller then falls back to two renames and leaves a recoverable ``.old`` folder)."""
    return _renameat2(a, b, RENAME_EXCHANGE)
