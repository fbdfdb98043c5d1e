#!/usr/bin/env bash
# The bench's baseline: the steps of playbooks/attach_volume.yml done with the raw commands an
# operator would type (sqlite3, tgtadm, virsh), in Nova's order, on one host.
# It is a yardstick, not a tool: it puts the CHAP password on tgtadm's and virsh's command
# lines and does no checking, rollback or idempotence -- what the playbook exists to avoid.
#
#   bench/raw_attach.sh DB VOLUME_ID VOLUME_PATH DOMAIN TID PORTAL_IP CONTROL_PORT CONF_DIR
set -euo pipefail
db=$1 volume_id=$2 volume_path=$3 domain=$4 tid=$5 portal=$6 control=$7 conf_dir=$8
iqn="iqn.2010-10.org.openstack:volume-$volume_id"
instance=$(virsh -q -c qemu:///system domuuid "$domain")
now=$(date -u '+%F %T')

# reserve_block_device_name: the next free vdX among the instance's BDMs.
used=$(sqlite3 "$db" "select device_name from block_device_mapping where instance_uuid='$instance' and deleted=0")
for letter in {b..z}; do
  grep -qx "/dev/vd$letter" <<<"$used" || { device="/dev/vd$letter"; break; }
done
sqlite3 "$db" "insert into block_device_mapping (created_at, uuid, instance_uuid, volume_id,
  device_name, source_type, destination_type, disk_bus, device_type, delete_on_termination,
  no_device, deleted) values ('$now', lower(hex(randomblob(16))), '$instance', '$volume_id',
  '$device', 'volume', 'volume', 'virtio', 'disk', 0, 0, 0)"

# Cinder attachment_create: the volume reserved.
attachment=$(python3 -c 'import uuid; print(uuid.uuid4())')
sqlite3 "$db" "update volumes set status='reserved', updated_at='$now' where id='$volume_id';
  insert into volume_attachment (created_at, id, volume_id, instance_uuid, attach_status, deleted)
  values ('$now', '$attachment', '$volume_id', '$instance', 'reserved', 0)"

# os-brick get_connector_properties, the part that matters for iSCSI. Like the playbook's
# export, the script only reads it: QEMU logs in with its own initiator name, so both
# targets accept any initiator (ACL ALL) and rely on CHAP.
sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi >/dev/null

# Cinder TgtAdm create_export + initialize_connection.
user=$(head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-20)
password=$(head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-16)
umask 077
cat >"$conf_dir/volume-$volume_id.conf" <<CONF
<target $iqn>
    backing-store $volume_path
    lun 1
    incominguser $user $password
    write-cache on
</target>
CONF
tgtadm -C "$control" --lld iscsi --op new --mode target --tid "$tid" -T "$iqn"
tgtadm -C "$control" --lld iscsi --op new --mode logicalunit --tid "$tid" --lun 1 -b "$volume_path"
tgtadm -C "$control" --lld iscsi --op new --mode account --user "$user" --password "$password"
tgtadm -C "$control" --lld iscsi --op bind --mode account --tid "$tid" --user "$user"
tgtadm -C "$control" --lld iscsi --op bind --mode target --tid "$tid" -I ALL

# nova libvirt: the CHAP secret, then the disk, live and persistent.
secret=$(python3 -c 'import uuid; print(uuid.uuid4())')
cat >"$conf_dir/secret.xml" <<XML
<secret ephemeral='no' private='yes'><uuid>$secret</uuid>
  <usage type='iscsi'><target>$iqn/1</target></usage></secret>
XML
virsh -q -c qemu:///system secret-define "$conf_dir/secret.xml" >/dev/null
virsh -q -c qemu:///system secret-set-value "$secret" "$(printf %s "$password" | base64)" >/dev/null
cat >"$conf_dir/disk.xml" <<XML
<disk type='network' device='disk'>
  <driver name='qemu' type='raw' cache='none' io='native'/>
  <source protocol='iscsi' name='$iqn/1'><host name='$portal' port='3260'/></source>
  <auth username='$user'><secret type='iscsi' uuid='$secret'/></auth>
  <target dev='${device#/dev/}' bus='virtio'/>
  <serial>$volume_id</serial>
</disk>
XML
virsh -q -c qemu:///system attach-device "$domain" "$conf_dir/disk.xml" --live --config >/dev/null

# Nova saves the BDM (connection_info) and Cinder marks the volume in-use.
info="{\"driver_volume_type\": \"iscsi\", \"data\": {\"target_iqn\": \"$iqn\", \"target_portal\": \"$portal:3260\", \"target_lun\": 1, \"volume_id\": \"$volume_id\", \"auth_method\": \"CHAP\", \"auth_username\": \"$user\"}}"
sqlite3 "$db" "update block_device_mapping set connection_info='$info', updated_at='$now'
  where instance_uuid='$instance' and volume_id='$volume_id' and deleted=0;
  update volumes set status='in-use', attach_status='attached', updated_at='$now' where id='$volume_id';
  update volume_attachment set attach_status='attached', mountpoint='$device', attached_host='localhost',
  attach_time='$now' where id='$attachment'"
