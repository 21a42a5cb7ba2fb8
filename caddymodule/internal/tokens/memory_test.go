package tokens

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sizes for BenchmarkCacheMemory: as many visitors as the handler caches by
// default, each with a token of about the length of an identification
// token from the HubSpot emulator, a JWT of some 300 bytes.
const (
	memoryVisitors    = 100_000
	memoryTokenLength = 300
)

// maxBytesPerToken bounds the memory a cached token may cost beyond its
// own bytes. The measured cost is a few hundred bytes, so this bound fails
// only when the cache grows a per-entry cost of several kilobytes.
const maxBytesPerToken = 4 << 10

// BenchmarkCacheMemory fills a Source with memoryVisitors tokens and
// reports, as B/token, how much the heap grew per token beyond the token's
// own bytes. That is what the cache keeps per visitor, such as its entry,
// LRU list element and map slot, and the key, which in the handler is the
// visitor's email in lower case.
func BenchmarkCacheMemory(b *testing.B) {
	tokens := make([]string, memoryVisitors)
	for i := range tokens {
		tokens[i] = newMemoryToken(i)
		if len(tokens[i]) != memoryTokenLength {
			b.Fatalf("token %d has %d bytes, want %d", i, len(tokens[i]), memoryTokenLength)
		}
	}

	var total float64
	iterations := 0
	for b.Loop() {
		s := New(Config{TTL: time.Hour, Capacity: memoryVisitors, FetchTimeout: time.Minute})

		before := liveHeap()
		for i, token := range tokens {
			// The key is made here, as the handler makes it for each
			// request, so its bytes count as the cache's.
			key := "visitor" + strconv.Itoa(i) + "@example.com"
			fetch := func(context.Context) (string, error) { return token, nil }
			if _, err := s.Get(key, fetch).Wait(context.Background()); err != nil {
				b.Fatalf("Get(%q) error = %v", key, err)
			}
		}
		grown := liveHeap() - before

		if got := s.Len(); got != memoryVisitors {
			b.Fatalf("Len() = %d after %d visitors, want %d", got, memoryVisitors, memoryVisitors)
		}
		runtime.KeepAlive(s)
		s.Close()

		total += float64(grown) / memoryVisitors
		iterations++
	}

	perToken := total / float64(iterations)
	b.ReportMetric(perToken, "B/token")
	if perToken > maxBytesPerToken {
		b.Fatalf("cache holds %.0f bytes per token beyond the token, want at most %d", perToken, maxBytesPerToken)
	}
}

// newMemoryToken returns a distinct token of memoryTokenLength bytes in the
// URL-safe base64 alphabet with dots of a JWT.
func newMemoryToken(i int) string {
	const (
		header    = "eyJhbGciOiJIUzI1NiJ9."
		signature = ".c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0"
	)
	id := strconv.Itoa(i)
	payload := id + strings.Repeat("x", memoryTokenLength-len(header)-len(id)-len(signature))
	return header + payload + signature
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return int64(stats.HeapAlloc)
}
