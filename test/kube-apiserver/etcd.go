package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// startEtcd runs a single-member etcd in this process, with its data under dataDir/etcd and its log in
// dataDir/etcd.log, on free loopback ports. Ports are found by binding port 0 and closing it, which another process can race; a start that
// fails is retried on new ports.
func startEtcd(dataDir string) (*embed.Etcd, string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		clientURL, err := freeLoopbackURL()
		if err != nil {
			return nil, "", err
		}
		peerURL, err := freeLoopbackURL()
		if err != nil {
			return nil, "", err
		}

		cfg := embed.NewConfig()
		cfg.Name = "switchboard"
		cfg.Dir = filepath.Join(dataDir, "etcd")
		cfg.ListenClientUrls = []url.URL{*clientURL}
		cfg.AdvertiseClientUrls = []url.URL{*clientURL}
		cfg.ListenPeerUrls = []url.URL{*peerURL}
		cfg.AdvertisePeerUrls = []url.URL{*peerURL}
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		// etcd logs to its own file: its messages (including the errors it logs on every clean shutdown)
		// would bury kube-apiserver's in the log that cluster:up shows when a start fails.
		cfg.LogLevel = "warn"
		cfg.LogOutputs = []string{filepath.Join(dataDir, "etcd.log")}
		// A throwaway test store: losing the last writes in a power cut does not matter, and fsync on
		// every write would make each API call wait for the disk.
		cfg.UnsafeNoFsync = true

		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, clientURL.String(), nil
		case err := <-e.Err():
			e.Close()
			lastErr = err
		case <-time.After(time.Minute):
			e.Server.Stop()
			return nil, "", errors.New("etcd did not become ready within a minute")
		}
	}
	return nil, "", fmt.Errorf("starting etcd: %w", lastErr)
}

// freeLoopbackURL returns http://127.0.0.1:PORT for a port that was free a moment ago.
func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: addr}, nil
}
