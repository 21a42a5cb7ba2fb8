package caddymodule

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/decode"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/inject"
)

// maxRawBytes bounds the compressed bytes kept until the injector commits
// the headers, so a body that fails to decode can still go out as it came.
// The injector decides within inject.DefaultWindow decoded bytes, which
// compressed HTML reaches in far fewer raw bytes.
const maxRawBytes = 4 * inject.DefaultWindow

// encodedBody decodes a page that the upstream compressed even though it
// was asked for identity, so the snippet can still be injected. The outer
// encode handler compresses the result again for the client.
type encodedBody struct {
	decoder *decode.Writer

	// raw is the compressed body seen before the headers were committed.
	raw []byte

	// fallback is set once decoding failed before anything was sent: the
	// rest of the body then passes through untouched.
	fallback bool
}

func newEncodedBody(coding string, dst *inject.Writer) (*encodedBody, error) {
	decoder, err := decode.NewWriter(coding, dst)
	if err != nil {
		return nil, err
	}
	return &encodedBody{decoder: decoder}, nil
}

// writeEncoded decodes p into the injector. If decoding fails before the
// headers were committed, the page goes out exactly as the upstream sent it.
// If it fails later, the response is aborted, because a page cut short
// must not look complete to the client.
func (rw *responseWriter) writeEncoded(p []byte) (int, error) {
	body := rw.encoded
	if body.fallback {
		return rw.ResponseWriter.Write(p)
	}

	if !rw.committed {
		if len(body.raw)+len(p) > maxRawBytes {
			return rw.fallBack(p)
		}
		body.raw = append(body.raw, p...)
	}

	if _, err := body.decoder.Write(p); err != nil {
		if rw.committed {
			rw.abort(err)
		}

		// p is already in raw.
		if _, err := rw.fallBack(nil); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// closeEncoded ends the decoder. It reports done if the response is
// finished without the injector, because decoding failed.
func (rw *responseWriter) closeEncoded() (done bool, err error) {
	body := rw.encoded
	if body.fallback {
		return true, nil
	}

	if err := body.decoder.Close(); err != nil {
		if !rw.committed {
			_, err := rw.fallBack(nil)
			return true, err
		}
		rw.abort(err)
	}
	return false, nil
}

// fallBack sends the original status, headers and compressed bytes seen
// so far, then p, and passes the rest of the body through.
func (rw *responseWriter) fallBack(p []byte) (int, error) {
	body := rw.encoded
	body.fallback = true
	body.decoder.Abort()
	rw.handler.metrics.injections.WithLabelValues(resultDecodeFailed).Inc()

	rw.ResponseWriter.WriteHeader(rw.status)
	raw := body.raw
	body.raw = nil
	if _, err := rw.ResponseWriter.Write(raw); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	return rw.ResponseWriter.Write(p)
}

// abort ends a response whose decoded body already reached the client.
// Panicking with http.ErrAbortHandler makes net/http drop the connection
// or reset the stream without logging, so the client sees an error.
func (rw *responseWriter) abort(err error) {
	rw.handler.metrics.injections.WithLabelValues(resultDecodeFailed).Inc()
	rw.handler.warnings.Warn("compressed page failed to decode after it was partly sent; response aborted",
		zap.Error(err))
	panic(http.ErrAbortHandler)
}
