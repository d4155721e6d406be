package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const xorgService = "xorg"

// ServiceSystem is the HostServiceSystem vcsim lacks, with the one service the GPU hosts need:
// X.Org, whose restart makes the configured graphics type of each GPU the active one.
type ServiceSystem struct {
	mo.HostServiceSystem
	host *simulator.HostSystem
	gpus *gpuInventory
}

func addServiceSystem(reg *simulator.Registry, h *simulator.HostSystem, gpus *gpuInventory) {
	s := &ServiceSystem{host: h, gpus: gpus}
	s.Self = types.ManagedObjectReference{Type: "HostServiceSystem", Value: "serviceSystem-" + h.Self.Value}
	s.ServiceInfo = types.HostServiceInfo{Service: []types.HostService{{
		Key: xorgService, Label: "X.Org Server", Running: true, Policy: "on",
		Required: false, Uninstallable: false,
	}}}
	reg.Put(s)
	h.ConfigManager.ServiceSystem = &s.Self
}

// poweredOnVMs names the VMs running on host, sorted.
func poweredOnVMs(ctx *simulator.Context, host types.ManagedObjectReference) []string {
	var names []string
	for _, e := range ctx.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		ctx.WithLock(vm, func() {
			if vm.Runtime.Host != nil && *vm.Runtime.Host == host &&
				vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
				names = append(names, vm.Name)
			}
		})
	}
	sort.Strings(names)
	return names
}

// RestartService restarts X.Org: refused while VMs run on the host (VMware's procedure asks for
// them to be powered off, docs/vsphere-vgpu.md "Host changes that take effect"); afterwards every
// GPU runs its configured graphics type.
func (s *ServiceSystem) RestartService(ctx *simulator.Context, req *types.RestartService) soap.HasFault {
	body := new(methods.RestartServiceBody)
	if req.Id != xorgService {
		body.Fault_ = simulator.Fault(fmt.Sprintf("service %q not found on host %s", req.Id, s.host.Name), &types.NotFound{})
		return body
	}
	if running := poweredOnVMs(ctx, s.host.Self); len(running) > 0 {
		msg := fmt.Sprintf("cannot restart %s on host %s while VMs are powered on: %s",
			xorgService, s.host.Name, strings.Join(running, ", "))
		body.Fault_ = simulator.Fault(msg, &types.InvalidState{})
		return body
	}
	if gm, ok := s.gpus.manager(s.host.Self); ok {
		ctx.WithLock(gm, func() { gm.restartXorg(ctx) })
	}
	body.Res = new(types.RestartServiceResponse)
	return body
}

// The NVIDIA vGPU Manager as ESXi lists it among its installed VIBs (`esxcli software vib list`,
// HostImageConfigManager.fetchSoftwarePackages, API 6.5): one VIB per release line, its version
// the driver branch plus the ESXi build it targets (docs/vsphere-vgpu.md, "The host driver").
type vgpuManager struct {
	name    string
	vendor  string
	version string
}

// driverFor is the VIB a host of release a carries when its driver version is version.
func (a apiRelease) driverFor(version string) vgpuManager {
	if a.atLeast("8.0.0.0") {
		return vgpuManager{name: "NVD-VGPU-800", vendor: "NVD", version: version + "-1OEM.800.1.0.20613240"}
	}
	return vgpuManager{name: "NVIDIA-VMware_ESXi_6.5_Host_Driver", vendor: "NVIDIA", version: version + "-1OEM.650.0.0.4598673"}
}

// Stock VIBs every ESXi host lists, so a client looks for NVIDIA's among others.
var stockVIBs = []struct{ name, vendor string }{
	{"esx-base", "VMware"}, {"esx-ui", "VMware"}, {"vmkusb", "VMW"}, {"nvme-pcie", "VMW"},
}

// ImageConfigManager is the HostImageConfigManager vcsim lacks: it lists the host's VIBs.
type ImageConfigManager struct {
	mo.HostImageConfigManager
	host    *simulator.HostSystem
	release apiRelease
	driver  string // NVIDIA vGPU Manager version; "" = not installed
}

func addImageConfigManager(reg *simulator.Registry, h *simulator.HostSystem, release apiRelease, driver string) {
	m := &ImageConfigManager{host: h, release: release, driver: driver}
	m.Self = types.ManagedObjectReference{Type: "HostImageConfigManager", Value: "imageConfigManager-" + h.Self.Value}
	reg.Put(m)
	h.ConfigManager.ImageConfigManager = &m.Self
}

func vib(name, vendor, version, summary string, installed time.Time) types.SoftwarePackage {
	no := false
	return types.SoftwarePackage{
		Name: name, Version: version, Type: "bootbank", Vendor: vendor,
		AcceptanceLevel: "VMwareAccepted", Summary: summary, Description: summary,
		CreationDate: &installed,
		Capability:   types.SoftwarePackageCapability{LiveInstallAllowed: &no, LiveRemoveAllowed: &no},
	}
}

// FetchSoftwarePackages lists the installed VIBs: the stock ones and, when installed, the
// NVIDIA vGPU Manager.
func (m *ImageConfigManager) FetchSoftwarePackages(ctx *simulator.Context, req *types.FetchSoftwarePackages) soap.HasFault {
	installed := time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC)
	build := m.release.hostVersion + "-0.0." + m.release.hostBuild
	var packages []types.SoftwarePackage
	for _, s := range stockVIBs {
		packages = append(packages, vib(s.name, s.vendor, build, s.name+": ESXi "+m.release.hostVersion, installed))
	}
	if m.driver != "" {
		d := m.release.driverFor(m.driver)
		packages = append(packages, vib(d.name, d.vendor, d.version, "NVIDIA vGPU Manager "+m.driver, installed))
	}
	return &methods.FetchSoftwarePackagesBody{Res: &types.FetchSoftwarePackagesResponse{Returnval: packages}}
}
