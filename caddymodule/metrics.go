package caddymodule

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are shared by every handler instance and config generation,
// because a collector can be registered only once per registry.
type metrics struct {
	injections *prometheus.CounterVec
	lookups    *prometheus.CounterVec
}

// Skip and lookup reasons used as label values.
const (
	resultInjected         = "injected"
	resultNoInjectionPoint = "no_injection_point"
	resultNoToken          = "no_token"
	resultContentEncoded   = "content_encoded"
	resultDecodeFailed     = "decode_failed"
	resultBlockedByPolicy  = "blocked_by_policy"
	lookupCached           = "cached"
	lookupFetched          = "fetched"
	lookupError            = "error"
	lookupTimeout          = "timeout"
	lookupImplausibleToken = "implausible_token"
)

func registerMetrics(registry *prometheus.Registry) (*metrics, error) {
	injections, err := registerCounterVec(registry, prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "responses_total",
		Help:      "HTML responses to visitors, by what was done with them.",
	}, []string{"result"})
	if err != nil {
		return nil, err
	}

	lookups, err := registerCounterVec(registry, prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "token_lookups_total",
		Help:      "Visitor token lookups, by result.",
	}, []string{"result"})
	if err != nil {
		return nil, err
	}

	return &metrics{injections: injections, lookups: lookups}, nil
}

// registerCounterVec registers a counter, or returns the one a previous
// config generation registered under the same name.
func registerCounterVec(registry *prometheus.Registry, opts prometheus.CounterOpts, labels []string) (*prometheus.CounterVec, error) {
	counter := prometheus.NewCounterVec(opts, labels)
	if registry == nil {
		return counter, nil
	}

	err := registry.Register(counter)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		existing, ok := already.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, err
		}
		return existing, nil
	}
	if err != nil {
		return nil, err
	}
	return counter, nil
}
