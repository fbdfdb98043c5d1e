"""The command runner and the one atomic-write helper, with real programs and files."""

import os
import subprocess

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.command import Command
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ProcessExecutionError, VolumeBackendAPIException)


def run(args, data=None, binary_data=False, environ_update=None):
    """What AnsibleModule.run_command does with these arguments, in small."""
    env = dict(os.environ, **(environ_update or {}))
    proc = subprocess.run(args, input=data, capture_output=True, text=True, env=env, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_rc_is_a_named_error_with_the_command_and_stderr_in_the_c_locale():
    with pytest.raises(ProcessExecutionError) as err:
        Command(run, "sh")(["-c", "echo $LANG/$LC_ALL >&2; exit 3"], name="sh -c")
    assert str(err.value) == "sh -c failed (rc 3): C/C"
    assert err.value.kwargs == {"cmd": "sh -c", "exit_code": 3, "stderr": "C/C"}


def test_adapter_error_class_keeps_the_backend_wording():
    with pytest.raises(VolumeBackendAPIException) as err:
        Command(run, "false", error=VolumeBackendAPIException)([])
    assert str(err.value) == ("Bad or unexpected response from the storage volume backend API: "
                              "false failed (rc 1):")
    assert err.value.kwargs["exit_code"] == 1


def test_secret_goes_on_stdin_not_argv():
    assert Command(run, "cat").output([], data="s3cret") == "s3cret"


def test_missing_binary_is_a_clear_error():
    with pytest.raises(Exception, match="vbtest-nope not found on the compute host"):
        Command(run, "vbtest-nope", which=lambda name: None)([])


def test_atomic_write_has_its_mode_and_leaves_nothing_on_failure(tmp_path):
    path = str(tmp_path / "target.conf")
    files.write_atomically(path, "one\n")
    assert open(path).read() == "one\n" and os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(RuntimeError):
        with files.created_atomically(path, mode=0o644) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise RuntimeError("killed half-way")
    assert open(path).read() == "one\n"
    assert os.listdir(str(tmp_path)) == ["target.conf"]


def test_a_dead_runs_part_file_is_removed(tmp_path):
    path = str(tmp_path / "volume-1")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / (".volume-1.%d.x1y2.part" % dead.pid)
    stale.write_text("left by a killed run")
    with files.created_atomically(path, mode=0o640) as tmp:
        assert os.stat(tmp).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["volume-1"]
    assert os.stat(path).st_mode & 0o777 == 0o640
