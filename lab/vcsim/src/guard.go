package main

import (
	"bytes"
	"fmt"
	"io/ioutil"
	"log"
	"net/http"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// guard sits in front of vcsim's SOAP handler and adds the checks a real vCenter makes that
// stock vcsim does not:
//   - PowerOnVM_Task of a VM whose vGPU profile its host does not offer fails.
//   - ReconfigVM_Task adding a vGPU to a VM that is not powered off fails (InvalidPowerState).
//   - Fetch of an unset property returns nothing instead of crashing the request (vcsim 0.24
//     indexes an empty missingSet in PropertyCollector.Fetch and drops the connection).
//
// The checks fail the *task*, as vCenter does, so clients see the fault from task.info.error.
type guard struct {
	next http.Handler
	gpus *gpuInventory
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != simulator.Map.Path {
		g.next.ServeHTTP(w, r)
		return
	}
	body, err := ioutil.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		g.next.ServeHTTP(w, r) // vcsim answers malformed requests itself
		return
	}

	switch method.Name {
	case "Fetch":
		g.serveFetch(w, r)
		return
	case "PowerOnVM_Task", "ReconfigVM_Task":
		if vm, ok := simulator.Map.Get(method.This).(*simulator.VirtualMachine); ok && authenticated(r) {
			if fault, msg := g.check(vm, method); fault != nil {
				log.Printf("vcsim-gpu: %s on %s refused: %s", method.Name, vm.Name, msg)
				failTask(w, vm, method.Name, fault, msg)
				return
			}
		}
	}
	g.next.ServeHTTP(w, r)
}

// authenticated reports whether the request carries a live session cookie, so that the checks
// never answer for a caller vcsim itself would turn away with NotAuthenticated.
func authenticated(r *http.Request) bool {
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return false
	}
	// A Session's view of the SessionManager lists every live session (exported API).
	view := (&simulator.Session{Registry: simulator.NewRegistry()}).Get(simulator.Map.SessionManager().Reference())
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

func (g *guard) check(vm *simulator.VirtualMachine, method *simulator.Method) (types.BaseMethodFault, string) {
	var state types.VirtualMachinePowerState
	var host *types.ManagedObjectReference
	var profiles []string
	simulator.Map.WithLock(vm, func() {
		state = vm.Runtime.PowerState
		host = vm.Runtime.Host
		if vm.Config != nil {
			for _, d := range vm.Config.Hardware.Device {
				if p := vgpuProfile(d); p != "" {
					profiles = append(profiles, p)
				}
			}
		}
	})

	switch req := method.Body.(type) {
	case *types.PowerOnVM_Task:
		if state == types.VirtualMachinePowerStatePoweredOn || len(profiles) == 0 {
			return nil, "" // vcsim's own answer is right here
		}
		target := host
		if req.Host != nil {
			target = req.Host
		}
		if target == nil {
			return nil, ""
		}
		offered, known := g.gpus.offered(*target)
		if !known {
			return nil, ""
		}
		for _, p := range profiles {
			if !oneOf(p, offered) {
				name := target.Value
				if h, ok := simulator.Map.Get(*target).(*simulator.HostSystem); ok {
					name = h.Name
				}
				msg := fmt.Sprintf("Could not power on VM %s: no graphics device on host %s offers vGPU profile %q "+
					"(offered: %s)", vm.Name, name, p, strings.Join(offered, ", "))
				if len(offered) == 0 {
					msg += "; the host's GPUs are not in sharedDirect (vGPU) mode"
				}
				return &types.GenericVmConfigFault{Reason: msg}, msg
			}
		}
	case *types.ReconfigVM_Task:
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

// failTask creates a task on vm that ends in fault and answers the call with it.
func failTask(w http.ResponseWriter, vm *simulator.VirtualMachine, method string, fault types.BaseMethodFault, msg string) {
	name := strings.TrimSuffix(method, "_Task") + "Task"
	task := simulator.CreateTask(vm, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run()
	// Task.Run puts the Go type name into localizedMessage; clients show this text instead.
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg}},
	})
	writeSOAP(w, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></%sResponse>`,
		method, ref.Value, method))
}

// serveFetch runs vcsim's Fetch and turns its crash on unset properties into an empty answer,
// which is what pyVmomi reads as None.
func (g *guard) serveFetch(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("vcsim-gpu: Fetch of an unset property (%v); answering with no value", p)
			writeSOAP(w, `<FetchResponse xmlns="urn:vim25"></FetchResponse>`)
		}
	}()
	g.next.ServeHTTP(w, r)
}
