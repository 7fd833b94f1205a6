# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the pip bootstrap script ansible-test expects in its cache, built on ensurepip.

ansible-test bootstraps pip in the virtual environments it creates by running a downloaded
``get-pip`` script that it caches as ``~/.ansible/test/cache/get_pip_<version>.py``. Machines
without access to that download host get this stand-in instead: it runs the pip wheel that
ships with the interpreter (ensurepip) to install the requested pip from the package index.

Usage: python write_get_pip_cache.py PIP_VERSION [CACHE_DIR]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

BOOTSTRAP = '''\
"""get-pip stand-in written by directiron.sriov tests/utils/write_get_pip_cache.py."""
import glob
import os
import sys

import ensurepip


def main():
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    wheels = sorted(glob.glob(os.path.join(bundled, "pip-*.whl")))
    if not wheels:
        sys.stderr.write("ensurepip has no bundled pip wheel in %s\\n" % bundled)
        return 1
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main
    return pip_main(["install"] + args)


if __name__ == "__main__":
    sys.exit(main())
'''


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: write_get_pip_cache.py PIP_VERSION [CACHE_DIR]\n")
        return 2
    version = argv[1]
    cache_dir = argv[2] if len(argv) > 2 else os.path.expanduser("~/.ansible/test/cache")
    if not os.path.isdir(cache_dir):
        os.makedirs(cache_dir)
    path = os.path.join(cache_dir, "get_pip_%s.py" % version.replace(".", "_"))
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(BOOTSTRAP)
    os.rename(tmp, path)
    sys.stdout.write("%s\n" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
