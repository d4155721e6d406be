package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	nvidiaVendorID   = 0x10DE
	nvidiaVendorName = "NVIDIA Corporation"
	nvidiaSubDevice  = 0x118F // any non-zero value: govc counts a GPU only when subDeviceId != 0
	pci3DController  = 0x0302

	graphicsShared       = "shared"       // vSGA
	graphicsSharedDirect = "sharedDirect" // vendor vGPU (esxcli "SharedPassthru")
)

// PCI buses of the GPU slots in a typical 2-socket GPU server, in slot order.
var gpuBuses = []byte{0x3b, 0x5e, 0x86, 0xaf, 0xd8, 0x18, 0x3c, 0x5f}

var (
	validHostGraphicsTypes = []string{graphicsShared, graphicsSharedDirect}
	validAssignmentPolicy  = []string{"performance", "consolidation"}
)

// profileSpec is one vGPU type the host driver offers, as the hosts spell it, with the catalog
// figures the lab enforces: frame buffer (large-BAR rules) and vGPUs per GPU (slots).
type profileSpec struct {
	name        string
	framebuffer int  // GB; 0 when unknown (no large-BAR rule)
	maxPerGPU   int  // 0 when unknown (no slot limit)
	mig         bool // MIG-backed: runs only on a GPU in MIG mode (time-sliced ones only outside it)
}

// vgpuMode values of HostGraphicsInfo (API 8.0.3, HostGraphicsInfoVgpuMode in pyVmomi and
// govmomi): "sameSize" (every vGPU of a GPU the same type, the lab's time-sliced mode) and
// "multiInstanceGpu" (MIG-backed vGPUs on a GPU in MIG mode).
const (
	vgpuModeSameSize = "sameSize"
	vgpuModeMIG      = "multiInstanceGpu"
)

// largeBAR: profiles whose mapping needs 64-bit MMIO and EFI firmware (docs/vsphere-vgpu.md,
// "VM prerequisites"): compute (C-series) types and frame buffers of 16 GB or more.
func (p profileSpec) largeBAR() bool {
	name := strings.TrimSuffix(p.name, "me")
	return p.framebuffer >= 16 || strings.HasSuffix(name, "c")
}

// parseProfile reads "name" or "name:framebufferGB:maxPerGPU[:mig]".
func parseProfile(text string) (profileSpec, error) {
	parts := strings.Split(text, ":")
	spec := profileSpec{name: parts[0]}
	if len(parts) == 1 {
		return spec, nil
	}
	if len(parts) == 4 && parts[3] == "mig" {
		spec.mig = true
		parts = parts[:3]
	}
	if len(parts) != 3 {
		return spec, fmt.Errorf("profile %q: expected name or name:framebufferGB:maxPerGPU[:mig]", text)
	}
	if _, err := fmt.Sscan(parts[1], &spec.framebuffer); err != nil || spec.framebuffer < 0 {
		return spec, fmt.Errorf("profile %q: bad frame buffer", text)
	}
	if _, err := fmt.Sscan(parts[2], &spec.maxPerGPU); err != nil || spec.maxPerGPU < 0 {
		return spec, fmt.Errorf("profile %q: bad vGPUs per GPU", text)
	}
	return spec, nil
}

// gpuInventory holds the GPU model every host carries and each host's graphics manager.
type gpuInventory struct {
	device   string
	deviceID int16
	perHost  int
	fbKB     int64
	profiles []profileSpec

	reg     *simulator.Registry
	release apiRelease
	// reportedFb: frame buffers (GB) the hosts report for some profiles instead of the
	// catalog's, to make a host disagree with the catalog.
	reportedFb map[string]int
	mu         sync.Mutex
	managers   map[types.ManagedObjectReference]*GraphicsManager // by host
}

