package main

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// Base image shape: a small Linux guest, like the Ubuntu VM the white paper prepares by hand.
const (
	baseGuestID  = "ubuntu64Guest"
	baseCPUs     = 2
	baseMemoryMB = 4096
	baseDiskGB   = 40
	baseNetwork  = "VM Network"
)

// createBaseImage creates the powered-off VM that templates are cloned from, with one
// paravirtual SCSI disk and one vmxnet3 NIC, in the cluster's root resource pool.
func createBaseImage(ctx context.Context, c *vim25.Client, name, version, firmware string) error {
	finder := find.NewFinder(c, false)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	pool, err := finder.DefaultResourcePool(ctx)
	if err != nil {
		return err
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		return err
	}
	network, err := finder.Network(ctx, baseNetwork)
	if err != nil {
		return err
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}

	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(),
		ds.Path(fmt.Sprintf("%s/%s.vmdk", name, name)))
	disk.CapacityInKB = baseDiskGB << 20
	nic, err := object.EthernetCardTypes().CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return err
	}
	devices = append(devices, disk, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}

	spec := types.VirtualMachineConfigSpec{
		Name:         name,
		GuestId:      baseGuestID,
		NumCPUs:      baseCPUs,
		MemoryMB:     baseMemoryMB,
		Version:      version,
		Firmware:     firmware,
		Files:        &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", ds.Name())},
		DeviceChange: changes,
	}
	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, nil)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}
