# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  db_url:
    description:
      - SQLAlchemy URL of the record store when it is a server shared by several controllers
        or AWX jobs, for example C(postgresql+psycopg://nova@db.example/virtblock) or
        C(mysql+pymysql://nova@db.example/virtblock) (the driver must be installed).
      - Defaults to the E(VIRTBLOCK_DB_URL) environment variable; when neither is set the
        store is the SQLite file O(db_path).
      - Not logged (it may hold a password).
    type: str
  db_password:
    description:
      - Password put into O(db_url), so the URL itself can be written down without it.
        Defaults to the E(VIRTBLOCK_DB_PASSWORD) environment variable.
    type: str
  db_path:
    description: The SQLite store file, used when no O(db_url) is given. Created on first use.
    type: path
    default: /var/lib/virtblock/records.sqlite
  db_timeout:
    description: Seconds to wait for the database (connect, and the lock on a busy SQLite file).
    type: int
    default: 30
notes:
  - The schema is created on first use and carries a version; a store written by a newer
    release of the collection is refused rather than misread.
  - Changes run in one transaction holding a per-instance (or per-volume) lock, so that
    parallel runs never pick the same device name. In check mode the transaction runs and is
    rolled back, so C(changed) is what a real run would report.
requirements:
  - SQLAlchemy >= 2.0 on the host that runs the module; psycopg for PostgreSQL.
'''
