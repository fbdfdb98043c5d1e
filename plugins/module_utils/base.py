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

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError


class _MaskingModule(AnsibleModule):
    """An AnsibleModule that learns secret values nested in parameters (a CHAP
    password inside ``connection_info``) before it logs its invocation, so they are
    masked in the log, the invocation and the result as ``no_log`` values are."""

    secret_finder = None

    def _log_invocation(self):
        if self.secret_finder is not None:
            self.no_log_values.update(v for v in self.secret_finder(self.params) if v)
        super(_MaskingModule, self)._log_invocation()


class VirtblockModule(object):
    """Subclasses set ``argument_spec`` (and ``module_kwargs``) and implement ``run()``,
    which returns the result dict (``changed`` included). A subclass whose parameters
    carry secrets inside a dict sets ``secret_values(params)`` to return them."""

    argument_spec = {}
    module_kwargs = {}
    secret_values = None

    def __init__(self):
        finder = type(self).secret_values
        module_class = type("VirtblockAnsibleModule", (_MaskingModule,),
                            {"secret_finder": staticmethod(finder)}) if finder else AnsibleModule
        try:
            self.module = module_class(argument_spec=self.argument_spec,
                                       supports_check_mode=True, **self.module_kwargs)
        except (OverflowError, ValueError, TypeError) as err:
            # ansible-core's own type check raises on some values (int "inf": OverflowError)
            # instead of failing the task: fail it cleanly through a module that converts
            # nothing (and still masks the no_log options).
            raw = dict((name, dict(type="raw", no_log=bool(spec.get("no_log"))))
                       for name, spec in self.argument_spec.items())
            module_class(argument_spec=raw, supports_check_mode=True).fail_json(
                msg="Invalid module arguments: %s: %s" % (type(err).__name__, err))
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff

    def run(self):
        raise NotImplementedError

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
        self.module.exit_json(**result)