func newGpuInventory(reg *simulator.Registry, o *options) *gpuInventory {
	return &gpuInventory{
		reg:        reg,
		release:    o.api,
		reportedFb: o.reportedFb,
		device:     o.gpuDevice,
		deviceID:   int16(uint16(o.gpuDeviceID)), // the API's PCI ids are signed 16-bit
		perHost:    o.gpusPerHost,
		fbKB:       int64(o.gpuFbMB) * 1024,
		profiles:   o.profiles,
		managers:   make(map[types.ManagedObjectReference]*GraphicsManager),
	}
}

func pciID(slot int) string { return fmt.Sprintf("0000:%02x:00.0", gpuBuses[slot]) }

// attach gives host h its GPUs (PCI devices) and a HostGraphicsManager.
func (inv *gpuInventory) attach(ctx *simulator.Context, h *simulator.HostSystem, driver bool, mig []bool, rebootOnly bool) {
	devices := append([]types.HostPciDevice(nil), h.Hardware.PciDevice...)
	for i := 0; i < inv.perHost; i++ {
		devices = append(devices, types.HostPciDevice{
			Id:          pciID(i),
			ClassId:     pci3DController,
			Bus:         gpuBuses[i],
			VendorId:    nvidiaVendorID,
			SubVendorId: nvidiaVendorID,
			VendorName:  nvidiaVendorName,
			DeviceId:    inv.deviceID,
			SubDeviceId: nvidiaSubDevice,
			DeviceName:  inv.device,
		})
	}
	h.Hardware.PciDevice = devices

	gm := &GraphicsManager{host: h, inv: inv, driver: driver, active: make([]string, inv.perHost), mig: mig, rebootOnly: rebootOnly}
	for i := range gm.active {
		gm.active[i] = graphicsShared // ESXi's factory default, running since boot
	}
	gm.Self = types.ManagedObjectReference{Type: "HostGraphicsManager", Value: "graphicsManager-" + h.Self.Value}
	gm.GraphicsConfig = &types.HostGraphicsConfig{
		HostDefaultGraphicsType:        graphicsShared, // ESXi's factory default
		SharedPassthruAssignmentPolicy: "performance",
	}
	gm.publish(ctx)
	inv.reg.Put(gm)
	h.ConfigManager.GraphicsManager = &gm.Self

	inv.mu.Lock()
	inv.managers[h.Self] = gm
	inv.mu.Unlock()
}

// offered returns the vGPU profiles host currently offers, and whether the host is known.
func (inv *gpuInventory) offered(ctx *simulator.Context, host types.ManagedObjectReference) ([]string, bool) {
	inv.mu.Lock()
	gm, ok := inv.managers[host]
	inv.mu.Unlock()
	if !ok {
		return nil, false
	}
	var profiles []string
	ctx.WithLock(gm, func() {
		profiles = append(profiles, gm.SharedPassthruGpuTypes...)
	})
	return profiles, true
}

// vgpuGPUs is how many of host's GPUs run vGPU (active type sharedDirect) in MIG mode (mig) or
// outside it: MIG-backed and time-sliced vGPUs each need a GPU of their own mode.
func (inv *gpuInventory) vgpuGPUs(ctx *simulator.Context, host types.ManagedObjectReference, mig bool) int {
	inv.mu.Lock()
	gm, ok := inv.managers[host]
	inv.mu.Unlock()
	n := 0
	if ok {
		ctx.WithLock(gm, func() {
			for i, t := range gm.active {
				if t == graphicsSharedDirect && gm.mig[i] == mig {
					n++
				}
			}
		})
	}
	return n
}

// spec is the catalog figures of an offered profile (exact spelling), if the lab knows them.
func (inv *gpuInventory) spec(name string) (profileSpec, bool) {
	for _, p := range inv.profiles {
		if p.name == name {
			return p, true
		}
	}
	return profileSpec{}, false
}

// republish derives every host's graphicsInfo again, after VMs powered on or off or moved.
func (inv *gpuInventory) republish(ctx *simulator.Context) {
	inv.mu.Lock()
	managers := make([]*GraphicsManager, 0, len(inv.managers))
	for _, gm := range inv.managers {
		managers = append(managers, gm)
	}
	inv.mu.Unlock()
	for _, gm := range managers {
		ctx.WithLock(gm, func() { gm.publish(ctx) })
	}
}

