"""mitogen's strategy for a test or benchmark run: the environment that selects it."""

import os


def strategy_env():
    """ANSIBLE_* variables that run a playbook under mitogen_linear, None without mitogen.

    mitogen ships its strategy plugins inside the ansible_mitogen package; users point
    ``strategy_plugins`` at the same folder (docs/mitogen.md).
    """
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return dict(ANSIBLE_STRATEGY_PLUGINS=os.path.join(
        os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"),
        ANSIBLE_STRATEGY="mitogen_linear")
