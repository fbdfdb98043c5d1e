#!/usr/bin/env bash
# Build the compute-node guest: a TCG VM that boots Debian's kernel and runs this machine's
# own root filesystem, shared read-only over virtio-9p under a tmpfs overlay, so the guest
# runs the very same python3, virtualenv, os-brick, open-iscsi, udev and libvirt.
# tests/support/compute_node.py calls it once and caches the result (.build/compute-node);
# nothing is installed on the machine.
#
# Layers (top first): conf (SSH keys, sshd_config, multipath.conf, stage-2 init) ->
# extra (.debs unpacked with dpkg-deb -x: the kernel and its modules, openssh-server, kmod,
# multipath-tools and whatever of their dependencies the machine lacks) -> the machine's "/".
#
#   build.sh OUTDIR
set -euo pipefail
W=$1
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$W" && mkdir -p "$W"/debs
cd "$W"

# linux-image-amd64 depends on the versioned package (6.1.0-N on Debian 12, 6.12.N on 13).
KPKG=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[^ ]*-amd64\).*/\1/p' | head -1)
KVER=${KPKG#linux-image-}
# What installing the guest's tools would pull in on this release (names differ between
# Debian 12 and 13, e.g. liburcu8 / liburcu8t64): the simulation lists exactly the packages
# the machine lacks; upgrades of installed ones ("Inst x [old] (new)") are left out.
# lsscsi: os-brick's extend_volume runs it (LinuxSCSI.get_device_info) on the compute host.
PKGS=$(apt-get -s -qq install --no-install-recommends openssh-server multipath-tools lsscsi kmod busybox-static 2>/dev/null |
       awk '/^Inst / && $3 !~ /^\[/ {print $2}' |
       grep -vE '^(initramfs-tools|linux-base|klibc-utils|libklibc|ncurses-term|runit-helper)' || true)
# $PKGS: one word per package.
# shellcheck disable=SC2086
(cd debs && apt-get download -qq "$KPKG" $PKGS busybox-static 2>&1 | { grep -v 'unsandboxed' || true; })

# ---- extra layer; bin/sbin/lib go under usr/ (the machine is merged-/usr: a real lib/
# directory in an upper layer would hide its /lib -> usr/lib link).
mkdir extra
for d in debs/*.deb; do dpkg-deb -x "$d" extra; done
for d in lib lib64 sbin bin; do
  if [ -d extra/$d ] && [ ! -L extra/$d ]; then
    mkdir -p extra/usr/$d && cp -a extra/$d/. extra/usr/$d/ && rm -rf extra/$d
  fi
done
M=extra/usr/lib/modules/$KVER
cp extra/boot/vmlinuz-"$KVER" vmlinuz
rm -rf extra/boot "$M"/kernel/drivers/{gpu,media,net/wireless,infiniband,staging,bluetooth,usb,hid,input,iio} "$M"/kernel/sound "$M"/kernel/net/{bluetooth,wireless,mac80211}
# depmod from the unpacked kmod (the machine may have none); kmod dispatches on argv[0].
ln -sf "$W"/extra/usr/bin/kmod "$W"/depmod
"$W"/depmod -b "$W"/extra/usr "$KVER"

# ---- stage 1: busybox initramfs that mounts the three 9p layers + overlay, switch_root
mkdir -p initramfs/{bin,proc,sys,dev,newroot,layers,lib/vbmod}
cp extra/usr/bin/busybox initramfs/bin/busybox
ln -s busybox initramfs/bin/sh          # /init's interpreter
: > initramfs/modules.order
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
  f=$(find "$M"/kernel -name "$m.ko*" | head -1)
  [ -n "$f" ] || continue            # built in
  case $f in *.xz) xz -dc "$f" > initramfs/lib/vbmod/$m.ko ;; *.zst) zstd -qdc "$f" > initramfs/lib/vbmod/$m.ko ;; *) cp "$f" initramfs/lib/vbmod/ ;; esac
  echo "$m" >> initramfs/modules.order
done
cp "$HERE"/stage1 initramfs/init && chmod 755 initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz
rm -rf initramfs

# ---- conf layer: the login key, sshd, multipath.conf, stage-2 init (PID 1)
mkdir -p conf/etc/ssh conf/root/.ssh conf/usr/sbin
ssh-keygen -q -t ed25519 -N '' -C virtblock-compute-node -f id_compute
cp id_compute.pub conf/root/.ssh/authorized_keys
chmod 700 conf/root/.ssh && chmod 600 conf/root/.ssh/authorized_keys
ssh-keygen -A -f conf >/dev/null
# The machine's ~/.bashrc may run slow things (pyenv init: 10 s per SSH command under TCG).
printf '# compute-node guest\n' > conf/root/.bashrc; printf '. ~/.bashrc\n' > conf/root/.profile
cp "$HERE"/sshd_config conf/etc/ssh/sshd_config
cp "$HERE"/multipath.conf conf/etc/multipath.conf
cp "$HERE"/stage2 conf/usr/sbin/virtblock-compute-init && chmod 755 conf/usr/sbin/virtblock-compute-init
echo "$KVER" > kver
rm -rf debs depmod
