import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Import the tree as ansible_collections.virtblock.volumes (scripts/setup.sh links it).
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

pytest_plugins = ["support.tgtd", "support.postgres", "support.libvirtd", "support.guest",
                  "support.attach_env", "support.boot_site", "support.ceph", "support.compute_node", "support.mysql"]
