# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""The collection's module payloads, kept from one playbook run to the next.

ansible-core builds a module's AnsiballZ payload once per ``ansible-playbook`` run: it
parses every module_utils file the module's imports reach (``basic.py``'s closure is most
of it) and keeps the result in the run's own temporary directory
(``<local_tmp>/ansible-local-*/ansiballz_cache``), which is deleted when the run ends.
Measured on these machines that is 200-390 ms for each distinct module of a play, on the
controller, before the module starts: an attach runs five distinct modules, so a fifth
of its time was rebuilding payloads that had not changed since the last run.

Here the payload files ansible-core wrote for our modules are kept in
``<local_tmp>/virtblock-payloads/<key>/`` and linked back into the next run's cache
before ansible-core looks there, so it finds them and builds nothing. ansible-core's
own files are copied as they are, never read or written by us, so their format is
ansible-core's business. The key is a digest of everything the payload is built from:
ansible-core's version and location, the controller's Python, the module_utils search
path and every file under our ``plugins/modules`` and ``plugins/module_utils``; any
change there makes a new key, and all but the four most recently used keys are removed.

The payload holds the module's code only; its arguments are added per task, outside
the cached file, so no secret is ever kept here. The directory is the user's own
(0700, checked before every use, as ssh checks ``~/.ssh``): a payload found there is
code that runs on the targets. ``VIRTBLOCK_PAYLOAD_CACHE=0`` turns the cache off.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import shutil
import stat
import sys

from ansible import constants as C
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.release import __version__ as ANSIBLE_VERSION

COLLECTION_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODULES_DIR = os.path.join(COLLECTION_ROOT, "plugins", "modules")
PAYLOAD_PREFIX = "ansible_collections.virtblock.volumes.plugins.modules."
CACHE_DIR_NAME = "virtblock-payloads"
KEEP_KEYS = 4


def enabled():
    return os.environ.get("VIRTBLOCK_PAYLOAD_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def _source_files():
    for top in (MODULES_DIR, os.path.join(COLLECTION_ROOT, "plugins", "module_utils")):
        for parent, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(parent, name)


def payload_key():
    """The digest of everything a payload of ours is built from."""
    digest = hashlib.sha256()
    for part in (ANSIBLE_VERSION, os.path.dirname(C.__file__), sys.version, COLLECTION_ROOT,
                 repr(C.config.get_config_value("DEFAULT_MODULE_UTILS_PATH"))):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for path in _source_files():
        if not os.path.isfile(path):
            continue
        digest.update(os.path.relpath(path, COLLECTION_ROOT).encode("utf-8", "surrogateescape") + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:32]


def _private_dir(path):
    """Make *path* a directory of ours, 0700; True when it is one (and safe to trust)."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _publish(source, target):
    """Put *source*'s bytes at *target* whole or not at all (a reader never sees half a
    file; two runs publishing at once both publish the same bytes)."""
    part = "%s.vb-%d" % (target, os.getpid())
    try:
        try:
            os.link(source, part)
        except OSError:
            shutil.copyfile(source, part)
        os.chmod(part, 0o600)  # the directory is private already; the file says so too
        os.rename(part, target)
    except OSError:
        try:
            os.unlink(part)
        except OSError:
            pass


class PayloadCache(object):
    """The kept payloads of one module of ours, for the run this process belongs to."""

    def __init__(self, leaf, run_cache, kept_root, key):
        self.prefix = PAYLOAD_PREFIX + leaf + "-"
        self.run_cache = run_cache
        self.kept_root = kept_root
        self.kept = os.path.join(kept_root, key)

    @classmethod
    def for_module(cls, module_name):
        """The cache for *module_name* (``virtblock.volumes.bdm_record``), or None when it is
        not a module of ours or the cache is off."""
        leaf = module_name.rsplit(".", 1)[-1]
        if (not enabled() or not module_name.startswith("virtblock.volumes.")
                or not leaf.isidentifier() or not os.path.isfile(os.path.join(MODULES_DIR, leaf + ".py"))):
            return None
        run_tmp = C.DEFAULT_LOCAL_TMP
        kept_root = os.path.join(os.path.dirname(run_tmp), CACHE_DIR_NAME)
        if not _private_dir(kept_root):
            return None
        return cls(leaf, os.path.join(run_tmp, "ansiballz_cache"), kept_root, payload_key())

    def _names(self, directory):
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        # ansible-core's own temporaries end in -part and .lock; ours carry .vb-
        return [name for name in names if name.startswith(self.prefix)
                and not name.endswith(("-part", ".lock")) and ".vb-" not in name]

    def restore(self):
        """Link the kept payloads into this run's cache, before ansible-core looks there."""
        names = self._names(self.kept)
        if not names:
            return
        os.utime(self.kept)  # in use: the last key to be dropped
        os.makedirs(self.run_cache, mode=0o700, exist_ok=True)
        for name in names:
            target = os.path.join(self.run_cache, name)
            if not os.path.exists(target):
                _publish(os.path.join(self.kept, name), target)

    def save(self):
        """Keep the payloads ansible-core built in this run; drop those of older keys."""
        fresh = [name for name in self._names(self.run_cache)
                 if not os.path.exists(os.path.join(self.kept, name))]
        if not fresh or not _private_dir(self.kept):
            return
        for name in fresh:
            _publish(os.path.join(self.run_cache, name), os.path.join(self.kept, name))
        self._drop_old_keys()

    def _drop_old_keys(self):
        """Remove all but the KEEP_KEYS most recently used keys: an edit or an upgrade
        leaves its old key behind, while two ansible-cores or checkouts used side by side
        (the CI's version matrix) keep one each instead of removing each other's."""
        others = []
        for name in os.listdir(self.kept_root):
            path = os.path.join(self.kept_root, name)
            if path != self.kept:
                try:
                    others.append((os.stat(path).st_mtime, path))
                except OSError:
                    pass
        for dummy, path in sorted(others, reverse=True)[KEEP_KEYS - 1:]:
            shutil.rmtree(path, ignore_errors=True)


class PayloadCacheMixin(object):
    """For an action plugin: ansible-core's payload build, skipped when a kept one fits."""

    def _configure_module(self, module_name, *args, **kwargs):
        name = module_name
        if module_name == self._task.action:  # a short name under `collections:` resolves
            name = getattr(self._task, "resolved_action", None) or module_name
        try:
            cache = PayloadCache.for_module(name)
            if cache:
                cache.restore()
        except Exception:  # a cache must never fail a task; ansible-core builds as usual
            cache = None
        built = super(PayloadCacheMixin, self)._configure_module(module_name, *args, **kwargs)
        if cache:
            try:
                cache.save()
            except Exception:
                pass
        return built


class CachedModuleAction(PayloadCacheMixin, NormalAction):
    """ansible-core's own module action (``normal``) with the payload kept: the action
    plugin of every module of ours that has no controller side of its own."""
