package main

import (
	"fmt"
	"sort"
	"strings"

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
		ctx.WithLock(gm, func() { gm.activate(ctx) })
	}
	body.Res = new(types.RestartServiceResponse)
	return body
}
