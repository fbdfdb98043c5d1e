# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""The base every module of the collection stands on (as openstack.cloud's
``OpenStackModule``): argument parsing, check mode, diff, and turning the rules'
errors into ``fail_json(msg=...)`` instead of tracebacks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import batch_result, merged, run_items
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.secrets import secret_values


class _MaskingModule(AnsibleModule):
    """The masking hook every module of the collection goes through.

    ``AnsibleModule.__init__`` loads the raw parameters, validates them (a validation
    failure returns the parameters as ``invocation``), then logs ``Invoked with ...`` to
    syslog/journal. ``no_log`` in an argument spec covers a whole option only; a secret
    nested in a dict (``connection_info.data.auth_password``) would be logged and returned
    in the clear. So right after ``_load_params`` (ansible-core 2.19 ``basic.py``:
    ``no_log_values`` is set empty just before it) every value under a key of
    ``secrets.SECRET_KEYS`` joins ``no_log_values``: AnsibleModule then masks it in the
    logged invocation, the result, the diff and the error message, as for ``no_log``
    options. The walk runs again before logging, for values that came from defaults or
    environment fallbacks during validation.
    """

    def _load_params(self):
        super(_MaskingModule, self)._load_params()
        self.no_log_values.update(secret_values(self.params))

    def _log_invocation(self):
        self.no_log_values.update(secret_values(self.params))
        super(_MaskingModule, self)._log_invocation()


class VirtblockModule(object):
    """Subclasses set ``spec`` (``dict(argument_spec=..., required_if=...)``, defined in
    module_utils when an action plugin validates with it too) or ``argument_spec`` (and
    ``module_kwargs``), and implement ``run()``, which returns the result dict
    (``changed`` included). A module that takes ``volumes`` (module_utils/batch.py)
    implements ``run_one(params)`` instead: ``run()`` calls it for the task's one volume,
    or for each item of ``volumes``."""

    spec = None
    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = self.spec or dict(self.module_kwargs, argument_spec=self.argument_spec)
        try:
            self.module = _MaskingModule(supports_check_mode=True, **spec)
        except (OverflowError, ValueError, TypeError) as err:
            # ansible-core's own type check raises on some values (int "inf": OverflowError)
            # instead of failing the task: fail it cleanly through a module that converts
            # nothing (and still masks the no_log options and the nested secrets).
            raw = dict((name, dict(type="raw", no_log=bool(option.get("no_log"))))
                       for name, option in spec["argument_spec"].items())
            _MaskingModule(argument_spec=raw, supports_check_mode=True).fail_json(
                msg="Invalid module arguments: %s: %s" % (type(err).__name__, err))
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff

    def run(self):
        if self.params.get("volumes") is not None:
            return self.run_batch(self.params["volumes"])
        return self.run_one(self.params)

    def run_one(self, params):
        raise NotImplementedError

    def run_batch(self, items):
        results, failed = run_items(items, lambda item: self.run_one(merged(self.params, item)))
        return batch_result(results, failed)

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def __call__(self):
        try:
            result = self.run()
        except VirtblockError as err:
            self.fail(err.msg, **err.details)
        except Exception as err:  # pylint: disable=broad-except
            # An unexpected error still fails cleanly; the trace goes to -vvv only.
            self.fail("%s: %s" % (type(err).__name__, err), exception=traceback.format_exc())
        if result.get("failed"):
            # a batch with a failed volume: the others' results are returned with it
            result.pop("failed")
            self.module.fail_json(**result)
        self.module.exit_json(**result)
