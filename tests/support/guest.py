"""A tiny real guest for hot-plug tests: Debian's kernel + a busybox initramfs.

Built by the test set-up from ``apt-get download``'ed packages and cached under
``.build/guest/`` (see ../shared/ENVIRONMENT.md). It boots under TCG
(``<domain type='qemu'>``) in a few seconds, and its ``/init`` reports on the serial
console every disk it sees, with its serial and the first bytes on it, and every
disk that goes away:

    VBTEST-READY
    VBTEST-DISK vda serial=<first 20 chars of the serial> data=<first 32 bytes>
    VBTEST-SIZE vda <512-byte sectors, printed when first seen and whenever it changes>
    VBTEST-WRITE vda ok|refused   <a disk whose data starts VBTEST-WRITE-PROBE: 512 zero bytes written at 4096>
    VBTEST-DATA vda data=<first 32 bytes>   <a disk whose data starts VBTEST-SHARED: read again
                                             every pass past the page cache, printed on change>
    VBTEST-GONE vda

Booted with ``root=/dev/vda`` (the boot disk's name) or ``vbtest.root_serial=<serial>``
on the kernel command line, it first waits for that disk (a serial is matched on the 20
characters the guest sees), mounts it as
its root volume (ext4, read-only) and prints the marker file the image carried, the part
of a distribution's initramfs that finds and mounts ``root=``:

    VBTEST-ROOT vda serial=<first 20 chars of its serial>
    VBTEST-MARKER <first line of /vbtest-marker on the volume>
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, ".build", "guest")
# ENVIRONMENT.md's load order for virtio-blk and virtio-scsi disks.
MODULES = ("virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk "
           "scsi_common scsi_mod virtio_scsi crc64 crc64-rocksoft crc64_rocksoft_generic "
           "crct10dif_common crct10dif_generic crc-t10dif t10-pi sd_mod "
           # ext4 for a root volume (built into some kernels: then not found, not needed).
           "crc16 mbcache jbd2 crc32c_generic ext4").split()

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/vbmod/$m.ko 2>/dev/null; done
echo VBTEST-READY
# The root volume: root=/dev/<name> (the boot disk, as a distribution's cmdline names it)
# or vbtest.root_serial=<volume id> (matched on the first 20 characters the guest sees).
rootname=$(sed -n 's/.*[ ]root=\/dev\/\([^ ]*\).*/\1/p' /proc/cmdline)
root=$(sed -n 's/.*vbtest.root_serial=\([^ ]*\).*/\1/p' /proc/cmdline | cut -c1-20)
if [ -n "$rootname$root" ]; then
  tries=0
  while [ $tries -lt 300 ]; do
    for d in /sys/block/vd* /sys/block/sd*; do
      [ -e "$d" ] || continue
      s=$(cat $d/serial 2>/dev/null)
      [ -n "$s" ] || s=$(cat $d/device/wwid 2>/dev/null)
      [ -n "$root" ] && case "$s" in *"$root"*) rootdev=${d##*/} ;; esac
      [ "${d##*/}" = "$rootname" ] && rootdev=$rootname
    done
    [ -n "$rootdev" ] && break
    tries=$((tries + 1))
    sleep 0.1
  done
  if [ -n "$rootdev" ] && mount -t ext4 -o ro /dev/$rootdev /mnt; then
    echo "VBTEST-ROOT $rootdev serial=$(cat /sys/block/$rootdev/serial 2>/dev/null)"
    echo "VBTEST-MARKER $(head -n 1 /mnt/vbtest-marker)"
  else
    echo "VBTEST-NOROOT $rootname$root"
  fi
fi
known=""
while true; do
  now=""
  for d in /sys/block/vd* /sys/block/sd*; do
    [ -e "$d" ] || continue
    n=${d##*/}
    now="$now $n"
    case " $known " in
      *" $n "*)
         # a shared disk (multiattach) is read again on every pass, past this guest's page
         # cache (BLKFLSBUF): its bytes change under it (the storage side, another guest)
         if [ -e /shared.$n ]; then
           blockdev --flushbufs /dev/$n 2>/dev/null
           data=$(dd if=/dev/$n bs=512 count=1 2>/dev/null | head -c 32 | tr -c 'A-Za-z0-9-' '.')
           if [ "$(cat /shared.$n)" != "$data" ]; then echo "VBTEST-DATA $n data=$data"; echo "$data" > /shared.$n; fi
         fi ;;
      *) s=$(cat $d/serial 2>/dev/null)
         [ -n "$s" ] || s=$(cat $d/device/wwid 2>/dev/null)
         data=$(dd if=/dev/$n bs=512 count=1 2>/dev/null | head -c 32 | tr -c 'A-Za-z0-9-' '.')
         echo "VBTEST-DISK $n serial=$s data=$data"
         case "$data" in VBTEST-SHARED*) echo "$data" > /shared.$n ;; esac
         # a disk that asks for it is written once (a read-only attach must refuse it)
         case "$data" in VBTEST-WRITE-PROBE*)
           if dd if=/dev/zero of=/dev/$n bs=512 count=1 seek=8 conv=notrunc,fsync 2>/dev/null; then
             echo "VBTEST-WRITE $n ok"; else echo "VBTEST-WRITE $n refused"; fi ;;
         esac ;;
    esac
    sz=$(cat $d/size)
    if [ "$(cat /sz.$n 2>/dev/null)" != "$sz" ]; then echo "VBTEST-SIZE $n $sz"; echo "$sz" > /sz.$n; fi
  done
  for n in $known; do
    case " $now " in *" $n "*) ;; *) echo "VBTEST-GONE $n"; rm -f /sz.$n /shared.$n ;; esac
  done
  known=$now
  sleep 0.2
done
"""


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _run(cmd, **kwargs):
    subprocess.run(cmd, check=True, capture_output=True, timeout=300, **kwargs)


