package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// hotMigrateSetting is the vCenter advanced setting that lets vCenter migrate powered-on VMs
// with vGPUs (vMotion of vGPU VMs), and so lets DRS evacuate them for maintenance mode
// (docs/vsphere-vgpu.md, "Maintenance mode").
const hotMigrateSetting = "vgpu.hotmigrate.enabled"

// hotMigrate reports whether vCenter's vgpu.hotmigrate.enabled is set to true.
func hotMigrate(ctx *simulator.Context) bool {
	opt := ctx.Map.OptionManager()
	enabled := false
	ctx.WithLock(opt, func() {
		for _, o := range opt.Setting {
			if v := o.GetOptionValue(); v.Key == hotMigrateSetting {
				enabled = strings.EqualFold(fmt.Sprint(v.Value), "true")
			}
		}
	})
	return enabled
}

// setHotMigrate adds the setting to vCenter's OptionManager ("" leaves it absent, as on a
// vCenter where nobody set it).
func setHotMigrate(reg *simulator.Registry, value string) {
	if value == "" {
		return
	}
	opt := reg.OptionManager()
	opt.Setting = append(opt.Setting, &types.OptionValue{Key: hotMigrateSetting, Value: value})
}

// serveEnterMaintenance evacuates the host's powered-on VMs the way DRS does before vcsim sets
// the flag: each moves to another host of the cluster that can run it. A VM with a vGPU moves
// only when vgpu.hotmigrate.enabled is true; a VM that cannot move fails the task, naming it.
func (g *guard) serveEnterMaintenance(ctx *simulator.Context, w http.ResponseWriter, host *simulator.HostSystem) bool {
	var running []*simulator.VirtualMachine
	for _, e := range ctx.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		shape := shapeOf(ctx, vm)
		if shape.host != nil && *shape.host == host.Self && shape.powerState == types.VirtualMachinePowerStatePoweredOn {
			running = append(running, vm)
		}
	}
	for _, vm := range running {
		shape := shapeOf(ctx, vm)
		if len(shape.profiles) > 0 && !hotMigrate(ctx) {
			msg := fmt.Sprintf("host %s cannot enter maintenance mode: VM %s has a vGPU (%s) and vCenter "+
				"does not migrate powered-on vGPU VMs (advanced setting %s is not true)",
				host.Name, shape.name, strings.Join(shape.profiles, ", "), hotMigrateSetting)
			failTask(ctx, w, host, "EnterMaintenanceMode_Task", &types.InvalidState{}, msg)
			return true
		}
		if !g.evacuate(ctx, vm, shape, host) {
			msg := fmt.Sprintf("host %s cannot enter maintenance mode: no other host of its cluster can run VM %s",
				host.Name, shape.name)
			failTask(ctx, w, host, "EnterMaintenanceMode_Task", &types.InsufficientResourcesFault{}, msg)
			return true
		}
	}
	return false
}

// evacuate moves a powered-on VM to the first other connected host of the cluster, not in
// maintenance mode, that could power it on (a live migration).
func (g *guard) evacuate(ctx *simulator.Context, vm *simulator.VirtualMachine, shape vmShape, from *simulator.HostSystem) bool {
	off := shape
	off.powerState = types.VirtualMachinePowerStatePoweredOff // placed as if it powered on there
	for _, h := range clusterPeers(ctx, from) {
		ref := h.Self
		if fault, _ := g.checkPowerOn(ctx, off, &ref); fault == nil {
			moveVM(ctx, vm, from, h)
			return true
		}
	}
	return false
}

// serveReboot runs RebootHost_Task, which vcsim lacks. As on ESXi, a host reboots only in
// maintenance mode unless forced, and a forced reboot is refused while VMs run (the lab never
// kills VMs). The task ends when the reboot starts; the host is notResponding for
// rebootSeconds, then connected again with every GPU running its configured graphics type.
func (g *guard) serveReboot(ctx *simulator.Context, w http.ResponseWriter, host *simulator.HostSystem, req *types.RebootHost_Task) {
	var inMM bool
	ctx.WithLock(host, func() { inMM = host.Runtime.InMaintenanceMode })
	if !inMM && !req.Force {
		failTask(ctx, w, host, "RebootHost_Task", &types.InvalidState{},
			fmt.Sprintf("host %s is not in maintenance mode: enter maintenance mode before rebooting it", host.Name))
		return
	}
	if running := poweredOnVMs(ctx, host.Self); len(running) > 0 {
		failTask(ctx, w, host, "RebootHost_Task", &types.InvalidState{},
			fmt.Sprintf("host %s still runs VMs: %s", host.Name, strings.Join(running, ", ")))
		return
	}
	setConnection(ctx, host, types.HostSystemConnectionStateNotResponding)
	go func() {
		time.Sleep(g.rebootTime)
		c := newContext(g.reg)
		if gm, ok := g.gpus.manager(host.Self); ok {
			c.WithLock(gm, func() { gm.boot(c) })
		}
		setConnection(c, host, types.HostSystemConnectionStateConnected)
		now := time.Now()
		c.WithLock(host, func() {
			c.Update(host, []types.PropertyChange{{Name: "runtime.bootTime", Val: now}})
		})
	}()
	task := simulator.CreateTask(host, "rebootHost", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, nil
	})
	ref := task.Run(ctx)
	task.Wait()
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{{Name: "info.name", Val: "RebootHost_Task"}})
	writeSOAP(w, fmt.Sprintf(`<RebootHost_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></RebootHost_TaskResponse>`, ref.Value))
}

func setConnection(ctx *simulator.Context, host *simulator.HostSystem, state types.HostSystemConnectionState) {
	ctx.WithLock(host, func() {
		ctx.Update(host, []types.PropertyChange{
			{Name: "runtime.connectionState", Val: state},
			{Name: "summary.runtime.connectionState", Val: state},
		})
	})
}
