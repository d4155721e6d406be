// Command vcsim-gpu is the project's vCenter lab: govmomi's vCenter simulator with GPU hosts
// (graphics manager, vGPU profiles, PCI devices), a customization-spec manager that can delete,
// a host power system, and stricter vGPU checks than stock vcsim. It listens on loopback, prints
// its SDK URL (with credentials) as the first line of stdout and stops cleanly on SIGTERM/SIGINT.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// passwordEnv lets callers keep the password out of the process's argv.
const passwordEnv = "VCSIM_GPU_PASSWORD"

type options struct {
	listen      string
	hosts       int
	cores       int
	sockets     int
	memoryGB    int
	gpuDevice   string
	gpuDeviceID uint
	gpusPerHost int
	gpuFbMB     int
	profiles    []profileSpec
	disconnect  []string
	user        string
	password    string
	tlsCert     string
	tlsKey      string
	baseImage   string
	baseVersion string
	baseFirmw   string
	sessionIdle time.Duration
	api         apiRelease
	driver      string            // NVIDIA vGPU Manager version of every host; "" = none
	hostDrivers map[string]string // per-host override of driver
	migGPUs     map[string]string // host -> GPU slots in MIG mode ("0+1", "all")
	rebootOnly  []string          // hosts that activate a graphics type only on reboot
	rebootTime  time.Duration
	hotMigrate  string // vCenter's vgpu.hotmigrate.enabled ("" = not set)
	toolsStart  time.Duration
	reportedFb  map[string]int // profile -> frame buffer (GB) RetrieveVgpuProfileInfo reports
}

// migOf is the MIG mode of each GPU slot of host h.
func (o *options) migOf(host string) ([]bool, error) {
	mig := make([]bool, o.gpusPerHost)
	spec := o.migGPUs[host]
	for _, item := range strings.Split(spec, "+") {
		switch item = strings.TrimSpace(item); {
		case item == "":
		case item == "all":
			for i := range mig {
				mig[i] = true
			}
		default:
			var slot int
			if _, err := fmt.Sscan(item, &slot); err != nil || slot < 0 || slot >= o.gpusPerHost {
				return nil, fmt.Errorf("-mig-gpus: host %s: GPU %q is not one of 0..%d", host, item, o.gpusPerHost-1)
			}
			mig[slot] = true
		}
	}
	return mig, nil
}

// driverOf is the vGPU Manager version host h runs ("" = not installed).
func (o *options) driverOf(host string) string {
	if v, ok := o.hostDrivers[host]; ok {
		return v
	}
	return o.driver
}