def _find_module(tree, name):
    for lib in ("lib", os.path.join("usr", "lib")):
        for suffix in (".ko", ".ko.xz", ".ko.zst", ".ko.gz"):
            hits = glob.glob(os.path.join(tree, lib, "modules", "*", "kernel", "**", name + suffix),
                             recursive=True)
            if hits:
                return hits[0]
    return None


def _copy_module(source, dest):
    """busybox insmod takes a plain .ko: decompress what Debian 13 ships compressed."""
    if source.endswith(".xz"):
        import lzma
        with lzma.open(source) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
    elif source.endswith(".gz"):
        import gzip
        with gzip.open(source) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
    elif source.endswith(".zst"):
        with open(dest, "wb") as out:
            subprocess.run(["zstd", "-dc", source], check=True, stdout=out, timeout=60)
    else:
        shutil.copy(source, dest)


def build(cache=CACHE, kernel_package=None):
    """Return (kernel, initrd), building them into *cache* the first time."""
    kernel = os.path.join(cache, "vmlinuz")
    initrd = os.path.join(cache, "initrd.gz")
    stamp = os.path.join(cache, "stamp")
    # The cache is rebuilt when /init or the module list change.
    want = hashlib.sha256((INIT + " ".join(MODULES)).encode()).hexdigest()
    if os.path.exists(kernel) and os.path.exists(initrd) and _read(stamp) == want:
        return kernel, initrd
    # Two test sessions may build at once (CI runs the matrix's beside the suite): one
    # builds, the other waits and takes its result.
    import fcntl
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(kernel) and os.path.exists(initrd) and _read(stamp) == want:
            return kernel, initrd
        return _build(cache, kernel, initrd, stamp, want, kernel_package)


