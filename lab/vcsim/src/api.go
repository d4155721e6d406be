package main

import (
	"sort"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// apiRelease is the vSphere release the lab presents: what vCenter's ServiceContent.about and
// each host's config.product report. Clients (pyVmomi) pick their wire version from
// /sdk/vimServiceVersions.xml, which vcsim derives from about.apiVersion, so a 6.5 lab is talked
// to with the 6.5 schema and must publish no property newer than that (lab/vcsim/README.md).
type apiRelease struct {
	apiVersion     string
	version, build string // vCenter
	hostBuild      string // ESXi
	hostVersion    string
}

// Builds of the GA releases: vCenter Server 8.0 Update 3 / ESXi 8.0 Update 3 and
// vCenter Server 6.5.0 (govmomi's own capture) / ESXi 6.5 Update 1 (docs/vsphere-vgpu.md).
var apiReleases = map[string]apiRelease{
	"8.0.3.0": {apiVersion: "8.0.3.0", version: "8.0.3", build: "24022515", hostVersion: "8.0.3", hostBuild: "24022510"},
	"6.5":     {apiVersion: "6.5", version: "6.5.0", build: "5973321", hostVersion: "6.5.0", hostBuild: "5969303"},
}

func apiVersions() []string {
	var v []string
	for k := range apiReleases {
		v = append(v, k)
	}
	sort.Strings(v)
	return v
}

// atLeast reports whether the release's API is version or newer ("8.0.3.0" >= "7.0.3.0").
func (a apiRelease) atLeast(version string) bool {
	return compareVersions(a.apiVersion, version) >= 0
}

func compareVersions(a, b string) int {
	var x, y [4]int
	parseVersion(a, &x)
	parseVersion(b, &y)
	for i := range x {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func parseVersion(v string, out *[4]int) {
	i := 0
	for _, c := range v {
		switch {
		case c == '.':
			i++
			if i == len(out) {
				return
			}
		case c >= '0' && c <= '9':
			out[i] = out[i]*10 + int(c-'0')
		}
	}
}

// about is vCenter's about info for the release.
func (a apiRelease) about(base types.AboutInfo) types.AboutInfo {
	base.Version, base.Build, base.ApiVersion = a.version, a.build, a.apiVersion
	base.FullName = "VMware vCenter Server " + a.version + " build-" + a.build
	base.LicenseProductVersion = a.version[:1] + ".0"
	return base
}

// brandHost makes host h report the release's ESXi version (fresh structs: vcsim's hosts share
// their template's product info).
func (a apiRelease) brandHost(h *simulator.HostSystem) {
	product := h.Config.Product
	product.Version, product.Build = a.hostVersion, a.hostBuild
	product.ApiVersion = a.apiVersion
	product.FullName = "VMware ESXi " + a.hostVersion + " build-" + a.hostBuild
	product.LicenseProductVersion = a.hostVersion
	config := *h.Config
	config.Product = product
	h.Config = &config
	summary := product
	h.Summary.Config.Product = &summary
}

// setSessionIdleTimeout makes vcsim expire sessions idle longer than d (its session watch reads
// the vCenter setting config.vmacore.soap.sessionTimeout at login); 0 keeps sessions forever.
func setSessionIdleTimeout(reg *simulator.Registry, d time.Duration) {
	if d <= 0 {
		return
	}
	opt := reg.OptionManager()
	opt.Setting = append(opt.Setting, &types.OptionValue{Key: "config.vmacore.soap.sessionTimeout", Value: d.String()})
}