func parseFlags(args []string) (*options, error) {
	o := new(options)
	fs := flag.NewFlagSet("vcsim-gpu", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "listen address; port 0 picks a free port")
	fs.IntVar(&o.hosts, "hosts", 3, "ESXi hosts in the cluster")
	fs.IntVar(&o.cores, "cores", 16, "physical CPU cores per host (threads = 2 x cores)")
	fs.IntVar(&o.sockets, "sockets", 2, "CPU packages (sockets) per host")
	fs.IntVar(&o.memoryGB, "memory-gb", 256, "physical memory per host in GB")
	fs.StringVar(&o.gpuDevice, "gpu-device", "Tesla P100-PCIE-16GB", "GPU device name")
	fs.UintVar(&o.gpuDeviceID, "gpu-pci-device-id", 0x15F8, "GPU PCI device id (vendor is NVIDIA 0x10DE)")
	fs.IntVar(&o.gpusPerHost, "gpus-per-host", 1, "physical GPUs per host")
	fs.IntVar(&o.gpuFbMB, "gpu-framebuffer-mb", 16384, "framebuffer per physical GPU in MB")
	profiles := fs.String("gpu-profiles", "grid_p100-1q:1:16,grid_p100-2q:2:8,grid_p100-4q:4:4,grid_p100-8q:8:2,grid_p100-16q:16:1",
		"comma-separated vGPU profiles the host driver offers, as name or name:framebufferGB:maxPerGPU")
	disconnected := fs.String("disconnected-hosts", "", "comma-separated host names that start disconnected from vCenter")
	fs.StringVar(&o.user, "username", "user", "login user name")
	fs.StringVar(&o.password, "password", "", "login password (default: $"+passwordEnv+", else \"pass\")")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate chain to serve (default: Go's built-in test certificate)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for -tls-cert")
	fs.StringVar(&o.baseImage, "base-image", "ubuntu-base", "name of the powered-off Linux VM that templates are cloned from")
	fs.StringVar(&o.baseFirmw, "base-firmware", "bios", "firmware the base image's guest was installed for: bios or efi")
	fs.StringVar(&o.baseVersion, "base-version", "vmx-13", "virtual hardware version of the base image (vmx-13: ESXi 6.5)")
	fs.DurationVar(&o.sessionIdle, "session-idle-timeout", 0, "expire sessions idle this long (0 = never)")
	driver := fs.String("vgpu-manager", "none", "NVIDIA vGPU Manager driver version on every host (none = not installed)")
	rebootOnly := fs.String("reboot-only-hosts", "", "comma-separated hosts (7.0 U1+ style) that activate a graphics type only on reboot")
	fs.DurationVar(&o.rebootTime, "reboot-time", time.Second, "how long a host reboot keeps the host notResponding")
	fs.StringVar(&o.hotMigrate, "vgpu-hotmigrate", "", "vCenter advanced setting vgpu.hotmigrate.enabled (true/false; empty = not set)")
	fs.DurationVar(&o.toolsStart, "guest-tools-start", 500*time.Millisecond, "time from power-on to VMware Tools running in the guest (negative: guests have no tools)")
	reportedFb := fs.String("reported-framebuffer", "", "profile=GB,...: frame buffer RetrieveVgpuProfileInfo reports instead of the profile's own")
	migGPUs := fs.String("mig-gpus", "", "GPUs in MIG mode, host=slot+slot,... or host=all")
	hostDrivers := fs.String("host-vgpu-manager", "", "per-host vGPU Manager version, host=version,... (none = not installed)")
	api := fs.String("api-version", "8.0.3.0", "vSphere API the vCenter and hosts report: "+strings.Join(apiVersions(), " or "))
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.password == "" {
		o.password = os.Getenv(passwordEnv)
	}
	if o.password == "" {
		o.password = "pass"
	}
	release, ok := apiReleases[*api]
	if !ok {
		return nil, fmt.Errorf("-api-version must be one of %s, got %q", strings.Join(apiVersions(), ", "), *api)
	}
	o.api = release
	o.driver = *driver
	perHost, err := parseHostValues("-host-vgpu-manager", *hostDrivers)
	if err != nil {
		return nil, err
	}
	o.hostDrivers = perHost
	if o.migGPUs, err = parseHostValues("-mig-gpus", *migGPUs); err != nil {
		return nil, err
	}
	fbs, err := parseHostValues("-reported-framebuffer", *reportedFb)
	if err != nil {
		return nil, err
	}
	o.reportedFb = map[string]int{}
	for name, gb := range fbs {
		var n int
		if _, err := fmt.Sscan(gb, &n); err != nil || n < 0 {
			return nil, fmt.Errorf("-reported-framebuffer: %s=%q is not a whole number of GB", name, gb)
		}
		o.reportedFb[name] = n
	}
	if o.driver == "none" || o.driver == "" {
		o.driver = ""
	}
	for h, v := range o.hostDrivers {
		if v == "none" {
			o.hostDrivers[h] = ""
		}
	}
	for _, p := range strings.Split(*profiles, ",") {
		if p = strings.TrimSpace(p); p != "" {
			spec, err := parseProfile(p)
			if err != nil {
				return nil, err
			}
			o.profiles = append(o.profiles, spec)
		}
	}
	for _, h := range strings.Split(*rebootOnly, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.rebootOnly = append(o.rebootOnly, h)
		}
	}
	for _, h := range strings.Split(*disconnected, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.disconnect = append(o.disconnect, h)
		}
	}
	switch {
	case o.hosts < 1:
		return nil, fmt.Errorf("-hosts must be at least 1, got %d", o.hosts)
	case o.sockets < 1 || o.cores < o.sockets || o.cores%o.sockets != 0:
		return nil, fmt.Errorf("-cores (%d) must be a positive multiple of -sockets (%d)", o.cores, o.sockets)
	case o.memoryGB < 1:
		return nil, fmt.Errorf("-memory-gb must be at least 1, got %d", o.memoryGB)
	case o.gpusPerHost < 0 || o.gpusPerHost > len(gpuBuses):
		return nil, fmt.Errorf("-gpus-per-host must be between 0 and %d, got %d", len(gpuBuses), o.gpusPerHost)
	case o.gpuFbMB < 1:
		return nil, fmt.Errorf("-gpu-framebuffer-mb must be positive, got %d", o.gpuFbMB)
	case o.gpuDeviceID == 0 || o.gpuDeviceID > 0xFFFF:
		return nil, fmt.Errorf("-gpu-pci-device-id must be a 16-bit PCI id, got %#x", o.gpuDeviceID)
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return nil, fmt.Errorf("-tls-cert and -tls-key go together")
	case o.user == "" || o.password == "":
		return nil, fmt.Errorf("-username and -password must not be empty")
	case o.baseFirmw != "bios" && o.baseFirmw != "efi":
		return nil, fmt.Errorf("-base-firmware must be bios or efi, got %q", o.baseFirmw)
	case o.baseImage == "":
		return nil, fmt.Errorf("-base-image must not be empty")
	}
	return o, nil
}

