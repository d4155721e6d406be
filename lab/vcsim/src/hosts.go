package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// clusterHosts returns the simulator's HostSystem objects (all of them sit in the one cluster).
func clusterHosts(reg *simulator.Registry) []*simulator.HostSystem {
	var hosts []*simulator.HostSystem
	for _, e := range reg.All("HostSystem") {
		hosts = append(hosts, e.(*simulator.HostSystem))
	}
	return hosts
}

// sizeHost sets the CPU, NUMA and memory figures the sizing code reads. Stock vcsim hosts share
// some of these structs through pointers, so every pointer field here is freshly allocated.
func sizeHost(h *simulator.HostSystem, o *options) {
	threads := o.cores * 2 // hyper-threading on, as in the white paper's hosts
	coresPerSocket := o.cores / o.sockets
	memory := int64(o.memoryGB) << 30

	hw := h.Hardware
	hw.CpuInfo.NumCpuPackages = int16(o.sockets)
	hw.CpuInfo.NumCpuCores = int16(o.cores)
	hw.CpuInfo.NumCpuThreads = int16(threads)
	hw.MemorySize = memory

	template := hw.CpuPkg[0]
	hw.CpuPkg = nil
	numa := &types.HostNumaInfo{Type: "NUMA", NumNodes: int32(o.sockets)}
	for s := 0; s < o.sockets; s++ {
		var ids []int16
		for t := s * coresPerSocket * 2; t < (s+1)*coresPerSocket*2; t++ {
			ids = append(ids, int16(t))
		}
		pkg := template
		pkg.Index = int16(s)
		pkg.ThreadId = ids
		hw.CpuPkg = append(hw.CpuPkg, pkg)
		numa.NumaNode = append(numa.NumaNode, types.HostNumaNode{
			TypeId:            byte(s),
			CpuID:             ids,
			MemoryRangeBegin:  int64(s) * (memory / int64(o.sockets)),
			MemoryRangeLength: memory / int64(o.sockets),
		})
	}
	hw.NumaInfo = numa

	sum := h.Summary.Hardware
	sum.NumCpuPkgs = int16(o.sockets)
	sum.NumCpuCores = int16(o.cores)
	sum.NumCpuThreads = int16(threads)
	sum.MemorySize = memory
}

// resumCluster recomputes the cluster summary from the resized hosts (vcsim sums them once,
// when the stock-sized hosts join). Units follow the API: MHz, bytes, and MB for effective memory.
func resumCluster(reg *simulator.Registry, hosts []*simulator.HostSystem) {
	for _, e := range reg.All("ClusterComputeResource") {
		c := e.(*simulator.ClusterComputeResource)
		s := c.Summary.GetComputeResourceSummary()
		*s = types.ComputeResourceSummary{OverallStatus: types.ManagedEntityStatusGreen}
		for _, h := range hosts {
			if h.Parent == nil || *h.Parent != c.Self {
				continue
			}
			hw := h.Summary.Hardware
			s.TotalCpu += hw.CpuMhz * int32(hw.NumCpuCores)
			s.EffectiveCpu += hw.CpuMhz * int32(hw.NumCpuCores)
			s.TotalMemory += hw.MemorySize
			s.EffectiveMemory += hw.MemorySize >> 20
			s.NumCpuCores += hw.NumCpuCores
			s.NumCpuThreads += hw.NumCpuThreads
			s.NumHosts++
			s.NumEffectiveHosts++
		}
	}
}

// PowerSystem is the HostPowerSystem vcsim lacks: it reports the host's power policy and lets
// ConfigurePowerPolicy pick one of the host's available policies by key.
type PowerSystem struct {
	mo.HostPowerSystem
	host *simulator.HostSystem
}

func addPowerSystem(reg *simulator.Registry, h *simulator.HostSystem) {
	p := &PowerSystem{host: h}
	p.Self = types.ManagedObjectReference{Type: "HostPowerSystem", Value: "powerSystem-" + h.Self.Value}
	p.Capability = *h.Config.PowerSystemCapability
	p.Info = *h.Config.PowerSystemInfo
	reg.Put(p)
	h.ConfigManager.PowerSystem = &p.Self
}

func (p *PowerSystem) ConfigurePowerPolicy(ctx *simulator.Context, req *types.ConfigurePowerPolicy) soap.HasFault {
	body := new(methods.ConfigurePowerPolicyBody)
	for _, policy := range p.Capability.AvailablePolicy {
		if policy.Key != req.Key {
			continue
		}
		p.Info.CurrentPolicy = policy
		ctx.WithLock(p.host, func() {
			info := p.Info
			p.host.Config.PowerSystemInfo = &info
		})
		body.Res = new(types.ConfigurePowerPolicyResponse)
		return body
	}
	msg := fmt.Sprintf("power policy key %d is not one of the host's available policies", req.Key)
	body.Fault_ = simulator.Fault(msg, &types.InvalidArgument{InvalidProperty: "key"})
	return body
}
