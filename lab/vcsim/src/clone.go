package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// serveClone runs vcsim's CloneVM_Task (it runs to completion within the call) and then makes
// the clone what vCenter makes: a copy of the source's firmware, hardware version, memory
// reservation and advanced settings (vcsim 0.24 drops them), with the clone spec's own config
// (annotation, firmware, reservation) on top; with spec.powerOn the clone is powered on under the same rules as PowerOnVM_Task,
// and a refusal fails the task (the powered-off clone stays, as on vCenter).
func (g *guard) serveClone(w http.ResponseWriter, r *http.Request, src *simulator.VirtualMachine, req *types.CloneVM_Task) {
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	defer func() {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}()

	task := answeredTask(rec.Body.Bytes())
	if task == nil || task.Info.State != types.TaskInfoStateSuccess {
		return
	}
	ref, ok := task.Info.Result.(types.ManagedObjectReference)
	if !ok {
		return
	}
	clone, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	keepSourceConfig(src, clone, req.Spec.Config)
	if !req.Spec.PowerOn || req.Spec.Template {
		return
	}
	shape := shapeOf(clone)
	target := shape.host
	if req.Spec.Location.Host != nil {
		target = req.Spec.Location.Host
	}
	if fault, msg := g.checkPowerOn(shape, target); fault != nil {
		setTaskError(task, fault, msg)
		return
	}
	simulator.Map.Update(clone, []types.PropertyChange{
		{Name: "runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOn},
		{Name: "summary.runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOn},
	})
}

var taskInResponse = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

// answeredTask is the task a *_Task call answered with, read from its SOAP response.
func answeredTask(body []byte) *simulator.Task {
	m := taskInResponse.FindSubmatch(body)
	if m == nil {
		return nil
	}
	task, _ := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	return task
}

func keepSourceConfig(src, clone *simulator.VirtualMachine, spec *types.VirtualMachineConfigSpec) {
	var firmware, version string
	var locked *bool
	var alloc *types.ResourceAllocationInfo
	var extra []types.BaseOptionValue
	simulator.Map.WithLock(src, func() {
		firmware, version = src.Config.Firmware, src.Config.Version
		locked = src.Config.MemoryReservationLockedToMax
		if src.Config.MemoryAllocation != nil {
			copied := *src.Config.MemoryAllocation
			alloc = &copied
		}
		extra = append(extra, src.Config.ExtraConfig...)
	})
	simulator.Map.WithLock(clone, func() {
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
