package main

import (
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// SpecManager replaces vcsim's CustomizationSpecManager, whose spec list is unexported and which
// cannot delete. It keeps the same reference, so clients find it in ServiceContent as before.
type SpecManager struct {
	mo.CustomizationSpecManager
	items []types.CustomizationSpecItem
}

func replaceCustomizationSpecManager(m *simulator.Model) {
	sm := &SpecManager{items: append([]types.CustomizationSpecItem(nil), simulator.DefaultCustomizationSpec...)}
	sm.Self = *m.ServiceContent.CustomizationSpecManager
	m.Map().Put(sm) // same reference: replaces the stock object
}

func (m *SpecManager) find(name string) int {
	for i := range m.items {
		if m.items[i].Info.Name == name {
			return i
		}
	}
	return -1
}

func notFound(name string) *soap.Fault {
	return simulator.Fault(fmt.Sprintf("customization spec %q not found", name), &types.NotFound{})
}

// Get is what the property collector reads: a snapshot with `info` filled from the items.
func (m *SpecManager) Get() mo.Reference {
	clone := *m
	clone.Info = nil
	for i := range m.items {
		clone.Info = append(clone.Info, m.items[i].Info)
	}
	return &clone
}

func (m *SpecManager) DoesCustomizationSpecExist(req *types.DoesCustomizationSpecExist) soap.HasFault {
	return &methods.DoesCustomizationSpecExistBody{
		Res: &types.DoesCustomizationSpecExistResponse{Returnval: m.find(req.Name) >= 0},
	}
}

func (m *SpecManager) GetCustomizationSpec(req *types.GetCustomizationSpec) soap.HasFault {
	body := new(methods.GetCustomizationSpecBody)
	if i := m.find(req.Name); i >= 0 {
		body.Res = &types.GetCustomizationSpecResponse{Returnval: m.items[i]}
	} else {
		body.Fault_ = notFound(req.Name)
	}
	return body
}

// stamp sets the bookkeeping a real vCenter maintains on every write.
func stamp(item types.CustomizationSpecItem, version int) types.CustomizationSpecItem {
	item.Info.ChangeVersion = fmt.Sprint(version)
	item.Info.LastUpdateTime = types.NewTime(time.Now())
	return item
}

func (m *SpecManager) CreateCustomizationSpec(req *types.CreateCustomizationSpec) soap.HasFault {
	body := new(methods.CreateCustomizationSpecBody)
	if m.find(req.Item.Info.Name) >= 0 {
		msg := fmt.Sprintf("customization spec %q already exists", req.Item.Info.Name)
		body.Fault_ = simulator.Fault(msg, &types.AlreadyExists{Name: req.Item.Info.Name})
		return body
	}
	m.items = append(m.items, stamp(req.Item, 1))
	body.Res = new(types.CreateCustomizationSpecResponse)
	return body
}

func (m *SpecManager) OverwriteCustomizationSpec(req *types.OverwriteCustomizationSpec) soap.HasFault {
	body := new(methods.OverwriteCustomizationSpecBody)
	i := m.find(req.Item.Info.Name)
	if i < 0 {
		body.Fault_ = notFound(req.Item.Info.Name)
		return body
	}
	var version int
	_, _ = fmt.Sscan(m.items[i].Info.ChangeVersion, &version)
	m.items[i] = stamp(req.Item, version+1)
	body.Res = new(types.OverwriteCustomizationSpecResponse)
	return body
}

func (m *SpecManager) DeleteCustomizationSpec(req *types.DeleteCustomizationSpec) soap.HasFault {
	body := new(methods.DeleteCustomizationSpecBody)
	i := m.find(req.Name)
	if i < 0 {
		body.Fault_ = notFound(req.Name)
		return body
	}
	m.items = append(m.items[:i], m.items[i+1:]...)
	body.Res = new(types.DeleteCustomizationSpecResponse)
	return body
}
