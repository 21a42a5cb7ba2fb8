package caddymodule

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// metrics are registered once per metrics registry; a later config
// generation with the same registry reuses the collectors.
type metrics struct {
	injections  *prometheus.CounterVec
	lookups     *prometheus.CounterVec
	callSeconds *prometheus.HistogramVec
	waitSeconds prometheus.Histogram
}

// Results of HTML responses to visitors, used as label values.
const (
	resultInjected         = "injected"
	resultNoInjectionPoint = "no_injection_point"
	resultNoToken          = "no_token"
	resultContentEncoded   = "content_encoded"
	resultDecodeFailed     = "decode_failed"
	resultBlockedByPolicy  = "blocked_by_policy"
)

// Results of token lookups, used as label values.
const (
	lookupTimeout          = "timeout"
	lookupImplausibleToken = "implausible_token"
)

// lookupResults names the token source's events.
var lookupResults = map[tokens.Event]string{
	tokens.EventMemoryHit:   "memory_hit",
	tokens.EventSharedHit:   "shared_hit",
	tokens.EventMinted:      "minted",
	tokens.EventRefreshed:   "refreshed",
	tokens.EventNegative:    "negative",
	tokens.EventError:       "error",
	tokens.EventRateLimited: "rate_limited",
	tokens.EventCircuitOpen: "breaker_open",
	tokens.EventPaused:      "paused",
}

func registerMetrics(registry *prometheus.Registry) (*metrics, error) {
	injections, err := register(registry, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "responses_total",
		Help:      "HTML responses to visitors, by what was done with them.",
	}, []string{"result"}))
	if err != nil {
		return nil, err
	}

	lookups, err := register(registry, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "token_lookups_total",
		Help:      "Visitor token lookups, by result.",
	}, []string{"result"}))
	if err != nil {
		return nil, err
	}

	callSeconds, err := register(registry, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "hubspot_call_duration_seconds",
		Help:      "Duration of calls to HubSpot's token endpoint, by status class (2xx, 4xx, 5xx, error).",
		Buckets:   prometheus.DefBuckets,
	}, []string{"status"}))
	if err != nil {
		return nil, err
	}

	waitSeconds, err := register(registry, prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "caddy",
		Subsystem: "hubspot_identify",
		Name:      "page_wait_seconds",
		Help:      "Time a page was held at its injection point waiting for the visitor's token.",
		Buckets:   []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}))
	if err != nil {
		return nil, err
	}

	return &metrics{injections: injections, lookups: lookups, callSeconds: callSeconds, waitSeconds: waitSeconds}, nil
}

// register registers c, or returns the collector that a previous config
// generation registered under the same name.
func register[C prometheus.Collector](registry *prometheus.Registry, c C) (C, error) {
	if registry == nil {
		return c, nil
	}

	err := registry.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		existing, ok := already.ExistingCollector.(C)
		if !ok {
			return c, err
		}
		return existing, nil
	}
	return c, err
}

// observe counts a token source event.
func (m *metrics) observe(e tokens.Event) {
	if result, ok := lookupResults[e]; ok {
		m.lookups.WithLabelValues(result).Inc()
	}
}
