package hubspotemu

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// PathWidgetLoads is the path to which a stand-in for HubSpot's loader
// script posts a report for each load of the chat widget. It is not a
// HubSpot API: it lets tests see which identification a browser handed to
// the widget.
const PathWidgetLoads = "/hs-widget/loads"

// Kinds of widget report, as sent in a report's kind field.
const (
	WidgetKindLoad    = "load"    // the widget's first load on a page
	WidgetKindRefresh = "refresh" // widget.refresh(), as a single-page app calls after a route change
	WidgetKindReload  = "reload"  // the load that follows clear({resetWidget: true})
)

// maxWidgetReportBytes limits a widget report body. A report holds a path,
// an email and a token, so a valid one is far smaller.
const maxWidgetReportBytes = 16 << 10

// WidgetLoad is one widget report and the emulator's check of its
// identification.
type WidgetLoad struct {
	Page  string // URL path of the page the widget ran on
	Kind  string // WidgetKindLoad, WidgetKindRefresh or WidgetKindReload
	Email string // identificationEmail the widget saw, or "" for none

	// Verified reports whether the identification token was minted by the
	// emulator for Email and has not expired, as Emulator.Verify checks.
	Verified bool

	// Error is the reason the identification was rejected. It is empty when
	// the report was verified and when it carried no identification at all.
	Error string
}

// widgetReport is the JSON body that the stand-in loader posts.
type widgetReport struct {
	Page  string `json:"page"`
	Kind  string `json:"kind"`
	Email string `json:"email"`
	Token string `json:"token"`
}

// Widget is an http.Handler for PathWidgetLoads that checks the
// identification of each widget report against the tokens its Emulator
// minted, and records the result. Its methods are safe for concurrent use.
type Widget struct {
	emulator *Emulator

	mu    sync.Mutex
	loads []WidgetLoad
}

// NewWidget returns a Widget that verifies tokens with e.
func NewWidget(e *Emulator) *Widget {
	return &Widget{emulator: e}
}

// Loads returns the reports received so far, oldest first.
func (w *Widget) Loads() []WidgetLoad {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.loads)
}

// Reset clears the reports received so far.
func (w *Widget) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.loads = nil
}

// ServeHTTP records one widget report posted as JSON to PathWidgetLoads and
// responds 204. A report that cannot be read gets a JSON error response in
// HubSpot's shape and is not recorded.
func (w *Widget) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != PathWidgetLoads {
		writeError(rw, http.StatusNotFound, errorBody{
			Category: "OBJECT_NOT_FOUND",
			Message:  "no widget operation found at " + r.URL.Path,
		})
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		writeError(rw, http.StatusMethodNotAllowed, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "method " + r.Method + " is not allowed on " + r.URL.Path + ", use POST",
		})
		return
	}
	if message := checkContentType(r.Header.Get("Content-Type")); message != "" {
		writeError(rw, http.StatusUnsupportedMediaType, errorBody{Category: "VALIDATION_ERROR", Message: message})
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWidgetReportBytes))
	if err != nil {
		writeError(rw, http.StatusBadRequest, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "failed to read widget report: " + err.Error(),
		})
		return
	}
	var report widgetReport
	if err := json.Unmarshal(body, &report); err != nil {
		writeError(rw, http.StatusBadRequest, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "invalid JSON in widget report: " + err.Error(),
		})
		return
	}
	if !isWidgetKind(report.Kind) {
		writeError(rw, http.StatusBadRequest, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "invalid kind " + strconv.Quote(report.Kind) + ": use load, refresh or reload",
		})
		return
	}

	load := w.check(report)
	w.mu.Lock()
	w.loads = append(w.loads, load)
	w.mu.Unlock()

	rw.WriteHeader(http.StatusNoContent)
}

// check verifies the identification in report. A report with only one of
// email and token is recorded as rejected, not as anonymous, because a page
// that sets only one has lost part of its identification.
func (w *Widget) check(report widgetReport) WidgetLoad {
	load := WidgetLoad{Page: report.Page, Kind: report.Kind, Email: report.Email}

	switch {
	case report.Email == "" && report.Token == "":
		// An anonymous visitor: nothing to verify.
	case report.Token == "":
		load.Error = "identification email without an identification token"
	case report.Email == "":
		load.Error = "identification token without an identification email"
	default:
		if err := w.emulator.Verify(report.Token, report.Email); err != nil {
			load.Error = err.Error()
		} else {
			load.Verified = true
		}
	}
	return load
}

func isWidgetKind(kind string) bool {
	return kind == WidgetKindLoad || kind == WidgetKindRefresh || kind == WidgetKindReload
}

var _ http.Handler = (*Widget)(nil)
