package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// The power-on rules of a VM with vGPUs that ESXi and the NVIDIA vGPU manager enforce and stock
// vcsim does not (docs/vsphere-vgpu.md, "VM prerequisites" and "Slots"):
//   - virtual hardware vmx-11 or later;
//   - all guest memory reserved (memoryReservationLockedToMax, or a reservation of all of it);
//   - the host offers the VM's exact vGPU string (grid_… and nvidia_… are different strings);
//   - large-BAR profiles: pciPassthru.use64bitMMIO=TRUE with 64bitMMIOSizeGB covering the frame
//     buffer, and EFI firmware;
//   - equal-size mode: a GPU runs one vGPU type, at most maxPerGPU of them; a host has as many
//     vGPU GPUs as GPUs whose active type is sharedDirect. When none has room the power-on fails
//     with InsufficientGraphicsResourcesFault.
const minVgpuHardwareVersion = 11

// vmShape is what the power-on rules read from a VM.
type vmShape struct {
	name        string
	host        *types.ManagedObjectReference
	powerState  types.VirtualMachinePowerState
	profiles    []string
	version     string
	firmware    string
	lockedToMax bool
	reservation int64 // MB
	memoryMB    int32
	extra       map[string]string
}

func shapeOf(ctx *simulator.Context, vm *simulator.VirtualMachine) vmShape {
	var s vmShape
	ctx.WithLock(vm, func() {
		s.name = vm.Name
		s.host = vm.Runtime.Host
		s.powerState = vm.Runtime.PowerState
		if vm.Config == nil {
			return
		}
		s.version = vm.Config.Version
		s.firmware = vm.Config.Firmware
		s.lockedToMax = vm.Config.MemoryReservationLockedToMax != nil && *vm.Config.MemoryReservationLockedToMax
		if vm.Config.MemoryAllocation != nil && vm.Config.MemoryAllocation.Reservation != nil {
			s.reservation = *vm.Config.MemoryAllocation.Reservation
		}
		s.memoryMB = vm.Config.Hardware.MemoryMB
		s.extra = map[string]string{}
		for _, o := range vm.Config.ExtraConfig {
			if v := o.GetOptionValue(); v != nil {
				s.extra[v.Key] = fmt.Sprint(v.Value)
			}
		}
		for _, d := range vm.Config.Hardware.Device {
			if p := vgpuProfile(d); p != "" {
				s.profiles = append(s.profiles, p)
			}
		}
	})
	return s
}

func hostName(ctx *simulator.Context, ref types.ManagedObjectReference) string {
	if h, ok := ctx.Map.Get(ref).(*simulator.HostSystem); ok {
		return h.Name
	}
	return ref.Value
}

func configFault(msg string) (types.BaseMethodFault, string) {
	return &types.GenericVmConfigFault{Reason: msg}, msg
}

// checkPowerOn returns the fault a power-on of vm on target would end in, or nil.
func (g *guard) checkPowerOn(ctx *simulator.Context, vm vmShape, target *types.ManagedObjectReference) (types.BaseMethodFault, string) {
	if vm.powerState == types.VirtualMachinePowerStatePoweredOn || len(vm.profiles) == 0 || target == nil {
		return nil, "" // vcsim's own answer is right here
	}
	offered, known := g.gpus.offered(ctx, *target)
	if !known {
		return nil, ""
	}
	host := hostName(ctx, *target)
	if v, err := strconv.Atoi(strings.TrimPrefix(vm.version, "vmx-")); err == nil && v < minVgpuHardwareVersion {
		return configFault(fmt.Sprintf("Could not power on VM %s: a vGPU needs virtual hardware vmx-%d or later, the VM has %s",
			vm.name, minVgpuHardwareVersion, vm.version))
	}
	if !vm.lockedToMax && vm.reservation < int64(vm.memoryMB) {
		return configFault(fmt.Sprintf("Could not power on VM %s: a VM with a vGPU must reserve all of its memory "+
			"(%d MB configured, %d MB reserved, memoryReservationLockedToMax off)", vm.name, vm.memoryMB, vm.reservation))
	}
	for _, p := range vm.profiles {
		if !oneOf(p, offered) {
			msg := fmt.Sprintf("Could not power on VM %s: no graphics device on host %s offers vGPU profile %q "+
				"(offered: %s)", vm.name, host, p, strings.Join(offered, ", "))
			if len(offered) == 0 {
				msg += "; the host's GPUs are not running in sharedDirect (vGPU) mode"
			}
			return configFault(msg)
		}
		spec, _ := g.gpus.spec(p)
		if !spec.largeBAR() {
			continue
		}
		var mmioGB int
		_, _ = fmt.Sscan(vm.extra["pciPassthru.64bitMMIOSizeGB"], &mmioGB)
		if !strings.EqualFold(vm.extra["pciPassthru.use64bitMMIO"], "TRUE") || mmioGB < spec.framebuffer || mmioGB == 0 {
			return configFault(fmt.Sprintf("Module 'DevicePowerOn' power on failed: VM %s with vGPU %q needs "+
				"pciPassthru.use64bitMMIO=TRUE and pciPassthru.64bitMMIOSizeGB of at least %d (has %q / %q)",
				vm.name, p, spec.framebuffer, vm.extra["pciPassthru.use64bitMMIO"], vm.extra["pciPassthru.64bitMMIOSizeGB"]))
		}
		if vm.firmware != string(types.GuestOsDescriptorFirmwareTypeEfi) {
			return configFault(fmt.Sprintf("Module 'DevicePowerOn' power on failed: VM %s with vGPU %q must boot with "+
				"EFI firmware (has %q)", vm.name, p, vm.firmware))
		}
	}
	return g.checkSlots(ctx, vm, *target, host)
}

