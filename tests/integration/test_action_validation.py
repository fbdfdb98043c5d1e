"""The action plugins validate a task's arguments against the module's own spec on the
controller: a wrong type or an unknown option fails clearly, never with a traceback,
and nothing is rendered or run."""

from support.ansible_run import run_module

VOL = "5d1c0e4e-5a43-4c57-9b39-2f5a0e8a6c11"


def test_wrong_type_fails_on_the_controller_with_the_modules_message():
    res = run_module("libvirt_disk_attach", dict(
        domain="vbtest-none", volume_id=VOL, boot_index="abc",
        connection_info={"driver_volume_type": "local", "data": {"device_path": "/nonexistent"}}))
    assert res["failed"]
    assert res["msg"] == ("argument 'boot_index' is of type str and we were unable to convert "
                          "to int: \"'abc'\" cannot be converted to an int")
    assert "Traceback" not in res["_stdout"]


def test_unknown_option_and_missing_required_one_fail_clearly():
    res = run_module("iscsi_target", dict(volume_id=VOL, backing_store="/nonexistent", bogus=1))
    assert res["failed"] and res["msg"].startswith(
        "Unsupported parameters for (virtblock.volumes.iscsi_target) module: bogus.")
    res = run_module("libvirt_domain", dict(name="vbtest-none", uuid=VOL, state="running"))
    assert res["failed"] and res["msg"] == (
        "state is running but all of the following are missing: memory, vcpus")
    assert "Traceback" not in res["_stdout"]