def _build(cache, kernel, initrd, stamp, want, kernel_package):
    work = os.path.join(cache, "work")
    shutil.rmtree(work, ignore_errors=True)
    debs, tree, initramfs = (os.path.join(work, d) for d in ("debs", "tree", "initramfs"))
    for path in (debs, tree, initramfs):
        os.makedirs(path)
    # linux-image-amd64 names this release's kernel (6.1 on Debian 12, 6.12 on Debian 13).
    package = kernel_package
    if package is None:
        depends = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], check=True,
                                 capture_output=True, text=True).stdout
        package = re.search(r"Depends: (linux-image-\S+-amd64)", depends).group(1)
    _run(["apt-get", "download", package, "busybox-static"], cwd=debs)
    for deb in glob.glob(os.path.join(debs, "*.deb")):
        _run(["dpkg-deb", "-x", deb, tree])
    moddir = os.path.join(initramfs, "lib", "vbmod")
    os.makedirs(moddir)
    for sub in ("bin", "proc", "sys", "dev", "mnt"):
        os.makedirs(os.path.join(initramfs, sub), exist_ok=True)
    # Debian 12 ships /bin/busybox and /lib/modules; Debian 13 /usr/bin and /usr/lib/modules
    # (merged /usr), with the modules xz-compressed.
    busybox = [path for path in (os.path.join(tree, "bin", "busybox"),
                                 os.path.join(tree, "usr", "bin", "busybox"))
               if os.path.exists(path)][0]
    shutil.copy(busybox, os.path.join(initramfs, "bin", "busybox"))
    found = []
    for name in MODULES:
        module = _find_module(tree, name)
        if module:   # not found: built into the kernel
            _copy_module(module, os.path.join(moddir, name + ".ko"))
            found.append(name)
    with open(os.path.join(initramfs, "modules.order"), "w") as handle:
        handle.write("\n".join(found) + "\n")
    with open(os.path.join(initramfs, "init"), "w") as handle:
        handle.write(INIT)
    os.chmod(os.path.join(initramfs, "init"), 0o755)
    cpio = subprocess.run("find . | cpio -o -H newc --quiet | gzip -1", shell=True, cwd=initramfs,
                          check=True, capture_output=True, timeout=300).stdout
    with open(initrd + ".tmp", "wb") as handle:
        handle.write(cpio)
    shutil.copy(glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))[0], kernel + ".tmp")
    os.rename(initrd + ".tmp", initrd)
    os.rename(kernel + ".tmp", kernel)
    with open(stamp, "w") as handle:
        handle.write(want)
    shutil.rmtree(work, ignore_errors=True)
    return kernel, initrd


def load_factor():
    """How many times slower than idle this machine runs now: 1 to 6."""
    return min(6.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))


class Console(object):
    """The guest's serial console, written by QEMU to a file."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern, timeout=60):
        """The first match of *pattern*; AssertionError with the console after *timeout*.

        *timeout* is for an idle machine; a TCG guest runs slower by the machine's load
        (several test sessions at once), so the wait stretches with it. It bounds a hang,
        it measures nothing.
        """
        deadline = time.monotonic() + timeout * load_factor()
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.text())
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError("guest console never showed %r; it says:\n%s"
                                     % (pattern, self.text()[-3000:]))
            time.sleep(0.2)


@pytest.fixture(scope="session")
def guest_image():
    return build()


def start_guest(virt, guest_image, directory, name="console"):
    """Start a TCG guest with the reporting /init, its console in *directory*/*name*.log,
    and wait for it: (domain, console)."""
    kernel, initrd = guest_image
    console = os.path.join(directory, name + ".log")
    boot = ("<kernel>%s</kernel><initrd>%s</initrd>"
            "<cmdline>console=ttyS0 panic=-1 quiet</cmdline>" % (kernel, initrd))
    serial = ("<serial type='file'><source path='%s'/><target port='0'/></serial>" % console)
    dom = virt.define(start=True, memory=256, boot=boot, serial=serial)
    handle = Console(console)
    handle.wait_for("VBTEST-READY", timeout=120)
    return dom, handle


@pytest.fixture
def guest(virt, guest_image, volume_dir):
    """A running TCG guest with the reporting /init: (domain, console)."""
    return start_guest(virt, guest_image, volume_dir)


def make_root_image(path, marker, size_mib=16, fmt="qcow2"):
    """A Glance-style image at *path*: an ext4 filesystem (``mkfs.ext4 -d``) whose
    ``/vbtest-marker`` holds *marker*, stored as *fmt* (qcow2: the volume module must
    convert it to raw, as Cinder's create from image does)."""
    work = path + ".tree"
    os.makedirs(work)
    try:
        with open(os.path.join(work, "vbtest-marker"), "w") as handle:
            handle.write(marker + "\n")
        raw = path + ".raw"
        _run(["mkfs.ext4", "-q", "-F", "-d", work, raw, "%dM" % size_mib])
        if fmt == "raw":
            os.rename(raw, path)
        else:
            _run(["qemu-img", "convert", "-f", "raw", "-O", fmt, raw, path])
            os.unlink(raw)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path