// parseHostValues reads "host=value,host=value".
func parseHostValues(flag, text string) (map[string]string, error) {
	values := map[string]string{}
	for _, item := range strings.Split(text, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		host, value, ok := strings.Cut(item, "=")
		if !ok || host == "" {
			return nil, fmt.Errorf("%s: expected host=value, got %q", flag, item)
		}
		values[host] = value
	}
	return values, nil
}

func run(o *options) error {
	// Registered before anything else: a SIGTERM that arrives while the model is being built
	// must still end in a clean shutdown instead of the default kill.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	m := simulator.VPX()
	m.ServiceContent.About = o.api.about(m.ServiceContent.About)
	m.Datacenter = 1
	m.Cluster = 1
	m.ClusterHost = o.hosts
	m.Host = 0
	m.Machine = 0   // the lab's only VM is the base image created below
	m.Portgroup = 0 // one standard "VM Network", like a small lab vCenter
	if err := m.Create(); err != nil {
		return fmt.Errorf("create model: %w", err)
	}
	defer m.Remove() // deletes the datastore's temporary folder

	reg := m.Map()
	ctx := newContext(reg)
	setSessionIdleTimeout(reg, o.sessionIdle)
	setHotMigrate(reg, o.hotMigrate)
	gpus := newGpuInventory(reg, o)
	hosts := clusterHosts(reg)
	for _, h := range hosts {
		sizeHost(h, o)
		o.api.brandHost(h)
		addPowerSystem(reg, h)
		addImageConfigManager(reg, h, o.api, o.driverOf(h.Name))
		mig, err := o.migOf(h.Name)
		if err != nil {
			return err
		}
		gpus.attach(ctx, h, o.driverOf(h.Name) != "", mig, oneOf(h.Name, o.rebootOnly))
		addServiceSystem(reg, h, gpus)
		for _, name := range o.disconnect {
			if h.Name == name {
				h.Runtime.ConnectionState = types.HostSystemConnectionStateDisconnected
			}
		}
	}
	resumCluster(reg, hosts)
	replaceCustomizationSpecManager(m)

	bg := context.Background()
	client, err := vim25.NewClient(bg, m.Service) // in-process, no network session
	if err != nil {
		return fmt.Errorf("in-process client: %w", err)
	}
	if err := createBaseImage(bg, client, o.baseImage, o.baseVersion, o.baseFirmw); err != nil {
		return fmt.Errorf("base image %q: %w", o.baseImage, err)
	}

	tlsConfig := new(tls.Config)
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("load -tls-cert/-tls-key: %w", err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	m.Service.TLS = tlsConfig
	m.Service.Listen = &url.URL{Host: o.listen, User: url.UserPassword(o.user, o.password)}

	server := m.Service.NewServer()
	defer server.Close()
	// Swapped in before the URL is printed, so no client can reach the server without it.
	server.Config.Handler = &guard{next: server.Config.Handler, reg: reg, gpus: gpus, rebootTime: o.rebootTime, toolsStart: o.toolsStart}

	fmt.Println(server.URL.String())
	_ = os.Stdout.Sync()

	sig := <-stop
	log.Printf("vcsim-gpu: %s, shutting down", sig)
	return nil
}

func main() {
	log.SetFlags(0)
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vcsim-gpu:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim-gpu:", err)
		os.Exit(1)
	}
}
