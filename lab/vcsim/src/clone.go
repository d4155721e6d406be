package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// serveClone runs vcsim's CloneVM_Task, waits for it (vcsim runs tasks in the background) and
// then makes the clone what vCenter makes: a copy of the source's firmware, hardware version,
// memory reservation and advanced settings (vcsim drops them), with the clone spec's own config
// (annotation, firmware, reservation) on top. With spec.powerOn (which vcsim ignores) the clone
// is powered on under the same rules as PowerOnVM_Task, and a refusal fails the task (the
// powered-off clone stays, as on vCenter). The answer goes out once the task has ended.
func (g *guard) serveClone(ctx *simulator.Context, w http.ResponseWriter, r *http.Request, src *simulator.VirtualMachine, req *types.CloneVM_Task) {
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	defer copyResponse(w, rec)

	task := g.answeredTask(rec.Body.Bytes())
	if task == nil {
		return
	}
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{{Name: "info.name", Val: "CloneVM_Task"}})
	task.Wait()
	var state types.TaskInfoState
	var result types.AnyType
	ctx.WithLock(task, func() { state, result = task.Info.State, task.Info.Result })
	if state != types.TaskInfoStateSuccess {
		return
	}
	ref, ok := result.(types.ManagedObjectReference)
	if !ok {
		return
	}
	clone, ok := g.reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	keepSourceConfig(ctx, src, clone, req.Spec.Config)
	if !req.Spec.PowerOn || req.Spec.Template {
		return
	}
	if fault, msg := g.place(ctx, clone, req.Spec.Location.Host); fault != nil {
		setTaskError(ctx, task, fault, msg)
		return
	}
	if fault := powerOn(ctx, clone); fault != nil {
		setTaskError(ctx, task, fault.Fault, fault.LocalizedMessage)
		return
	}
	g.gpus.republish(ctx)
	go g.bootGuest(clone)
}

// powerOn runs vcsim's own power-on of vm to its end; the fault of a failed one, else nil.
func powerOn(ctx *simulator.Context, vm *simulator.VirtualMachine) *types.LocalizedMethodFault {
	var res any
	ctx.WithLock(vm, func() {
		res = vm.PowerOnVMTask(ctx, &types.PowerOnVM_Task{This: vm.Self})
	})
	body := res.(*methods.PowerOnVM_TaskBody)
	if body.Fault_ != nil {
		fault, _ := body.Fault_.VimFault().(types.BaseMethodFault)
		if fault == nil {
			fault = &types.InvalidState{}
		}
		return &types.LocalizedMethodFault{Fault: fault, LocalizedMessage: body.Fault_.String}
	}
	task, ok := ctx.Map.Get(body.Res.Returnval).(*simulator.Task)
	if !ok {
		return nil
	}
	task.Wait()
	var fault *types.LocalizedMethodFault
	ctx.WithLock(task, func() { fault = task.Info.Error })
	return fault
}

var taskInResponse = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

// answeredTask is the task a *_Task call answered with, read from its SOAP response.
func (g *guard) answeredTask(body []byte) *simulator.Task {
	m := taskInResponse.FindSubmatch(body)
	if m == nil {
		return nil
	}
	task, _ := g.reg.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	return task
}

func keepSourceConfig(ctx *simulator.Context, src, clone *simulator.VirtualMachine, spec *types.VirtualMachineConfigSpec) {
	var firmware, version string
	var locked *bool
	var alloc *types.ResourceAllocationInfo
	var extra []types.BaseOptionValue
	ctx.WithLock(src, func() {
		firmware, version = src.Config.Firmware, src.Config.Version
		locked = src.Config.MemoryReservationLockedToMax
		if src.Config.MemoryAllocation != nil {
			copied := *src.Config.MemoryAllocation
			alloc = &copied
		}
		extra = append(extra, src.Config.ExtraConfig...)
	})
	ctx.WithLock(clone, func() {
		c := clone.Config
		c.Firmware, c.Version = firmware, version
		c.MemoryReservationLockedToMax = locked
		c.MemoryAllocation = alloc
		merged := map[string]int{}
		for i, o := range c.ExtraConfig {
			merged[o.GetOptionValue().Key] = i
		}
		for _, o := range extra {
			if _, set := merged[o.GetOptionValue().Key]; !set {
				c.ExtraConfig = append(c.ExtraConfig, o)
			}
		}
		if spec != nil {
			if spec.Annotation != "" {
				c.Annotation = spec.Annotation
			}
			if spec.Firmware != "" {
				c.Firmware = spec.Firmware
			}
			if spec.MemoryReservationLockedToMax != nil {
				c.MemoryReservationLockedToMax = spec.MemoryReservationLockedToMax
			}
			if spec.MemoryAllocation != nil {
				c.MemoryAllocation = spec.MemoryAllocation
			}
		}
	})
}
