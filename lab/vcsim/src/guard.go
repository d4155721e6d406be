package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// guard sits in front of vcsim's SOAP handler and adds the checks a real vCenter makes that
// stock vcsim does not:
//   - power-on of a VM with a vGPU (PowerOnVM_Task, PowerOnMultiVM_Task, CloneVM_Task with
//     powerOn) fails unless the rules of poweron.go hold.
//   - CloneVM_Task keeps what a real clone keeps (clone.go).
//   - ReconfigVM_Task adding a vGPU to a VM that is not powered off fails (InvalidPowerState).
//   - Fetch of an unset property returns nothing instead of a RetrievePropertiesEx answer or a
//     dropped connection (PropertyCollector.Fetch answers an unset property with the body of
//     its inner RetrievePropertiesEx call, which pyVmomi cannot read as a Fetch response).
//
// The checks fail the *task*, as vCenter does, so clients see the fault from task.info.error.
type guard struct {
	next       http.Handler
	reg        *simulator.Registry // the vim25 registry of the model
	gpus       *gpuInventory
	rebootTime time.Duration // how long a host reboot keeps the host notResponding
	toolsStart time.Duration // how long a guest takes from power-on to VMware Tools running; <0: never
}

// labSession is the session the lab's own calls into the simulator run under.
var labSession = types.UserSession{Key: "vcsim-gpu-lab", UserName: "vcsim-gpu", FullName: "vcsim-gpu"}

// newContext is a fresh simulator context for the lab's own reads and changes: a context is
// the owner of the object locks it takes, so each request of the guard gets its own.
func newContext(reg *simulator.Registry) *simulator.Context {
	return &simulator.Context{
		Context: context.Background(),
		Map:     reg,
		Session: &simulator.Session{UserSession: labSession, Registry: simulator.NewRegistry(), Map: reg},
	}
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != g.reg.Path {
		g.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		g.next.ServeHTTP(w, r) // vcsim answers malformed requests itself
		return
	}

	if method.Name == "Fetch" {
		g.serveFetch(w, r)
		return
	}
	if !g.authenticated(r) {
		g.next.ServeHTTP(w, r) // vcsim turns the caller away itself
		return
	}
	ctx := newContext(g.reg)
	switch req := method.Body.(type) {
	case *types.PowerOnVM_Task:
		if vm, ok := g.reg.Get(method.This).(*simulator.VirtualMachine); ok {
			if g.refuse(ctx, w, vm, method.Name, vm.Name)(g.place(ctx, vm, req.Host)) {
				return
			}
		}
	case *types.PowerOnMultiVM_Task:
		for _, ref := range req.Vm {
			if vm, ok := g.reg.Get(ref).(*simulator.VirtualMachine); ok {
				dc := g.reg.Get(method.This)
				if dc != nil && g.refuse(ctx, w, dc, method.Name, vm.Name)(g.place(ctx, vm, nil)) {
					return
				}
			}
		}
	case *types.ReconfigVM_Task:
		if vm, ok := g.reg.Get(method.This).(*simulator.VirtualMachine); ok {
			if g.refuse(ctx, w, vm, method.Name, vm.Name)(g.checkReconfigure(ctx, vm, req)) {
				return
			}
		}
	case *types.EnterMaintenanceMode_Task:
		if host, ok := g.reg.Get(method.This).(*simulator.HostSystem); ok && g.serveEnterMaintenance(ctx, w, host) {
			return
		}
	case *types.RebootHost_Task:
		if host, ok := g.reg.Get(method.This).(*simulator.HostSystem); ok {
			g.serveReboot(ctx, w, host, req)
			return
		}
	case *types.CloneVM_Task:
		if vm, ok := g.reg.Get(method.This).(*simulator.VirtualMachine); ok {
			g.serveClone(ctx, w, r, vm, req)
			return
		}
	}
	if strings.HasSuffix(method.Name, "_Task") {
		g.serveTask(ctx, w, r, method.Name, method.This)
		return
	}
	g.next.ServeHTTP(w, r)
}

// serveTask runs a *_Task method and names its task by the method, as vCenter does
// (TaskInfo.name is the WSDL method name, "PowerOnVM_Task"; vcsim puts "PowerOn" there, which
// pyVmomi cannot resolve while the task runs). A VM powered on boots its guest (bootGuest).
func (g *guard) serveTask(ctx *simulator.Context, w http.ResponseWriter, r *http.Request, method string, this types.ManagedObjectReference) {
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	if task := g.answeredTask(rec.Body.Bytes()); task != nil {
		ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{{Name: "info.name", Val: method}})
		if vm, ok := g.reg.Get(this).(*simulator.VirtualMachine); ok {
			// A VM task may change which GPUs hold which VMs: answered once that is published.
			task.Wait()
			g.gpus.republish(ctx)
			if method == "PowerOnVM_Task" {
				go g.bootGuest(vm)
			}
		} else if method == "PowerOnMultiVM_Task" || method == "EnterMaintenanceMode_Task" {
			task.Wait()
			g.gpus.republish(ctx)
		}
	}
	copyResponse(w, rec)
}

