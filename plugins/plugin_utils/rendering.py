# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Controller side of the collection's modules that take a template.

A module's payload carries module_utils but not ``templates/``, so the text is
rendered here, on the controller, as ``ansible.builtin.template`` does, and the
module receives it as an argument. Undefined variables are an error, never an
empty string in a target file or a disk XML. XML templates (``*.xml.j2``, the user's
own included) are autoescaped: a value can never close an attribute or add an element
(a NIC model must not hand the VM a host file). The tgt file has no escaping at all,
so its values are validated instead (rules/target_config.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import merged
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.secrets import secret_values
from ansible_collections.virtblock.volumes.plugins.plugin_utils.payload_cache import PayloadCacheMixin

COLLECTION_TEMPLATES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "templates"))


def render_file(path, variables, xml=None):
    """Render the Jinja2 template at *path*; raise VirtblockError with the reason.

    *xml*: True autoescapes every value (the output is XML whatever the file is named),
    None decides by the name (``*.xml``, ``*.xml.j2``)."""
    autoescape = xml if xml is not None else select_autoescape(
        enabled_extensions=("xml", "xml.j2"), disabled_extensions=(),
        default_for_string=False, default=False)
    env = Environment(loader=FileSystemLoader(os.path.dirname(path) or "."),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, autoescape=autoescape)
    try:
        return env.get_template(os.path.basename(path)).render(**variables)
    except TemplateError as err:
        raise VirtblockError("template %s: %s" % (path, err))


def validated(spec, args, name):
    """*args* checked against the module's own *spec* (the same dict the module gives
    AnsibleModule): the parameters with their defaults, or VirtblockError with the message
    the module would fail with. So a wrong type fails here, on the controller, clearly."""
    try:
        validation = ArgumentSpecValidator(**spec).validate(args)
    except (OverflowError, ValueError, TypeError) as err:
        # ansible-core's int check raises on "inf" (OverflowError) instead of reporting it.
        raise VirtblockError("Invalid module arguments: %s: %s" % (type(err).__name__, err))
    if validation.error_messages:
        error = validation.errors[0]
        msg = validation.errors.msg
        if isinstance(error, UnsupportedError):
            msg = "Unsupported parameters for (%s) module: %s" % (name, msg)
        # A secret never comes back in the message (a password of the wrong type, say).
        raise VirtblockError(remove_values(msg, set(validation._no_log_values) | set(secret_values(args))))
    return validation.validated_parameters


class TemplateAction(PayloadCacheMixin, ActionBase):
    """Subclasses set ``spec`` (the module's, from module_utils), ``default_template`` and
    ``rendered_option`` and implement ``template_vars(params)`` (the validated
    parameters, defaults filled in); ``needs_template(params)`` says when to render."""

    TRANSFERS_FILES = False
    spec = None
    default_template = None
    rendered_option = None
    renders_xml = False

    def needs_template(self, params):
        return params.get("state", "present") != "absent"

    def template_vars(self, params):
        raise NotImplementedError

    def _template_path(self, args):
        name = args.pop("template", None)
        if not name:
            return os.path.join(COLLECTION_TEMPLATES, self.default_template)
        try:
            # Same search as ansible.builtin.template: role and playbook templates/ dirs.
            return self._find_needle("templates", name)
        except AnsibleError as err:
            raise VirtblockError("template %s not found: %s" % (name, err))

    def prepare(self, args, name, path=None):
        """*args* with the rendered option added; VirtblockError on bad input. *path*: the
        template (default: the task's ``template`` or the collection's)."""
        params = validated(self.spec, args, name)
        for key, option in self.spec["argument_spec"].items():
            if option.get("fallback") and args.get(key) is None and params.get(key) is not None:
                # An option read from the controller's environment (an AWX credential) goes
                # to the module as an argument: the host the module runs on may not have it.
                args[key] = params[key]
        path = path or self._template_path(args)
        args.pop("template", None)
        if params.get("volumes") is not None:
            # A batch: each volume's text from the task's options and the item's own.
            args["volumes"] = [dict(raw) for raw in args["volumes"]]
            for raw, item in zip(args["volumes"], params["volumes"]):
                one = merged(params, item)
                if self.needs_template(one):
                    raw[self.rendered_option] = render_file(path, self.template_vars(one),
                                                            xml=self.renders_xml)
        elif self.needs_template(params):
            args[self.rendered_option] = render_file(path, self.template_vars(params),
                                                     xml=self.renders_xml)
        return args

    def run(self, tmp=None, task_vars=None):
        result = super(TemplateAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            args = self.prepare(args, self._task.resolved_action or self._task.action)
        except VirtblockError as err:
            result.update(failed=True, changed=False, msg=err.msg)
            return result
        except Exception as err:  # pylint: disable=broad-except
            # Never a controller traceback: the module would have failed cleanly too.
            result.update(failed=True, changed=False,
                          msg="%s: cannot render the template: %s" % (type(err).__name__, err))
            return result
        result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                           module_args=args, task_vars=task_vars))
        return result
