// Command switchboard-apiserver runs a real kube-apiserver backed by an embedded etcd in one process, on
// 127.0.0.1, for Switchboard's integration tests and local development (what envtest gives Go projects,
// built from Go modules instead of downloaded binaries).
//
// It generates certificates and service-account keys under -data-dir, starts etcd on free loopback ports,
// binds the API server's secure port, writes an admin kubeconfig (client certificate in system:masters) and
// serves until SIGINT or SIGTERM. Nothing else of a cluster runs: no controllers (so no garbage collection,
// no namespace finalization, no default ServiceAccount per namespace), no scheduler, no kubelet.
//
// Usage:
//
//	switchboard-apiserver -data-dir DIR [-kubeconfig FILE] [-port N] [-- kube-apiserver flags...]
//
// Flags after "--" are passed to kube-apiserver after the built-in ones, so they override them.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// serviceCIDR is the Service IP range; its first address is the "kubernetes" Service's, which the serving
// certificate must name for in-cluster clients.
const serviceCIDR = "10.0.0.0/24"

var kubernetesServiceIP = net.IPv4(10, 0, 0, 1)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-apiserver:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", "", "directory for certificates, keys and etcd data (required)")
	kubeconfigPath := flag.String("kubeconfig", "", "where to write the admin kubeconfig (default DATA-DIR/kubeconfig)")
	port := flag.Int("port", 0, "secure port on 127.0.0.1 (0 picks a free one)")
	flag.Parse()
	if *dataDir == "" {
		flag.Usage()
		return errors.New("-data-dir is required")
	}
	if *kubeconfigPath == "" {
		*kubeconfigPath = filepath.Join(*dataDir, "kubeconfig")
	}
	started := time.Now()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	certs := pki{dir: filepath.Join(*dataDir, "pki")}
	if err := certs.ensure(kubernetesServiceIP); err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}

	etcd, etcdURL, err := startEtcd(*dataDir)
	if err != nil {
		return err
	}
	defer etcd.Close()
	fmt.Fprintf(os.Stderr, "etcd ready at %s after %s\n", etcdURL, time.Since(started).Round(time.Millisecond))

	// Binding here rather than letting kube-apiserver bind --secure-port leaves no window in which another
	// process could take a port picked as free, and tells us the port before the server starts.
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return fmt.Errorf("binding the secure port: %w", err)
	}
	boundPort := listener.Addr().(*net.TCPAddr).Port
	serverURL := "https://" + listener.Addr().String()
	if err := writeKubeconfig(*kubeconfigPath, serverURL, certs); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}

	apiserverFlags := append([]string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(boundPort),
		"--etcd-servers=" + etcdURL,
		"--tls-cert-file=" + certs.servingCert(),
		"--tls-private-key-file=" + certs.servingKey(),
		"--client-ca-file=" + certs.caCert(),
		"--authorization-mode=Node,RBAC",
		// Service-account tokens: signed with our key, verified with its public half; the audiences
		// default to the issuer, and TokenRequest can ask for others (e.g. "switchboard").
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-signing-key-file=" + certs.serviceAccountKey(),
		"--service-account-key-file=" + certs.serviceAccountPub(),
		"--service-cluster-ip-range=" + serviceCIDR,
		// No controller would maintain the "kubernetes" Service's endpoints; a single server with no
		// peers has nothing to reconcile.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		// The aggregation layer: how kube-apiserver proves itself to aggregated API servers.
		"--requestheader-client-ca-file=" + certs.frontProxyCACert(),
		"--requestheader-allowed-names=" + frontProxyClientName,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + certs.frontProxyCert(),
		"--proxy-client-key-file=" + certs.frontProxyKey(),
		"--profiling=false",
	}, flag.Args()...)

	go reportReady(ctx, serverURL, certs, started)

	done := make(chan error, 1)
	go func() { done <- runAPIServer(ctx, listener, boundPort, apiserverFlags) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("kube-apiserver: %w", err)
		}
		fmt.Fprintln(os.Stderr, "kube-apiserver stopped")
		return nil
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	}
}

// runAPIServer does what kube-apiserver's own command does (app.NewAPIServerCommand), but with a listener
// we bound and a context we cancel, and returns when ctx is cancelled and the server has shut down.
func runAPIServer(ctx context.Context, listener net.Listener, port int, args []string) error {
	s := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, set := range s.Flags().FlagSets {
		fs.AddFlagSet(set)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	s.SecureServing.Listener = listener
	s.SecureServing.BindPort = port

	registry := s.GenericServerRunOptions.ComponentGlobalsRegistry
	if err := registry.Set(); err != nil {
		return err
	}
	// The server's loopback clients should not log the warnings it sends to itself.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	if err := logsapi.ValidateAndApply(s.Logs, registry.FeatureGateFor(basecompatibility.DefaultKubeComponent)); err != nil {
		return err
	}

	completed, err := s.Complete(ctx)
	if err != nil {
		return err
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return utilerrors.NewAggregate(errs)
	}
	return app.Run(ctx, completed)
}

// writeKubeconfig writes a self-contained kubeconfig (certificates inline) for the admin user, atomically
// so that a reader never sees half a file.
func writeKubeconfig(path, serverURL string, certs pki) error {
	ca, err := os.ReadFile(certs.caCert())
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(certs.adminCert())
	if err != nil {
		return err
	}
	key, err := os.ReadFile(certs.adminKey())
	if err != nil {
		return err
	}
	const name = "switchboard"
	config := clientcmdapi.NewConfig()
	config.Clusters[name] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: ca}
	config.AuthInfos[name+"-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	config.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name + "-admin", Namespace: "default"}
	config.CurrentContext = name
	data, err := clientcmd.Write(*config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// reportReady logs once /readyz answers ok, so the log shows how long a start took. Callers should poll
// /readyz themselves; this is only for the record.
func reportReady(ctx context.Context, serverURL string, certs pki, started time.Time) {
	caPEM, err := os.ReadFile(certs.caCert())
	if err != nil {
		return
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
	}
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		resp, err := client.Get(serverURL + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Fprintf(os.Stderr, "kube-apiserver ready at %s after %s\n", serverURL,
				time.Since(started).Round(time.Millisecond))
			return
		}
	}
}