// refuse returns a function that, given a check's result, answers the call with a failed task
// and reports true when the check found a fault.
func (g *guard) refuse(ctx *simulator.Context, w http.ResponseWriter, on mo.Reference, method, name string) func(types.BaseMethodFault, string) bool {
	return func(fault types.BaseMethodFault, msg string) bool {
		if fault == nil {
			return false
		}
		log.Printf("vcsim-gpu: %s of %s refused: %s", method, name, msg)
		failTask(ctx, w, on, method, fault, msg)
		return true
	}
}

// authenticated reports whether the request carries a live session cookie, so that the checks
// never answer for a caller vcsim itself would turn away with NotAuthenticated.
func (g *guard) authenticated(r *http.Request) bool {
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return false
	}
	// A Session's view of the SessionManager lists every live session (exported API).
	view := (&simulator.Session{Registry: simulator.NewRegistry(), Map: g.reg}).Get(g.reg.SessionManager().Reference())
	for _, s := range view.(*simulator.SessionManager).SessionList {
		if s.Key == cookie.Value {
			return true
		}
	}
	return false
}

// vgpuProfile returns the profile of a vGPU device, or "" for any other device.
func vgpuProfile(device types.BaseVirtualDevice) string {
	if pci, ok := device.(*types.VirtualPCIPassthrough); ok {
		if b, ok := pci.Backing.(*types.VirtualPCIPassthroughVmiopBackingInfo); ok {
			return b.Vgpu
		}
	}
	return ""
}

// checkReconfigure refuses adding a vGPU to a VM that is not powered off.
func (g *guard) checkReconfigure(ctx *simulator.Context, vm *simulator.VirtualMachine, req *types.ReconfigVM_Task) (types.BaseMethodFault, string) {
	state := shapeOf(ctx, vm).powerState
	if state == types.VirtualMachinePowerStatePoweredOff {
		return nil, ""
	}
	for _, change := range req.Spec.DeviceChange {
		spec := change.GetVirtualDeviceConfigSpec()
		if spec.Operation != types.VirtualDeviceConfigSpecOperationAdd {
			continue
		}
		if p := vgpuProfile(spec.Device); p != "" {
			msg := fmt.Sprintf("vGPU %q can only be added to VM %s while it is powered off (it is %s)", p, vm.Name, state)
			return &types.InvalidPowerState{
				RequestedState: types.VirtualMachinePowerStatePoweredOff,
				ExistingState:  state,
			}, msg
		}
	}
	return nil, ""
}

const soapEnvelope = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ` +
	`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
	`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`

func writeSOAP(w http.ResponseWriter, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, soapEnvelope, inner)
}

// failTask creates a task on obj that ends in fault and answers the call with it.
func failTask(ctx *simulator.Context, w http.ResponseWriter, obj mo.Reference, method string, fault types.BaseMethodFault, msg string) {
	name := strings.TrimSuffix(method, "_Task") + "Task"
	task := simulator.CreateTask(obj, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run(ctx)
	task.Wait() // tasks run in the background; the answer goes out once this one has failed
	// Task.Run puts the Go type name into localizedMessage; clients show this text instead.
	setTaskError(ctx, task, fault, msg)
	writeSOAP(w, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></%sResponse>`,
		method, ref.Value, method))
}

func setTaskError(ctx *simulator.Context, task *simulator.Task, fault types.BaseMethodFault, msg string) {
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.result", Val: nil},
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg}},
	})
}

// serveFetch runs vcsim's Fetch and answers an unset property with an empty FetchResponse,
// which is what pyVmomi reads as None (vcsim answers it with its inner RetrievePropertiesEx
// body, or panics on an empty result).
func (g *guard) serveFetch(w http.ResponseWriter, r *http.Request) {
	empty := func(why any) {
		log.Printf("vcsim-gpu: Fetch of an unset property (%v); answering with no value", why)
		writeSOAP(w, `<FetchResponse xmlns="urn:vim25"></FetchResponse>`)
	}
	defer func() {
		if p := recover(); p != nil {
			empty(p)
		}
	}()
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte("<FetchResponse")) {
		empty("no FetchResponse")
		return
	}
	copyResponse(w, rec)
}

// copyResponse sends a recorded answer on.
func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// bootGuest is the guest coming up after a power-on: after toolsStart VMware Tools runs and
// the heartbeat is green (vcsim reports tools "not running" for every VM that is not a
// container). Nothing happens when the lab's guests have no tools (toolsStart < 0) or the VM
// is no longer powered on.
func (g *guard) bootGuest(vm *simulator.VirtualMachine) {
	if g.toolsStart < 0 {
		return
	}
	time.Sleep(g.toolsStart)
	ctx := newContext(g.reg)
	ctx.WithLock(vm, func() {
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			return
		}
		ctx.Update(vm, []types.PropertyChange{
			{Name: "guest.toolsRunningStatus", Val: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
			{Name: "guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsOk},
			{Name: "guest.guestState", Val: "running"},
			{Name: "guestHeartbeatStatus", Val: types.ManagedEntityStatusGreen},
			{Name: "summary.quickStats.guestHeartbeatStatus", Val: types.ManagedEntityStatusGreen},
		})
	})
}