// holders assigns the powered-on vGPU VMs of the host to its GPUs, as equal-size placement does:
// a vGPU goes to the first GPU of its mode (MIG or not) already running its type with room,
// else to the first empty GPU of that mode. Callers hold gm's lock.
func (gm *GraphicsManager) holders(ctx *simulator.Context) [][]types.ManagedObjectReference {
	held := make([][]types.ManagedObjectReference, gm.inv.perHost)
	kind := make([]string, gm.inv.perHost)
	count := make([]int, gm.inv.perHost)
	var vms []vmShape
	refs := map[string]types.ManagedObjectReference{}
	for _, e := range ctx.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		s := shapeOf(ctx, vm)
		if s.host != nil && *s.host == gm.host.Self && s.powerState == types.VirtualMachinePowerStatePoweredOn && len(s.profiles) > 0 {
			vms = append(vms, s)
			refs[s.name] = vm.Self
		}
	}
	sort.Slice(vms, func(i, j int) bool { return vms[i].name < vms[j].name })
	for _, vm := range vms {
		for _, p := range vm.profiles {
			spec, _ := gm.inv.spec(p)
			slot := -1
			for i := range held {
				fits := gm.active[i] == graphicsSharedDirect && gm.mig[i] == spec.mig
				if fits && kind[i] == p && (spec.maxPerGPU == 0 || count[i] < spec.maxPerGPU) {
					slot = i
					break
				}
				if fits && kind[i] == "" && slot < 0 {
					slot = i
				}
			}
			if slot < 0 {
				continue // over-committed (cannot happen through the power-on rules)
			}
			kind[slot] = p
			count[slot]++
			if n := len(held[slot]); n == 0 || held[slot][n-1] != refs[vm.name] {
				held[slot] = append(held[slot], refs[vm.name])
			}
		}
	}
	return held
}

// manager is host's graphics manager, if host is a GPU host of this lab.
func (inv *gpuInventory) manager(host types.ManagedObjectReference) (*GraphicsManager, bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	gm, ok := inv.managers[host]
	return gm, ok
}

// GraphicsManager is a HostGraphicsManager for one simulated GPU host.
//
// ESXi keeps two graphics types per GPU: the configured one (graphicsConfig, changed by
// UpdateGraphicsConfig) and the active one (graphicsInfo[].graphicsType), which follows the
// configured one only when the X.Org service restarts or the host reboots
// (docs/vsphere-vgpu.md, "Host changes that take effect"). The lab keeps both.
type GraphicsManager struct {
	mo.HostGraphicsManager
	host   *simulator.HostSystem
	inv    *gpuInventory
	driver bool     // the NVIDIA vGPU Manager is installed (without it no profile is offered)
	active []string // active graphics type per GPU slot
	mig    []bool   // MIG mode per GPU slot (set on the host with nvidia-smi, not through vSphere)
	// rebootOnly: the host (ESXi 7.0 U1+, Broadcom KB 318047) activates a changed graphics
	// type only on reboot; an X.Org restart leaves the active type as it was.
	rebootOnly bool
}

// boot is what a host reboot does to the GPUs: each runs its configured type. Callers hold
// gm's lock.
func (gm *GraphicsManager) boot(ctx *simulator.Context) {
	for i := range gm.active {
		gm.active[i] = gm.effectiveType(pciID(i))
	}
	gm.publish(ctx)
}

// restartXorg is what an X.Org restart does: every GPU runs its configured type, except on a
// reboot-only host, where nothing changes. Callers hold gm's lock.
func (gm *GraphicsManager) restartXorg(ctx *simulator.Context) {
	if !gm.rebootOnly {
		gm.boot(ctx)
	}
}

