# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Offline stand-in for the get-pip script ansible-test downloads.

ansible-test bootstraps pip in each of its virtual environments with a get-pip script
it fetches from a host these machines cannot reach, unless a copy is cached at
``~/.ansible/test/cache/get_pip_<version>.py``. scripts/sanity.sh puts this file there.
It is run (through runpy) with the arguments ansible-test gives get-pip, e.g.
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``: it bootstraps the
interpreter's bundled pip with ``ensurepip``, then pip-installs the requested packages
from the configured index. ``--no-setuptools``/``--no-wheel`` are get-pip's own options,
which pip does not know, so they are dropped.
"""

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