// place finds where vm can power on, as DRS initial placement does for a VM in a DRS cluster:
// its own host when that passes the rules, else the first other connected host of its cluster
// (by name, not in maintenance mode) that does, and moves the powered-off VM there. With an
// explicit host only that host is tried. The fault of the VM's own host when none passes.
func (g *guard) place(ctx *simulator.Context, vm *simulator.VirtualMachine, explicit *types.ManagedObjectReference) (types.BaseMethodFault, string) {
	shape := shapeOf(ctx, vm)
	if explicit != nil {
		return g.checkPowerOn(ctx, shape, explicit)
	}
	fault, msg := g.checkPowerOn(ctx, shape, shape.host)
	if fault == nil || shape.host == nil {
		return fault, msg
	}
	from, ok := ctx.Map.Get(*shape.host).(*simulator.HostSystem)
	if !ok {
		return fault, msg
	}
	for _, h := range clusterPeers(ctx, from) {
		ref := h.Self
		if f, _ := g.checkPowerOn(ctx, shape, &ref); f == nil {
			moveVM(ctx, vm, from, h)
			return nil, ""
		}
	}
	return fault, msg
}

// clusterPeers are the other hosts of from's cluster that could take a VM (connected, not in
// maintenance mode), by name; none for a standalone host.
func clusterPeers(ctx *simulator.Context, from *simulator.HostSystem) []*simulator.HostSystem {
	if from.Parent == nil || from.Parent.Type != "ClusterComputeResource" {
		return nil
	}
	var peers []*simulator.HostSystem
	for _, e := range ctx.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		ctx.WithLock(h, func() {
			if h.Self != from.Self && h.Parent != nil && *h.Parent == *from.Parent &&
				h.Runtime.ConnectionState == types.HostSystemConnectionStateConnected && !h.Runtime.InMaintenanceMode {
				peers = append(peers, h)
			}
		})
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].Name < peers[j].Name })
	return peers
}

// moveVM moves a VM from one host to another of its cluster (host.vm lists and the VM's
// runtime.host), as a migration does.
func moveVM(ctx *simulator.Context, vm *simulator.VirtualMachine, from, to *simulator.HostSystem) {
	ctx.WithLock(from, func() { ctx.Map.RemoveReference(ctx, from, &from.Vm, vm.Self) })
	ctx.WithLock(to, func() { ctx.Map.AddReference(ctx, to, &to.Vm, vm.Self) })
	ref := to.Self
	ctx.WithLock(vm, func() {
		ctx.Update(vm, []types.PropertyChange{
			{Name: "runtime.host", Val: ref},
			{Name: "summary.runtime.host", Val: ref},
		})
	})
}

// checkSlots places vm's vGPUs beside those of the VMs already running on host.
func (g *guard) checkSlots(ctx *simulator.Context, vm vmShape, host types.ManagedObjectReference, name string) (types.BaseMethodFault, string) {
	count := map[string]int{}
	for _, e := range ctx.Map.All("VirtualMachine") {
		other := shapeOf(ctx, e.(*simulator.VirtualMachine))
		if other.host == nil || *other.host != host || other.powerState != types.VirtualMachinePowerStatePoweredOn {
			continue
		}
		for _, p := range other.profiles {
			count[p]++
		}
	}
	for _, p := range vm.profiles {
		count[p]++
	}
	needed := map[bool]int{} // GPUs needed in MIG mode (true) and outside it (false)
	for p, n := range count {
		per := 1 << 30
		spec, ok := g.gpus.spec(p)
		if ok && spec.maxPerGPU > 0 {
			per = spec.maxPerGPU
		}
		needed[spec.mig] += (n + per - 1) / per
	}
	for _, mig := range []bool{false, true} {
		if have := g.gpus.vgpuGPUs(ctx, host, mig); needed[mig] > have {
			mode := "outside MIG mode"
			if mig {
				mode = "in MIG mode"
			}
			msg := fmt.Sprintf("Could not power on VM %s: insufficient graphics resources on host %s "+
				"(%d GPU(s) in vGPU mode %s, all vGPU slots of %s in use)", vm.name, name, have, mode, strings.Join(vm.profiles, ", "))
			return &types.InsufficientGraphicsResourcesFault{}, msg
		}
	}
	return nil, ""
}
