package main

import "testing"

func TestListenLoopbackRejectsOtherAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "localhost:0", "192.0.2.1:0", "no-port"} {
		t.Run(addr, func(t *testing.T) {
			listener, err := listenLoopback(addr)
			if err == nil {
				listener.Close()
				t.Errorf("listenLoopback(%q) error = nil, want an error", addr)
			}
		})
	}
}

func TestListenLoopbackAcceptsLoopback(t *testing.T) {
	tests := []struct {
		addr     string
		optional bool // a machine without IPv6 has no ::1
	}{
		{"127.0.0.1:0", false},
		{"[::1]:0", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			listener, err := listenLoopback(tt.addr)
			if err != nil && tt.optional {
				t.Skipf("listenLoopback(%q): %v", tt.addr, err)
			}
			if err != nil {
				t.Fatalf("listenLoopback(%q) error = %v, want a listener", tt.addr, err)
			}
			listener.Close()
		})
	}
}