// effectiveType is the graphics type of the GPU at pciId: a per-device override, or the host default.
func (gm *GraphicsManager) effectiveType(pciId string) string {
	for _, d := range gm.GraphicsConfig.DeviceType {
		if d.DeviceId == pciId {
			return d.GraphicsType
		}
	}
	return gm.GraphicsConfig.HostDefaultGraphicsType
}

// publish derives graphicsInfo and sharedPassthruGpuTypes from the active types and copies them,
// with the configured graphicsConfig, into the manager and host.config. Callers hold gm's lock.
//
// Uncertain (docs/vsphere-vgpu.md, "Open questions"): whether a real host lists its vGPU
// profiles while no GPU runs in sharedDirect mode. The lab takes the strict reading and lists
// them only while a GPU is active in sharedDirect; the product switches the host first and
// reads the list afterwards, which works either way. The power-on checks use the same list.
func (gm *GraphicsManager) publish(ctx *simulator.Context) {
	var info []types.HostGraphicsInfo
	modes := map[bool]bool{} // MIG mode -> some GPU in that mode runs vGPU
	held := gm.holders(ctx)
	for i := 0; i < gm.inv.perHost; i++ {
		t := gm.active[i]
		g := types.HostGraphicsInfo{
			DeviceName:     gm.inv.device,
			VendorName:     nvidiaVendorName,
			PciId:          pciID(i),
			GraphicsType:   t,
			MemorySizeInKB: gm.inv.fbKB,
			Vm:             held[i], // the VMs holding this GPU (API 5.5)
		}
		if t == graphicsSharedDirect {
			modes[gm.mig[i]] = true
			// vgpuMode exists from API 8.0.3 on: a 6.5 client could not parse it.
			if gm.inv.release.atLeast("8.0.3.0") {
				g.VgpuMode = vgpuModeSameSize
				if gm.mig[i] {
					g.VgpuMode = vgpuModeMIG
				}
			}
		}
		info = append(info, g)
	}
	// A GPU in MIG mode offers the MIG-backed types, one outside it the time-sliced ones
	// (docs/vsphere-vgpu.md, "MIG"); the host lists what its vGPU GPUs offer together.
	var profiles []string
	if gm.driver {
		for _, p := range gm.inv.profiles {
			if modes[p.mig] {
				profiles = append(profiles, p.name)
			}
		}
	}
	// sharedGpuCapabilities (API 6.7) stays unset (lab/vcsim/README.md, "Known gaps").
	gm.GraphicsInfo = info
	gm.SharedPassthruGpuTypes = profiles

	config := *gm.GraphicsConfig
	config.DeviceType = append([]types.HostGraphicsConfigDeviceType(nil), config.DeviceType...)
	host := gm.host
	ctx.WithLock(host, func() {
		host.Config.GraphicsConfig = &config
		host.Config.GraphicsInfo = append([]types.HostGraphicsInfo(nil), info...)
		host.Config.SharedPassthruGpuTypes = append([]string(nil), profiles...)
	})
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func invalidArgument(property, msg string) *soap.Fault {
	return simulator.Fault(msg, &types.InvalidArgument{InvalidProperty: property})
}

// validate checks a HostGraphicsConfig the way the API documents its enums, before any change.
func (gm *GraphicsManager) validate(c *types.HostGraphicsConfig) *soap.Fault {
	if !oneOf(c.HostDefaultGraphicsType, validHostGraphicsTypes) {
		return invalidArgument("config.hostDefaultGraphicsType", fmt.Sprintf(
			"hostDefaultGraphicsType %q is not one of %v", c.HostDefaultGraphicsType, validHostGraphicsTypes))
	}
	if !oneOf(c.SharedPassthruAssignmentPolicy, validAssignmentPolicy) {
		return invalidArgument("config.sharedPassthruAssignmentPolicy", fmt.Sprintf(
			"sharedPassthruAssignmentPolicy %q is not one of %v", c.SharedPassthruAssignmentPolicy, validAssignmentPolicy))
	}
	for _, d := range c.DeviceType {
		known := false
		for i := 0; i < gm.inv.perHost; i++ {
			known = known || d.DeviceId == pciID(i)
		}
		if !known {
			return invalidArgument("config.deviceType.deviceId", fmt.Sprintf("no graphics device %q on this host", d.DeviceId))
		}
		if !oneOf(d.GraphicsType, validHostGraphicsTypes) {
			return invalidArgument("config.deviceType.graphicsType", fmt.Sprintf(
				"graphicsType %q of device %s is not one of %v", d.GraphicsType, d.DeviceId, validHostGraphicsTypes))
		}
	}
	return nil
}

func (gm *GraphicsManager) UpdateGraphicsConfig(ctx *simulator.Context, req *types.UpdateGraphicsConfig) soap.HasFault {
	body := new(methods.UpdateGraphicsConfigBody)
	if fault := gm.validate(&req.Config); fault != nil {
		body.Fault_ = fault
		return body
	}
	config := req.Config
	gm.GraphicsConfig = &config
	gm.publish(ctx)
	body.Res = new(types.UpdateGraphicsConfigResponse)
	return body
}

func (gm *GraphicsManager) RefreshGraphicsManager(ctx *simulator.Context, req *types.RefreshGraphicsManager) soap.HasFault {
	gm.publish(ctx)
	return &methods.RefreshGraphicsManagerBody{Res: new(types.RefreshGraphicsManagerResponse)}
}

// RetrieveVgpuProfileInfo (API 7.0.3) describes each vGPU type the host offers now: name,
// frame buffer in GiB, sharing (timeSliced or mig) and class (compute for C-series, quadro for
// the others), with the PCI vendor id in the low 16 bits of deviceVendorId and the device id
// above it. Older hosts do not have the method.
func (gm *GraphicsManager) RetrieveVgpuProfileInfo(ctx *simulator.Context, req *types.RetrieveVgpuProfileInfo) soap.HasFault {
	body := new(methods.RetrieveVgpuProfileInfoBody)
	if !gm.inv.release.atLeast("7.0.3.0") {
		body.Fault_ = simulator.Fault("RetrieveVgpuProfileInfo needs API 7.0.3", &types.MethodNotFound{Receiver: gm.Self, Method: "RetrieveVgpuProfileInfo"})
		return body
	}
	var infos []types.VirtualMachineVgpuProfileInfo
	for _, name := range gm.SharedPassthruGpuTypes {
		p, _ := gm.inv.spec(name)
		sharing, class := "timeSliced", "quadro"
		if p.mig {
			sharing = "mig"
		}
		if strings.HasSuffix(strings.TrimSuffix(name, "me"), "c") {
			class = "compute"
		}
		fb := int64(p.framebuffer)
		if reported, ok := gm.inv.reportedFb[name]; ok {
			fb = int64(reported)
		}
		infos = append(infos, types.VirtualMachineVgpuProfileInfo{
			VirtualMachineTargetInfo: types.VirtualMachineTargetInfo{Name: name},
			ProfileName:              name,
			DeviceVendorId:           int64(uint16(gm.inv.deviceID))<<16 | nvidiaVendorID,
			FbSizeInGib:              fb,
			ProfileSharing:           sharing,
			ProfileClass:             class,
		})
	}
	body.Res = &types.RetrieveVgpuProfileInfoResponse{Returnval: infos}
	return body
}

// IsSharedGraphicsActive is true when some GPU serves shared graphics (vSGA or vGPU), which on
// this lab's hosts means: the host has a GPU.
func (gm *GraphicsManager) IsSharedGraphicsActive(req *types.IsSharedGraphicsActive) soap.HasFault {
	active := false
	for _, g := range gm.GraphicsInfo {
		active = active || g.GraphicsType == graphicsShared || g.GraphicsType == graphicsSharedDirect
	}
	return &methods.IsSharedGraphicsActiveBody{Res: &types.IsSharedGraphicsActiveResponse{Returnval: active}}
}
