package caddymodule

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// warnInterval is the minimum time between two warnings about failed token
// lookups, so a HubSpot outage under load writes one line per interval
// instead of one per page view.
const warnInterval = 10 * time.Second

// sampledLogger writes at most one warning per interval and reports how
// many it left out since the last one.
type sampledLogger struct {
	logger     *zap.Logger
	sometimes  rate.Sometimes
	suppressed atomic.Int64
}

func newSampledLogger(logger *zap.Logger, interval time.Duration) *sampledLogger {
	return &sampledLogger{
		logger:    logger,
		sometimes: rate.Sometimes{First: 1, Interval: interval},
	}
}

// Warn logs msg at warn level unless another warning was written within the
// interval, in which case it only counts it.
func (s *sampledLogger) Warn(msg string, fields ...zap.Field) {
	logged := false
	s.sometimes.Do(func() {
		logged = true
		if n := s.suppressed.Swap(0); n > 0 {
			fields = append(fields, zap.Int64("suppressed_since_last", n))
		}
		s.logger.Warn(msg, fields...)
	})
	if !logged {
		s.suppressed.Add(1)
	}
}
