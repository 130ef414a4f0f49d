"""EC2, EBS and VPC readers: instances, images, volumes, snapshots, VPCs, flow logs, security groups."""

from __future__ import annotations

from auditpack.evidence import aws as r

from .run import MISSING, Run, tag
from .session import EXPECTED_ERRORS, Account, iso


def ec2_instances(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeInstances"
    reservations = run.region_listing(acct, region, r.Ec2Instance, "ec2_instance", source,
                                      lambda: run.paginate(ec2, "describe_instances", "Reservations"))
    for reservation in reservations or []:
        for inst in reservation.get("Instances", []):
            iid = inst["InstanceId"]
            state = (inst.get("State") or {}).get("Name")
            if state != "terminated":
                acct.found(region)
            rec = r.Ec2Instance(instance_id=iid, state=state, instance_type=inst.get("InstanceType"),
                                vpc_id=inst.get("VpcId"), public_ip=inst.get("PublicIpAddress"),
                                security_groups=tuple(g["GroupId"] for g in inst.get("SecurityGroups", [])))
            res = run.resource(acct, "ec2_instance", run.arn(acct, "ec2", region, f"instance/{iid}"),
                               tag(inst, "Name") or iid, region)
            run.ok(rec, res, inst, source)


def ec2_images(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeImages"
    # Owners=['self']: without it EC2 lists every public image in the region.
    images = run.region_listing(acct, region, r.Ec2Image, "ec2_image", source,
                                lambda: list(ec2.describe_images(Owners=["self"]).get("Images", [])))
    for image in images or []:
        iid = image["ImageId"]
        acct.found(region)
        ebs = [d["Ebs"] for d in image.get("BlockDeviceMappings", []) if d.get("Ebs")]
        rec = r.Ec2Image(image_id=iid, name=image.get("Name"), state=image.get("State"),
                         public=bool(image.get("Public")),
                         encrypted_snapshots=all(bool(e.get("Encrypted")) for e in ebs) if ebs else None)
        run.ok(rec, run.resource(acct, "ec2_image", run.arn(acct, "ec2", region, f"image/{iid}", account=False),
                                 image.get("Name") or iid, region), image, source)


def ebs_volumes(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeVolumes"
    volumes = run.region_listing(acct, region, r.EbsVolume, "ebs_volume", source,
                                 lambda: run.paginate(ec2, "describe_volumes", "Volumes"))
    for vol in volumes or []:
        vid = vol["VolumeId"]
        acct.found(region)
        rec = r.EbsVolume(volume_id=vid, encrypted=bool(vol.get("Encrypted")), kms_key_id=vol.get("KmsKeyId"),
                          size_gib=vol.get("Size"), state=vol.get("State"),
                          attached_instances=tuple(a["InstanceId"] for a in vol.get("Attachments", [])
                                                   if a.get("InstanceId")))
        run.ok(rec, run.resource(acct, "ebs_volume", run.arn(acct, "ec2", region, f"volume/{vid}"),
                                 tag(vol, "Name") or vid, region), vol, source)


def ebs_snapshots(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeSnapshots"
    # OwnerIds=['self']: without it EC2 also lists every public snapshot in the region.
    snapshots = run.region_listing(acct, region, r.EbsSnapshot, "ebs_snapshot", source,
                                   lambda: run.paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]))
    for snap in snapshots or []:
        sid = snap["SnapshotId"]
        acct.found(region)
        volume = snap.get("VolumeId")
        rec = r.EbsSnapshot(snapshot_id=sid, volume_id=None if volume in (None, "vol-ffffffff") else volume,
                            encrypted=bool(snap.get("Encrypted")), start_time=iso(snap.get("StartTime")),
                            state=snap.get("State"))
        run.ok(rec, run.resource(acct, "ebs_snapshot", run.arn(acct, "ec2", region, f"snapshot/{sid}", account=False),
                                 tag(snap, "Name") or sid, region), snap, source)


def ebs_encryption_default(run: Run, acct: Account, region: str) -> None:
    source = "ec2:GetEbsEncryptionByDefault"
    res = run.region_resource(acct, region)
    resp = run.attempt(r.EbsEncryptionDefault, res, source,
                       lambda: acct.client("ec2", region).get_ebs_encryption_by_default())
    if resp is MISSING:
        return
    run.ok(r.EbsEncryptionDefault(enabled=bool(resp.get("EbsEncryptionByDefault"))), res, resp, source)


def vpcs(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeVpcs"
    found = run.region_listing(acct, region, (r.Vpc, r.VpcFlowLogs), "vpc", source,
                               lambda: run.paginate(ec2, "describe_vpcs", "Vpcs"))
    if not found:
        return
    resources = {}
    for vpc in found:
        vid = vpc["VpcId"]
        res = run.resource(acct, "vpc", run.arn(acct, "ec2", region, f"vpc/{vid}"), tag(vpc, "Name") or vid, region)
        resources[vid] = res
        run.ok(r.Vpc(vpc_id=vid, is_default=bool(vpc.get("IsDefault")), cidr=vpc.get("CidrBlock")), res, vpc, source)
    source = "ec2:DescribeFlowLogs"
    try:
        logs = run.paginate(ec2, "describe_flow_logs", "FlowLogs")
    except EXPECTED_ERRORS as exc:
        for res in resources.values():  # exactly the VPCs whose flow logs could not be read
            run.fail(r.VpcFlowLogs, res, exc, source)
        return
    for vid, res in resources.items():
        mine = [fl for fl in logs if fl.get("ResourceId") == vid]
        rec = r.VpcFlowLogs(flow_log_ids=tuple(fl.get("FlowLogId", "") for fl in mine),
                            active=any(fl.get("FlowLogStatus") == "ACTIVE" for fl in mine),
                            destinations=tuple(str(fl.get("LogDestination") or fl.get("LogGroupName") or "")
                                               for fl in mine))
        run.ok(rec, res, mine, source)


def security_groups(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeSecurityGroups"
    groups = run.region_listing(acct, region, r.SecurityGroup, "security_group", source,
                                lambda: run.paginate(ec2, "describe_security_groups", "SecurityGroups"))
    for sg in groups or []:
        rules = []
        for perm in sg.get("IpPermissions", []):
            sources = [x.get("CidrIp", "") for x in perm.get("IpRanges", [])]
            sources += [x.get("CidrIpv6", "") for x in perm.get("Ipv6Ranges", [])]
            sources += [x.get("PrefixListId", "") for x in perm.get("PrefixListIds", [])]
            sources += [x.get("GroupId", "") for x in perm.get("UserIdGroupPairs", [])]
            rules.append(r.IngressRule(protocol=str(perm.get("IpProtocol", "-1")), from_port=perm.get("FromPort"),
                                       to_port=perm.get("ToPort"), sources=tuple(s for s in sources if s)))
        gid = sg["GroupId"]
        rec = r.SecurityGroup(group_id=gid, group_name=sg.get("GroupName", gid), vpc_id=sg.get("VpcId"),
                              ingress=tuple(rules))
        run.ok(rec, run.resource(acct, "security_group", run.arn(acct, "ec2", region, f"security-group/{gid}"),
                                 sg.get("GroupName") or gid, region), sg, source)
